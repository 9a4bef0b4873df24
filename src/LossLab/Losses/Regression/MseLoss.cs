using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Mean squared error, as <c>torch.nn.functional.mse_loss</c>: per element <c>(input - target)^2</c>.
    /// </summary>
    /// <remarks>
    /// Gradients flow to both <paramref name="input"/> and <paramref name="target"/>. Unlike PyTorch, shapes must agree
    /// exactly (PyTorch broadcasts with a warning, which is almost always a bug).
    /// <code>
    /// var loss = Losses.mse_loss(prediction, target);                     // scalar
    /// var each = Losses.mse_loss(prediction, target, Reduction.None);     // same shape as prediction
    /// </code>
    /// </remarks>
    /// <param name="input">Predictions, any shape, floating-point.</param>
    /// <param name="target">Targets, the shape of <paramref name="input"/>.</param>
    /// <param name="reduction">none: per-element losses; mean (over all elements); sum.</param>
    /// <returns>A scalar, or the per-element losses for reduction none.</returns>
    public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        const string name = "mse_loss";
        Check.ElementwisePair(input, target, name);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var loss = (input - target).square();
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>Mean squared error as a module; see <see cref="Losses.mse_loss"/>.</summary>
public sealed class MseLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.mse_loss"/>.</summary>
    public MseLoss(Reduction reduction = Reduction.Mean) : base(nameof(MseLoss))
    {
        Reduce.NoBatchMean(reduction, "MseLoss");
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.mse_loss(input, target, reduction);
}

internal sealed class MseLossDefinition : LossDefinition
{
    public override string Name => "mse_loss";
    public override string Family => "regression";
    public override string Summary => "Mean squared error (torch.nn.functional.mse_loss).";
    public override string Math => "l = (input - target)^2, per element";
    public override string Reference => "torch.nn.functional.mse_loss";
    public override string Function => "Losses.mse_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) predictions"),
        InputSpec.Grad("target", "(*) targets, the shape of input"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.mse_loss(x.Required("input"), x.Required("target"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,3) mean", g => new() { ["input"] = Sample.Normal(g, [6, 3]), ["target"] = Sample.Normal(g, [6, 3]) });
        yield return GradcheckCase.Of("(4,2,3) sum", g => new() { ["input"] = Sample.Normal(g, [4, 2, 3], 2), ["target"] = Sample.Normal(g, [4, 2, 3]) }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(5) none", g => new() { ["input"] = Sample.Normal(g, [5]), ["target"] = Sample.Normal(g, [5]) }, ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) mean", g => new() { ["input"] = Sample.Normal(g, [1, 4]), ["target"] = Sample.Normal(g, [1, 4]) });
    }
}
