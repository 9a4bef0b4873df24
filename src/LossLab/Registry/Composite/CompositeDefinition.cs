using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Registry.Composite;

/// <summary>
/// A composite spec seen as a registry entry, so that gradcheck (and anything else that takes a
/// <see cref="LossDefinition"/>) can check it: its inputs are the union of its terms' inputs, its held terms the
/// union of theirs, and its gradcheck settings are its first term's inputs (the spec fixes every parameter).
/// </summary>
public sealed class CompositeDefinition : LossDefinition
{
    private readonly CompositeLoss loss;

    /// <summary>Wraps a composite spec.</summary>
    public CompositeDefinition(string spec) => loss = new CompositeLoss(spec);

    /// <inheritdoc/>
    public override string Name => loss.Spec;
    /// <inheritdoc/>
    public override string Family => "composite";
    /// <inheritdoc/>
    public override string Summary => "A weighted sum of registry losses.";
    /// <inheritdoc/>
    public override string Math => "sum_k w_k(step) * L_k";
    /// <inheritdoc/>
    public override string Reference => "LossLab composite specs";
    /// <inheritdoc/>
    public override string Function => "CompositeLoss.Forward";
    /// <inheritdoc/>
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [];
    /// <inheritdoc/>
    public override IReadOnlyList<InputSpec> Inputs => loss.Definitions.SelectMany(d => d.Inputs).GroupBy(i => i.Name).Select(g => g.First() with { Required = g.Any(i => i.Required), Differentiable = g.Any(i => i.Differentiable) }).ToList();
    /// <inheritdoc/>
    public override IReadOnlyList<string> HeldTerms => loss.Definitions.SelectMany(d => d.HeldTerms).Distinct().ToList();

    /// <inheritdoc/>
    public override Tensor Compute(LossInputs inputs, LossParameters p) =>
        loss.Forward(inputs.Names.ToDictionary(n => n, n => inputs.Required(n)));

    /// <summary>The first term's settings that every term accepts (a 4-d input, say, only where all terms take one).</summary>
    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        foreach (var c in loss.Definitions[0].GradcheckCases())
        {
            bool accepted;
            using (var scope = NewDisposeScope())
            {
                try
                {
                    loss.Forward(c.MakeInputs(new Generator(1)));
                    accepted = true;
                }
                catch (ArgumentException)
                {
                    accepted = false;
                }
            }
            if (accepted) yield return c with { Params = new Dictionary<string, string>() };
        }
    }
}
