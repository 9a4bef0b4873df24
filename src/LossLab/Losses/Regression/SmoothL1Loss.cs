using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Smooth L1 loss, as <c>torch.nn.functional.smooth_l1_loss</c>: per element, with <c>z = |input - target|</c>,
    /// <c>0.5 z^2 / beta</c> where <c>z &lt; beta</c> and <c>z - 0.5 beta</c> elsewhere; <c>beta = 0</c> is the L1 loss.
    /// </summary>
    /// <remarks>
    /// Unlike <see cref="huber_loss"/>, the linear part has slope 1 whatever <paramref name="beta"/>:
    /// <c>smooth_l1_loss(x, y, beta) == huber_loss(x, y, delta: beta) / beta</c> for beta &gt; 0. Gradients flow to both
    /// tensors. Shapes must agree exactly (PyTorch broadcasts with a warning).
    /// <code>
    /// var loss = Losses.smooth_l1_loss(boxes, targetBoxes, beta: 1.0 / 9);
    /// </code>
    /// </remarks>
    /// <param name="input">Predictions, any shape, floating-point.</param>
    /// <param name="target">Targets, the shape of <paramref name="input"/>.</param>
    /// <param name="reduction">none: per-element losses; mean (over all elements); sum.</param>
    /// <param name="beta">Where the loss turns from quadratic to linear; finite and &gt;= 0 (0: the L1 loss).</param>
    /// <returns>A scalar, or the per-element losses for reduction none.</returns>
    public static Tensor smooth_l1_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0)
    {
        const string name = "smooth_l1_loss";
        Check.ElementwisePair(input, target, name);
        Check.Param(beta >= 0 && double.IsFinite(beta), name, nameof(beta), "a finite number >= 0", beta);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var d = input - target;
        var z = d.abs();
        var loss = beta == 0 ? z : torch.where(z.lt(beta), (0.5 / beta) * d.square(), z - 0.5 * beta);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The smooth L1 loss as a module; see <see cref="Losses.smooth_l1_loss"/>.</summary>
public sealed class SmoothL1Loss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;
    private readonly double beta;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.smooth_l1_loss"/>.</summary>
    public SmoothL1Loss(Reduction reduction = Reduction.Mean, double beta = 1.0) : base(nameof(SmoothL1Loss))
    {
        Check.Param(beta >= 0 && double.IsFinite(beta), "SmoothL1Loss", nameof(beta), "a finite number >= 0", beta);
        Reduce.NoBatchMean(reduction, "SmoothL1Loss");
        this.reduction = reduction;
        this.beta = beta;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.smooth_l1_loss(input, target, reduction, beta);
}

internal sealed class SmoothL1LossDefinition : LossDefinition
{
    public override string Name => "smooth_l1_loss";
    public override string Family => "regression";
    public override string Summary => "Smooth L1 loss: quadratic below beta, L1 above (torch.nn.functional.smooth_l1_loss).";
    public override string Math => "z = |input - target|;  l = 0.5 z^2 / beta if z < beta else z - 0.5 beta;  beta = 0: l = z";
    public override string Reference => "Girshick 2015, Fast R-CNN; torch.nn.functional.smooth_l1_loss";
    public override string Function => "Losses.smooth_l1_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("beta", 1.0, "threshold between the quadratic and the linear part (0: L1)", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) predictions"),
        InputSpec.Grad("target", "(*) targets, the shape of input"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.smooth_l1_loss(x.Required("input"), x.Required("target"), p.Reduction, p.Float("beta"));

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        foreach (var (shape, beta, red) in new (long[], string, string)[] { ([6, 3], "1", "mean"), ([4, 2, 3], "0.3", "sum"), ([7], "2.5", "none"), ([1, 5], "0", "mean") })
        {
            double b = double.Parse(beta, System.Globalization.CultureInfo.InvariantCulture);
            yield return GradcheckCase.Of($"({string.Join(",", shape)}) beta={beta} {red}",
                g => HuberLossDefinition.AwayFromThreshold(g, shape, b == 0 ? 1.0 : b), ("beta", beta), ("reduction", red));
        }
    }
}
