using static TorchSharp.torch;

namespace LossLab.Registry;

/// <summary>
/// A loss as the registry knows it: its name, documentation, parameters, inputs, the terms it holds constant,
/// how to compute it from named inputs, and the settings gradcheck evaluates. Every non-abstract subclass with a
/// parameterless constructor in the LossLab assembly is registered automatically; others can be added with
/// <see cref="LossCatalog.Register(LossDefinition)"/>.
/// </summary>
public abstract class LossDefinition
{
    /// <summary>The registry name (e.g. <c>focal</c>, <c>iq</c>).</summary>
    public abstract string Name { get; }
    /// <summary>The family (classification, regression, divergence, ranking, metric, contrastive, ...).</summary>
    public abstract string Family { get; }
    /// <summary>One line saying what it is.</summary>
    public abstract string Summary { get; }
    /// <summary>The formula, in plain text.</summary>
    public abstract string Math { get; }
    /// <summary>The paper or implementation it follows.</summary>
    public abstract string Reference { get; }
    /// <summary>The C# function that computes it (e.g. <c>Losses.focal_loss</c>).</summary>
    public abstract string Function { get; }
    /// <summary>Its parameters.</summary>
    public abstract IReadOnlyList<ParamSpec> Parameters { get; }
    /// <summary>Its tensor inputs.</summary>
    public abstract IReadOnlyList<InputSpec> Inputs { get; }
    /// <summary>The terms it holds constant (names passed to <see cref="Autograd.Surrogate.Hold"/>); empty for an exact gradient.</summary>
    public virtual IReadOnlyList<string> HeldTerms => Array.Empty<string>();
    /// <summary>Computes the loss.</summary>
    public abstract Tensor Compute(LossInputs inputs, LossParameters p);
    /// <summary>The settings gradcheck evaluates (several shapes and parameter values).</summary>
    public abstract IEnumerable<GradcheckCase> GradcheckCases();

    /// <summary>
    /// Computes the loss and, for losses made of named terms (IQ Loss's soft-Q, log Z and chi2), the batch means of
    /// those terms for training logs. The default returns no terms.
    /// </summary>
    public virtual (Tensor Loss, IReadOnlyDictionary<string, double>? Terms) ComputeWithTerms(LossInputs inputs, LossParameters p) => (Compute(inputs, p), null);

    /// <summary>Validates parameters given as text.</summary>
    public LossParameters ParseParameters(IReadOnlyDictionary<string, string>? given) => LossParameters.Parse(Name, Parameters, given);

    /// <summary>Computes the loss from named tensors and parameters as text.</summary>
    public Tensor Compute(IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyDictionary<string, string>? parameters = null)
    {
        CheckInputNames(Name, Inputs, inputs);
        return Compute(new LossInputs(Name, inputs), ParseParameters(parameters));
    }

    internal static void CheckInputNames(string owner, IReadOnlyList<InputSpec> specs, IReadOnlyDictionary<string, Tensor> inputs)
    {
        foreach (var key in inputs.Keys)
            if (!specs.Any(s => s.Name == key))
                throw new ArgumentException($"{owner}: unknown input '{key}'; inputs: {string.Join(", ", specs.Select(s => s.Name))}", key);
        foreach (var s in specs)
            if (s.Required && !inputs.ContainsKey(s.Name))
                throw new ArgumentException($"{owner}: input '{s.Name}' {s.Shape} is required", s.Name);
    }
}
