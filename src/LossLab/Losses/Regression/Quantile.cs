using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Quantile (pinball) loss (Koenker &amp; Bassett 1978), for one quantile or several at once: per element, with the
    /// residual <c>r = target - input</c> and the quantile level <c>q</c>, <c>max(q r, (q - 1) r)</c>, i.e. <c>q r</c> for
    /// under-prediction (<c>r &gt;= 0</c>) and <c>(1 - q) |r|</c> for over-prediction.
    /// </summary>
    /// <remarks>
    /// <para>Minimising its expectation makes the prediction the q-quantile of the target's distribution; q = 0.5 gives
    /// half the absolute error (the median). Use it for prediction intervals and probabilistic forecasts (as
    /// pytorch-forecasting's <c>QuantileLoss</c>, Keras/TFA's <c>PinballLoss</c>).</para>
    /// <para>Shapes. With one quantile, <paramref name="input"/> and <paramref name="target"/> have the same shape. With
    /// Q quantiles, the last dimension of <paramref name="input"/> holds one prediction per quantile, (*, Q), and
    /// <paramref name="target"/> is (*), (*, 1) (broadcast over the quantiles) or (*, Q). The gradient with respect to the
    /// input is <c>-q</c> where <c>r &gt;= 0</c> (also at r = 0) and <c>1 - q</c> elsewhere; gradients flow to both tensors.</para>
    /// <code>
    /// // three quantiles at once: pred (N, 3), y (N)
    /// var loss = Losses.quantile_loss(pred, y, quantiles: new[] { 0.1, 0.5, 0.9 });
    /// </code>
    /// </remarks>
    /// <param name="input">Predictions: any shape with one quantile; (*, Q) with Q quantiles.</param>
    /// <param name="target">Targets: the shape of <paramref name="input"/>, or that shape without (or with 1 in) its last dimension.</param>
    /// <param name="quantiles">The quantile levels, each in [0, 1]; null means { 0.5 }.</param>
    /// <param name="reduction">none: per-element losses, the shape of <paramref name="input"/>; mean over all elements (samples and quantiles); sum.</param>
    /// <returns>A scalar, or the per-element losses for reduction none.</returns>
    public static Tensor quantile_loss(Tensor input, Tensor target, double[]? quantiles = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "quantile_loss";
        Check.Floating(input, name, nameof(input));
        Check.Floating(target, name, nameof(target));
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));
        Reduce.NoBatchMean(reduction, name);
        var q = quantiles ?? [0.5];
        Check.Param(q.Length > 0, name, nameof(quantiles), "a non-empty list", "an empty list");
        foreach (var level in q)
            Check.Param(level >= 0 && level <= 1, name, nameof(quantiles), "levels in [0, 1]", level);
        bool unsqueeze = QuantileTargetNeedsUnsqueeze(input, target, q.Length, name);

        using var scope = NewDisposeScope();
        var t = unsqueeze ? target.unsqueeze(-1) : target;
        var levels = torch.tensor(q, dtype: input.dtype, device: input.device);
        var r = t - input;
        var loss = torch.where(r.ge(0), levels * r, (levels - 1.0) * r);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }

    /// <summary>Checks quantile_loss's shapes; true when the target lacks the input's quantile dimension.</summary>
    private static bool QuantileTargetNeedsUnsqueeze(Tensor input, Tensor target, int quantiles, string name)
    {
        var ins = input.shape;
        var ts = target.shape;
        if (quantiles > 1 && (ins.Length == 0 || ins[^1] != quantiles))
            throw new ArgumentException($"{name}: 'input' must have {quantiles} entries (one per quantile) in its last dimension, got shape {Check.Shape(input)}", nameof(input));
        if (ins.SequenceEqual(ts)) return false;
        if (ins.Length > 0 && ins[..^1].SequenceEqual(ts)) return true;
        if (ins.Length > 0 && ts.Length == ins.Length && ts[^1] == 1 && ins[..^1].SequenceEqual(ts[..^1])) return false;
        throw new ArgumentException($"{name}: 'target' must have the shape of 'input' {Check.Shape(input)}, that shape with the last dimension 1, or that shape without its last dimension; got {Check.Shape(target)}", nameof(target));
    }
}

/// <summary>The quantile (pinball) loss as a module; see <see cref="Losses.quantile_loss"/>.</summary>
public sealed class QuantileLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double[] quantiles;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.quantile_loss"/>.</summary>
    public QuantileLoss(double[]? quantiles = null, Reduction reduction = Reduction.Mean) : base(nameof(QuantileLoss))
    {
        this.quantiles = (double[])(quantiles ?? [0.5]).Clone();
        Check.Param(this.quantiles.Length > 0, nameof(QuantileLoss), nameof(quantiles), "a non-empty list", "an empty list");
        foreach (var level in this.quantiles)
            Check.Param(level >= 0 && level <= 1, nameof(QuantileLoss), nameof(quantiles), "levels in [0, 1]", level);
        Reduce.NoBatchMean(reduction, nameof(QuantileLoss));
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.quantile_loss(input, target, quantiles, reduction);
}

internal sealed class QuantileDefinition : LossDefinition
{
    public override string Name => "quantile";
    public override string Family => "regression";
    public override string Summary => "Quantile (pinball) loss for one or several quantile levels at once.";
    public override string Math => "r = target - input;  l = max(q r, (q - 1) r) per element and quantile level q";
    public override string Reference => "Koenker & Bassett 1978, Regression Quantiles; pytorch-forecasting QuantileLoss; tfa.losses.PinballLoss";
    public override string Function => "Losses.quantile_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.FloatList("quantiles", "0.5", "quantile levels, one per entry of input's last dimension when more than one", min: 0, max: 1),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) predictions, or (*, Q) with Q quantiles"),
        InputSpec.Grad("target", "(*), (*, 1) or the shape of input"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.quantile_loss(x.Required("input"), x.Required("target"), p.FloatList("quantiles"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,3) median mean", g => HuberLossDefinition.AwayFromThreshold(g, [6, 3], 1.0));
        yield return GradcheckCase.Of("(5,3) q=0.1;0.5;0.9 target (5) sum", g => new() { ["input"] = Sample.Normal(g, [5, 3]), ["target"] = Sample.Normal(g, [5]) }, ("quantiles", "0.1;0.5;0.9"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(4,2) q=0.25;0.75 target (4,1) none", g => new() { ["input"] = Sample.Normal(g, [4, 2]), ["target"] = Sample.Normal(g, [4, 1]) }, ("quantiles", "0.25;0.75"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) q=0.9", g => HuberLossDefinition.AwayFromThreshold(g, [1, 4], 1.0), ("quantiles", "0.9"));
    }
}
