using static TorchSharp.torch;

namespace LossLab.Registry;

/// <summary>
/// One setting that <c>losslab gradcheck</c> evaluates: parameter values and a generator of float64 inputs.
/// </summary>
/// <param name="Label">A short description (shape and parameters).</param>
/// <param name="Params">Parameter values as text.</param>
/// <param name="MakeInputs">Makes the inputs from a seeded generator, in float64 (labels in int64).</param>
public sealed record GradcheckCase(string Label, IReadOnlyDictionary<string, string> Params, Func<Generator, Dictionary<string, Tensor>> MakeInputs)
{
    /// <summary>The inputs to differentiate, when not every differentiable input of the entry (null: all of them).</summary>
    public IReadOnlyList<string>? Wrt { get; init; }

    /// <summary>Builds a case from "key=value" pairs.</summary>
    public static GradcheckCase Of(string label, Func<Generator, Dictionary<string, Tensor>> make, params (string key, string value)[] ps) =>
        new(label, ps.ToDictionary(p => p.key, p => p.value), make);
}
