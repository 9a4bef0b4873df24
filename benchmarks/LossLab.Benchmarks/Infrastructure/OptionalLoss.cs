using System.Reflection;
using static TorchSharp.torch;

namespace LossLab.Benchmarks.Infrastructure;

/// <summary>
/// A <see cref="Losses"/> function looked up by name at run time, called with named arguments (the others take their
/// defaults): lets a benchmark of a function that is not in every build of LossLab compile, and run where it exists.
/// </summary>
public sealed class OptionalLoss
{
    private readonly MethodInfo? method;

    /// <summary>Looks the function up.</summary>
    public OptionalLoss(string name)
    {
        Name = name;
        method = typeof(Losses).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.Name == name && m.ReturnType == typeof(Tensor))
            .OrderByDescending(m => m.GetParameters().Length)
            .FirstOrDefault();
    }

    /// <summary>The function's name.</summary>
    public string Name { get; }

    /// <summary>Whether this build of LossLab has it.</summary>
    public bool Exists => method is not null;

    /// <summary>Calls it with the named arguments given (every other parameter takes its default).</summary>
    /// <exception cref="InvalidOperationException">This build of LossLab does not have the function, or a required argument is missing.</exception>
    public Tensor Call(IReadOnlyDictionary<string, object?> arguments)
    {
        if (method is null) throw new InvalidOperationException($"Losses.{Name} is not in this build of LossLab");
        var values = method.GetParameters().Select(p =>
            arguments.TryGetValue(p.Name!, out var v) ? v
            : p.HasDefaultValue ? Type.Missing
            : throw new InvalidOperationException($"Losses.{Name}: no value for its parameter '{p.Name}'")).ToArray();
        foreach (var given in arguments.Keys)
            if (method.GetParameters().All(p => p.Name != given))
                throw new InvalidOperationException($"Losses.{Name} has no parameter '{given}'");
        return (Tensor)method.Invoke(null, values)!;
    }
}
