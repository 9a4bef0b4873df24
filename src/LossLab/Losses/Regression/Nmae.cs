using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>What <see cref="Losses.nmae_loss"/> divides the absolute errors by.</summary>
public enum NmaeNormalization
{
    /// <summary>The range of the target, <c>max(target) - min(target)</c>.</summary>
    Range,
    /// <summary>The magnitude of the target's mean, <c>|mean(target)|</c>.</summary>
    Mean,
}

public static partial class Losses
{
    /// <summary>
    /// Normalised mean absolute error: the mean absolute error divided by the target's range
    /// (<c>max(target) - min(target)</c>) or by the magnitude of its mean (<c>|mean(target)|</c>), both taken over the
    /// whole target tensor.
    /// </summary>
    /// <remarks>
    /// <para>A scale-free error that can be compared across series or data sets of different units (common in energy and
    /// load forecasting, where NMAE is reported as a fraction of the range or of the mean). Range normalisation needs a
    /// target that varies; mean normalisation a target whose mean is not 0. A normaliser of 0 (a constant target, a
    /// single element, a zero-mean target) is an error naming the target, raised before any computation, rather than an
    /// infinite loss.</para>
    /// <para>The normaliser is part of the computation (its gradient with respect to the target flows through max/min or
    /// the mean); the input's gradient is <c>sign(input - target) / (n * normaliser)</c>, 0 where input = target.
    /// Reductions: none, the per-element <c>|input - target| / normaliser</c>; mean, their mean (the NMAE); sum, their sum.</para>
    /// <code>
    /// var loss = Losses.nmae_loss(forecast, load, NmaeNormalization.Mean);
    /// </code>
    /// Reference: Hyndman &amp; Koehler 2006, Another look at measures of forecast accuracy (scaled and relative errors).
    /// </remarks>
    /// <param name="input">Predictions, any shape, floating-point, at least one element.</param>
    /// <param name="target">Targets, the shape of <paramref name="input"/>.</param>
    /// <param name="normalization">Divide by the target's range or by the magnitude of its mean.</param>
    /// <param name="reduction">none: per-element normalised errors; mean (the NMAE); sum.</param>
    /// <returns>A scalar, or the per-element values for reduction none.</returns>
    /// <exception cref="ArgumentException">The normaliser is 0 (or not finite), or the tensors do not match.</exception>
    public static Tensor nmae_loss(Tensor input, Tensor target, NmaeNormalization normalization = NmaeNormalization.Range, Reduction reduction = Reduction.Mean)
    {
        const string name = "nmae_loss";
        Check.ElementwisePair(input, target, name);
        Check.HasSamples(input, name, nameof(input));
        Reduce.NoBatchMean(reduction, name);
        string what = normalization == NmaeNormalization.Range ? "the range max - min of the target" : "the magnitude of the target's mean";
        using (NewDisposeScope())
        using (torch.no_grad())
            Check.NonZeroNormaliser(NmaeNormaliser(target, normalization).to_type(ScalarType.Float64).item<double>(), name, nameof(target), what);

        using var scope = NewDisposeScope();
        var loss = (input - target).abs() / NmaeNormaliser(target, normalization);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }

    private static Tensor NmaeNormaliser(Tensor target, NmaeNormalization normalization) =>
        normalization == NmaeNormalization.Range ? target.max() - target.min() : target.mean().abs();
}

/// <summary>The normalised mean absolute error as a module; see <see cref="Losses.nmae_loss"/>.</summary>
public sealed class NmaeLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly NmaeNormalization normalization;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.nmae_loss"/>.</summary>
    public NmaeLoss(NmaeNormalization normalization = NmaeNormalization.Range, Reduction reduction = Reduction.Mean) : base(nameof(NmaeLoss))
    {
        Reduce.NoBatchMean(reduction, nameof(NmaeLoss));
        this.normalization = normalization;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.nmae_loss(input, target, normalization, reduction);
}

internal sealed class NmaeDefinition : LossDefinition
{
    public override string Name => "nmae";
    public override string Family => "regression";
    public override string Summary => "Mean absolute error normalised by the target's range or by the magnitude of its mean.";
    public override string Math => "l = |input - target| / s,  s = max(target) - min(target) (range) or |mean(target)| (mean), over the whole target";
    public override string Reference => "Hyndman & Koehler 2006, Another look at measures of forecast accuracy";
    public override string Function => "Losses.nmae_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("normalization", "range", "divide by the target's range or by |mean(target)|", "range", "mean"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) predictions"),
        InputSpec.Data("target", "(*) targets, the shape of input; not constant (range) or with a non-zero mean (mean)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.nmae_loss(x.Required("input"), x.Required("target"), p.Choice("normalization") == "mean" ? NmaeNormalization.Mean : NmaeNormalization.Range, p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,3) range mean", g => HuberLossDefinition.AwayFromThreshold(g, [6, 3], 1.0));
        yield return GradcheckCase.Of("(4,2,3) mean-normalised sum", g => Shifted(HuberLossDefinition.AwayFromThreshold(g, [4, 2, 3], 1.0)), ("normalization", "mean"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(7) range none", g => HuberLossDefinition.AwayFromThreshold(g, [7], 0.5), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) mean-normalised", g => Shifted(HuberLossDefinition.AwayFromThreshold(g, [1, 4], 1.0)), ("normalization", "mean"));
    }

    /// <summary>Moves input and target by 5 so that the target's mean is far from 0.</summary>
    private static Dictionary<string, Tensor> Shifted(Dictionary<string, Tensor> d) => d.ToDictionary(kv => kv.Key, kv => kv.Value + 5.0);
}
