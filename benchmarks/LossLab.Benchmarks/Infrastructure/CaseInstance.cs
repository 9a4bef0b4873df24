using System.Reflection;
using BenchmarkDotNet.Running;

namespace LossLab.Benchmarks.Infrastructure;

/// <summary>
/// A fresh instance of a benchmark case's class with the case's parameters set and its global setup run, outside
/// BenchmarkDotNet's engine: the custom columns use it to read what a case moves and to run it once more.
/// </summary>
public sealed class CaseInstance : IDisposable
{
    private readonly BenchmarkCase benchmarkCase;

    /// <summary>The benchmark class's instance.</summary>
    public object Instance { get; }

    /// <summary>Creates the instance and sets the parameters; <paramref name="setUp"/> also runs [GlobalSetup].</summary>
    public CaseInstance(BenchmarkCase benchmarkCase, bool setUp)
    {
        this.benchmarkCase = benchmarkCase;
        var type = benchmarkCase.Descriptor.Type;
        Instance = Activator.CreateInstance(type) ?? throw new InvalidOperationException($"cannot create {type.Name}");
        foreach (var p in benchmarkCase.Parameters.Items)
        {
            if (type.GetProperty(p.Name, BindingFlags.Public | BindingFlags.Instance) is { } property) property.SetValue(Instance, p.Value);
            else if (type.GetField(p.Name, BindingFlags.Public | BindingFlags.Instance) is { } field) field.SetValue(Instance, p.Value);
        }
        if (setUp) benchmarkCase.Descriptor.GlobalSetupMethod?.Invoke(Instance, null);
        SetUp = setUp;
    }

    private bool SetUp { get; }

    /// <summary>Runs the benchmark method once (with the iteration setup and cleanup around it, if any).</summary>
    public void Invoke()
    {
        var d = benchmarkCase.Descriptor;
        d.IterationSetupMethod?.Invoke(Instance, null);
        d.WorkloadMethod.Invoke(Instance, null);
        d.IterationCleanupMethod?.Invoke(Instance, null);
    }

    /// <summary>Runs [GlobalCleanup] if setup ran.</summary>
    public void Dispose()
    {
        if (SetUp) benchmarkCase.Descriptor.GlobalCleanupMethod?.Invoke(Instance, null);
    }
}
