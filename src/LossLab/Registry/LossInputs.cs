using static TorchSharp.torch;

namespace LossLab.Registry;

/// <summary>The named tensors passed to a registered loss or metric.</summary>
public sealed class LossInputs
{
    private readonly IReadOnlyDictionary<string, Tensor> tensors;
    private readonly string owner;

    /// <summary>Wraps named tensors for the loss or metric <paramref name="owner"/>.</summary>
    public LossInputs(string owner, IReadOnlyDictionary<string, Tensor> tensors)
    {
        this.owner = owner;
        this.tensors = tensors;
    }

    /// <summary>A required input.</summary>
    /// <exception cref="ArgumentException">It was not given.</exception>
    public Tensor Required(string name) =>
        tensors.TryGetValue(name, out var t) ? t : throw new ArgumentException($"{owner}: input '{name}' is required", name);

    /// <summary>An optional input, or null.</summary>
    public Tensor? Optional(string name) => tensors.TryGetValue(name, out var t) ? t : null;

    /// <summary>The names given.</summary>
    public IEnumerable<string> Names => tensors.Keys;
}
