using static TorchSharp.torch;

namespace LossLab.Registry;

/// <summary>
/// A metric as the registry knows it (ECE, AUROC, ...): name, documentation, parameters, inputs and how to compute
/// it. Every non-abstract subclass with a parameterless constructor in the LossLab assembly is registered.
/// </summary>
public abstract class MetricDefinition
{
    /// <summary>The registry name (e.g. <c>ece</c>).</summary>
    public abstract string Name { get; }
    /// <summary>calibration, ood, ranking, ...</summary>
    public abstract string Family { get; }
    /// <summary>One line saying what it is.</summary>
    public abstract string Summary { get; }
    /// <summary>The formula, in plain text.</summary>
    public abstract string Math { get; }
    /// <summary>The paper or implementation it follows.</summary>
    public abstract string Reference { get; }
    /// <summary>The C# function that computes it.</summary>
    public abstract string Function { get; }
    /// <summary>Its parameters.</summary>
    public abstract IReadOnlyList<ParamSpec> Parameters { get; }
    /// <summary>Its tensor inputs.</summary>
    public abstract IReadOnlyList<InputSpec> Inputs { get; }
    /// <summary>Computes the metric (a scalar tensor, float64).</summary>
    public abstract Tensor Compute(LossInputs inputs, LossParameters p);

    /// <summary>Computes the metric from named tensors and parameters as text.</summary>
    public Tensor Compute(IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyDictionary<string, string>? parameters = null)
    {
        LossDefinition.CheckInputNames(Name, Inputs, inputs);
        return Compute(new LossInputs(Name, inputs), LossParameters.Parse(Name, Parameters, parameters));
    }
}
