using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Negative log-likelihood of a Laplace distribution with predicted location and scale: per element
    /// <c>log(scale) + |target - input| / scale</c>, plus <c>log 2</c> when <paramref name="full"/> (the density is
    /// <c>exp(-|x - mu| / b) / (2 b)</c>).
    /// </summary>
    /// <remarks>
    /// <para>The L1 counterpart of <see cref="gaussian_nll_loss"/>: the model predicts a location (the conditional median)
    /// and a scale b (its mean absolute deviation), so it learns heteroscedastic uncertainty with the robustness of the
    /// absolute error (Kendall &amp; Gal 2017 use it for aleatoric uncertainty in regression). With a fixed scale it is
    /// the L1 loss up to constants.</para>
    /// <para>Every scale must be &gt; 0 (checked before computing; predict it through softplus or exp). The scale broadcasts
    /// to the input's shape (e.g. (N, 1) for one scale per row, or a single value); the target has the input's shape.
    /// Gradients: <c>-sign(target - input) / b</c> to the input (0 where they are equal), the opposite to the target,
    /// and <c>1 / b - |target - input| / b^2</c> to the scale.</para>
    /// <code>
    /// var (loc, rawScale) = model.forward(x);
    /// var loss = Losses.laplace_nll_loss(loc, y, torch.nn.functional.softplus(rawScale) + 1e-3);
    /// </code>
    /// </remarks>
    /// <param name="input">Predicted locations (medians), any shape, floating-point.</param>
    /// <param name="target">Observations, the shape of <paramref name="input"/>.</param>
    /// <param name="scale">Predicted scales b &gt; 0, broadcasting to the shape of <paramref name="input"/>.</param>
    /// <param name="full">Whether to add the constant <c>log 2</c>.</param>
    /// <param name="reduction">none: per-element losses, the shape of <paramref name="input"/>; mean (over all elements); sum.</param>
    /// <returns>A scalar, or the per-element losses for reduction none.</returns>
    public static Tensor laplace_nll_loss(Tensor input, Tensor target, Tensor scale, bool full = false, Reduction reduction = Reduction.Mean)
    {
        const string name = "laplace_nll_loss";
        Check.ElementwisePair(input, target, name);
        Check.Floating(scale, name, nameof(scale));
        Check.BroadcastsTo(scale, input.shape, name, nameof(scale), "the input's shape");
        Check.SameDevice(name, (input, nameof(input)), (scale, nameof(scale)));
        Reduce.NoBatchMean(reduction, name);
        Check.ValuesAbove(scale, 0, name, nameof(scale), "scales of a Laplace distribution");

        using var scope = NewDisposeScope();
        var loss = scale.log() + (target - input).abs() / scale;
        if (full) loss = loss + System.Math.Log(2.0);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The Laplace negative log-likelihood as a module, <c>forward(input, target, scale)</c>; see <see cref="Losses.laplace_nll_loss"/>.</summary>
public sealed class LaplaceNllLoss : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly bool full;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.laplace_nll_loss"/>.</summary>
    public LaplaceNllLoss(bool full = false, Reduction reduction = Reduction.Mean) : base(nameof(LaplaceNllLoss))
    {
        Reduce.NoBatchMean(reduction, nameof(LaplaceNllLoss));
        this.full = full;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target, Tensor scale) => Losses.laplace_nll_loss(input, target, scale, full, reduction);
}

internal sealed class LaplaceNllDefinition : LossDefinition
{
    public override string Name => "laplace_nll";
    public override string Family => "regression";
    public override string Summary => "Laplace negative log-likelihood with predicted location and scale (the L1 counterpart of gaussian_nll_loss).";
    public override string Math => "l = log(scale) + |target - input| / scale  [+ log 2 if full];  scale > 0";
    public override string Reference => "Kendall & Gal 2017, What Uncertainties Do We Need in Bayesian Deep Learning for Computer Vision?";
    public override string Function => "Losses.laplace_nll_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Bool("full", false, "add the constant log 2"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) predicted locations"),
        InputSpec.Grad("target", "(*) observations, the shape of input"),
        InputSpec.Grad("scale", "scales > 0, broadcasting to the shape of input"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.laplace_nll_loss(x.Required("input"), x.Required("target"), x.Required("scale"), p.Bool("full"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> Make(Generator g, long[] shape, long[] scaleShape)
        {
            var d = HuberLossDefinition.AwayFromThreshold(g, shape, 1.0);
            d["scale"] = Sample.Uniform(g, scaleShape, 0.2, 2);
            return d;
        }
        yield return GradcheckCase.Of("(6,3) mean", g => Make(g, [6, 3], [6, 3]));
        yield return GradcheckCase.Of("(5,3) scale (5,1) full sum", g => Make(g, [5, 3], [5, 1]), ("full", "true"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(7) scalar scale none", g => Make(g, [7], []), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) mean", g => Make(g, [1, 4], [1, 4]));
    }
}
