using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Mean absolute error, as <c>torch.nn.functional.l1_loss</c>: per element <c>|input - target|</c>.
    /// </summary>
    /// <remarks>
    /// The gradient at <c>input == target</c> is 0, as PyTorch's. Gradients flow to both tensors. Shapes must agree
    /// exactly (PyTorch broadcasts with a warning).
    /// <code>
    /// var loss = Losses.l1_loss(prediction, target, Reduction.Sum);
    /// </code>
    /// </remarks>
    /// <param name="input">Predictions, any shape, floating-point.</param>
    /// <param name="target">Targets, the shape of <paramref name="input"/>.</param>
    /// <param name="reduction">none: per-element losses; mean (over all elements); sum.</param>
    /// <returns>A scalar, or the per-element losses for reduction none.</returns>
    public static Tensor l1_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        const string name = "l1_loss";
        Check.ElementwisePair(input, target, name);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var loss = (input - target).abs();
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>Mean absolute error as a module; see <see cref="Losses.l1_loss"/>.</summary>
public sealed class L1Loss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.l1_loss"/>.</summary>
    public L1Loss(Reduction reduction = Reduction.Mean) : base(nameof(L1Loss))
    {
        Reduce.NoBatchMean(reduction, "L1Loss");
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.l1_loss(input, target, reduction);
}

internal sealed class L1LossDefinition : LossDefinition
{
    public override string Name => "l1_loss";
    public override string Family => "regression";
    public override string Summary => "Mean absolute error (torch.nn.functional.l1_loss).";
    public override string Math => "l = |input - target|, per element";
    public override string Reference => "torch.nn.functional.l1_loss";
    public override string Function => "Losses.l1_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) predictions"),
        InputSpec.Grad("target", "(*) targets, the shape of input"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.l1_loss(x.Required("input"), x.Required("target"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        // Normal inputs: |input - target| is almost surely far (>> the finite-difference step) from the kink at 0.
        yield return GradcheckCase.Of("(6,3) mean", g => new() { ["input"] = Sample.Normal(g, [6, 3]), ["target"] = Sample.Normal(g, [6, 3]) });
        yield return GradcheckCase.Of("(4,2,3) sum", g => new() { ["input"] = Sample.Normal(g, [4, 2, 3], 2), ["target"] = Sample.Normal(g, [4, 2, 3]) }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(5) none", g => new() { ["input"] = Sample.Normal(g, [5]), ["target"] = Sample.Normal(g, [5]) }, ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) mean", g => new() { ["input"] = Sample.Normal(g, [1, 4]), ["target"] = Sample.Normal(g, [1, 4]) });
    }
}
