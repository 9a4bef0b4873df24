using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Asymmetric Huber loss: the Huber loss with its own threshold and weight for under-estimation
    /// (<c>input &lt; target</c>) and for over-estimation (<c>input &gt;= target</c>). Per element, with
    /// <c>e = input - target</c>, <c>z = |e|</c> and (delta, scale) the pair of e's side,
    /// <c>scale * 0.5 z^2</c> where <c>z &lt; delta</c> and <c>scale * delta (z - 0.5 delta)</c> elsewhere.
    /// </summary>
    /// <remarks>
    /// <para>Use it when the two kinds of error cost differently (stock-outs against overstock, late against early
    /// arrival): a larger scale on one side moves the minimiser of the expected loss towards that side (for the linear
    /// parts, to the quantile <c>scale_under / (scale_under + scale_over)</c>, as the pinball loss), while the quadratic
    /// core keeps the gradient continuous near zero. With equal deltas and both scales 1 it is
    /// <see cref="huber_loss"/> exactly.</para>
    /// <para>The gradient with respect to the input is <c>scale * clamp(e, -delta, delta)</c> with the side's pair; it is 0
    /// at e = 0 and continuous everywhere. Gradients flow to both tensors, whose shapes must agree.</para>
    /// <code>
    /// // under-forecasting costs three times as much, and turns linear sooner
    /// var loss = Losses.asymmetric_huber_loss(forecast, demand, delta_under: 0.5, scale_under: 3.0);
    /// </code>
    /// Reference: Huber 1964, Robust Estimation of a Location Parameter; the asymmetric weighting as in the pinball loss
    /// (Koenker &amp; Bassett 1978) and expectile regression (Newey &amp; Powell 1987).
    /// </remarks>
    /// <param name="input">Predictions, any shape, floating-point.</param>
    /// <param name="target">Targets, the shape of <paramref name="input"/>.</param>
    /// <param name="delta_under">Threshold of the quadratic part where input &lt; target; finite and &gt; 0.</param>
    /// <param name="delta_over">Threshold of the quadratic part where input &gt;= target; finite and &gt; 0.</param>
    /// <param name="scale_under">Weight of the loss where input &lt; target; finite and &gt;= 0.</param>
    /// <param name="scale_over">Weight of the loss where input &gt;= target; finite and &gt;= 0.</param>
    /// <param name="reduction">none: per-element losses; mean (over all elements); sum.</param>
    /// <returns>A scalar, or the per-element losses for reduction none.</returns>
    public static Tensor asymmetric_huber_loss(Tensor input, Tensor target, double delta_under = 1.0, double delta_over = 1.0, double scale_under = 1.0, double scale_over = 1.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "asymmetric_huber_loss";
        Check.ElementwisePair(input, target, name);
        CheckAsymmetricHuber(name, delta_under, delta_over, scale_under, scale_over);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var e = input - target;
        var z = e.abs();
        var under = e.lt(0);
        var delta = torch.where(under, torch.full_like(e, delta_under), torch.full_like(e, delta_over));
        var scale = torch.where(under, torch.full_like(e, scale_under), torch.full_like(e, scale_over));
        var loss = scale * torch.where(z.lt(delta), 0.5 * e.square(), delta * (z - 0.5 * delta));
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }

    internal static void CheckAsymmetricHuber(string name, double deltaUnder, double deltaOver, double scaleUnder, double scaleOver)
    {
        Check.Param(deltaUnder > 0 && double.IsFinite(deltaUnder), name, "delta_under", "a finite number > 0", deltaUnder);
        Check.Param(deltaOver > 0 && double.IsFinite(deltaOver), name, "delta_over", "a finite number > 0", deltaOver);
        Check.Param(scaleUnder >= 0 && double.IsFinite(scaleUnder), name, "scale_under", "a finite number >= 0", scaleUnder);
        Check.Param(scaleOver >= 0 && double.IsFinite(scaleOver), name, "scale_over", "a finite number >= 0", scaleOver);
    }
}

/// <summary>The asymmetric Huber loss as a module; see <see cref="Losses.asymmetric_huber_loss"/>.</summary>
public sealed class AsymmetricHuberLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double deltaUnder, deltaOver, scaleUnder, scaleOver;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.asymmetric_huber_loss"/>.</summary>
    public AsymmetricHuberLoss(double delta_under = 1.0, double delta_over = 1.0, double scale_under = 1.0, double scale_over = 1.0, Reduction reduction = Reduction.Mean) : base(nameof(AsymmetricHuberLoss))
    {
        Losses.CheckAsymmetricHuber(nameof(AsymmetricHuberLoss), delta_under, delta_over, scale_under, scale_over);
        Reduce.NoBatchMean(reduction, nameof(AsymmetricHuberLoss));
        deltaUnder = delta_under;
        deltaOver = delta_over;
        scaleUnder = scale_under;
        scaleOver = scale_over;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.asymmetric_huber_loss(input, target, deltaUnder, deltaOver, scaleUnder, scaleOver, reduction);
}

internal sealed class AsymmetricHuberDefinition : LossDefinition
{
    public override string Name => "asymmetric_huber";
    public override string Family => "regression";
    public override string Summary => "Huber loss with separate threshold and weight for under- and over-estimation.";
    public override string Math => "e = input - target; (d, s) = (delta_under, scale_under) if e < 0 else (delta_over, scale_over);  l = s * (0.5 e^2 if |e| < d else d (|e| - 0.5 d))";
    public override string Reference => "Huber 1964, Robust Estimation of a Location Parameter; asymmetric weighting as in Koenker & Bassett 1978 and Newey & Powell 1987";
    public override string Function => "Losses.asymmetric_huber_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("delta_under", 1.0, "quadratic-to-linear threshold where input < target", min: 0, minExclusive: true),
        ParamSpec.Float("delta_over", 1.0, "quadratic-to-linear threshold where input >= target", min: 0, minExclusive: true),
        ParamSpec.Float("scale_under", 1.0, "weight of the loss where input < target", min: 0),
        ParamSpec.Float("scale_over", 1.0, "weight of the loss where input >= target", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) predictions"),
        InputSpec.Grad("target", "(*) targets, the shape of input"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.asymmetric_huber_loss(x.Required("input"), x.Required("target"), p.Float("delta_under"), p.Float("delta_over"), p.Float("scale_under"), p.Float("scale_over"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        // Errors are drawn around threshold 1 (in [0.05, 0.8] or [1.25, 3]); the deltas below keep them off both thresholds.
        yield return GradcheckCase.Of("(6,3) defaults mean", g => HuberLossDefinition.AwayFromThreshold(g, [6, 3], 1.0));
        yield return GradcheckCase.Of("(4,2,3) d=0.9/1.1 s=3/1 sum", g => HuberLossDefinition.AwayFromThreshold(g, [4, 2, 3], 1.0),
            ("delta_under", "0.9"), ("delta_over", "1.1"), ("scale_under", "3"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(7) d=4/0.02 s=0.5/2 none", g => HuberLossDefinition.AwayFromThreshold(g, [7], 1.0),
            ("delta_under", "4"), ("delta_over", "0.02"), ("scale_under", "0.5"), ("scale_over", "2"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,5) scale_over=0", g => HuberLossDefinition.AwayFromThreshold(g, [1, 5], 1.0), ("scale_over", "0"));
    }
}
