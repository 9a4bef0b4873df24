using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Soft Tversky loss (Salehi et al. 2017) for segmentation from logits: per sample and class
    /// <c>(1 - TI)^gamma</c>, <c>TI = (TP + smooth) / (TP + alpha * FP + beta * FN + smooth)</c>, with the soft counts
    /// <c>TP = sum(p t)</c>, <c>FP = sum(p (1 - t))</c>, <c>FN = sum((1 - p) t)</c> over the spatial positions.
    /// </summary>
    /// <remarks>
    /// <para><b>When to use it.</b> Like <see cref="dice_loss"/>, for imbalanced segmentation, when false negatives and
    /// false positives should cost differently: beta &gt; alpha (e.g. alpha 0.3, beta 0.7, the paper's choice) favours
    /// recall of small structures. alpha = beta = 0.5 is the Dice loss (exactly with smooth = 0); alpha = beta = 1 is
    /// the soft Jaccard (IoU) loss. gamma &gt; 1 gives the focal Tversky loss of Abraham and Khan 2019 in
    /// segmentation_models_pytorch's form <c>(1 - TI)^gamma</c>, which emphasises hard classes; gamma &lt; 1 has a finite
    /// gradient too (0 where TI = 1).</para>
    /// <para>Inputs, activations, <paramref name="include_background"/>, <paramref name="batch"/>,
    /// <paramref name="ignore_index"/>, <paramref name="weight"/> and the reductions are those of <see cref="dice_loss"/>;
    /// a zero denominator gives TI = 1. Values and gradients stay finite for logits of magnitude 1e4 in float32.</para>
    /// <code>
    /// var loss = Losses.tversky_loss(logits, masks, alpha: 0.3, beta: 0.7);
    /// </code>
    /// Reference: Salehi, Erdogmus, Gholipour 2017, "Tversky loss function for image segmentation using 3D fully
    /// convolutional deep networks"; Abraham and Khan 2019 (focal Tversky); segmentation_models_pytorch, <c>TverskyLoss</c>.
    /// </remarks>
    /// <param name="input">Logits (or probabilities with <see cref="OverlapActivation.None"/>), shape (N, C, d1, ..., dk).</param>
    /// <param name="target">Class indices (N, d1, ..., dk), or per-class targets in [0, 1] of the input's shape.</param>
    /// <param name="alpha">Weight of the false positives, &gt;= 0.</param>
    /// <param name="beta">Weight of the false negatives, &gt;= 0.</param>
    /// <param name="gamma">Focal exponent, &gt; 0 (1: the plain Tversky loss).</param>
    /// <param name="activation">Softmax (default), sigmoid, or none.</param>
    /// <param name="smooth">Added to numerator and denominator, &gt;= 0.</param>
    /// <param name="include_background">Whether class 0 counts.</param>
    /// <param name="batch">Sum over the batch too: one value per class.</param>
    /// <param name="ignore_index">A class-index target value whose positions are left out.</param>
    /// <param name="weight">Optional per-class weights, shape (C).</param>
    /// <param name="reduction">none: per sample and class (N, C') or per class (C') with batch; mean; sum.</param>
    /// <returns>A scalar, or the per-(sample,) class losses for reduction none.</returns>
    public static Tensor tversky_loss(Tensor input, Tensor target, double alpha = 0.5, double beta = 0.5, double gamma = 1.0, OverlapActivation activation = OverlapActivation.Softmax,
        double smooth = 1e-5, bool include_background = true, bool batch = false, long ignore_index = -100, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "tversky_loss";
        Check.Param(alpha >= 0 && double.IsFinite(alpha), name, nameof(alpha), "a finite number >= 0", alpha);
        Check.Param(beta >= 0 && double.IsFinite(beta), name, nameof(beta), "a finite number >= 0", beta);
        Check.Param(gamma > 0 && double.IsFinite(gamma), name, nameof(gamma), "a finite number > 0", gamma);
        SoftOverlap.Validate(name, input, target, activation, smooth, include_background, ignore_index, weight, reduction);

        using var scope = NewDisposeScope();
        var (tp, predicted, actual) = SoftOverlap.Sums(input, target, activation, include_background, batch, false, ignore_index);
        var fp = predicted - tp;
        var fn = actual - tp;
        var index = SoftOverlap.Ratio(tp + smooth, tp + alpha * fp + beta * fn + smooth);
        var q = 1.0 - index;
        var loss = gamma == 1.0 ? q : FocalModulator(q, torch.full_like(q, gamma));
        return SoftOverlap.Finish(loss, weight, include_background, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The soft (focal) Tversky loss as a module; see <see cref="Losses.tversky_loss"/>.</summary>
public sealed class TverskyLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double alpha;
    private readonly double beta;
    private readonly double gamma;
    private readonly OverlapActivation activation;
    private readonly double smooth;
    private readonly bool includeBackground;
    private readonly bool batch;
    private readonly long ignoreIndex;
    private readonly Tensor? weight;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.tversky_loss"/>.</summary>
    public TverskyLoss(double alpha = 0.5, double beta = 0.5, double gamma = 1.0, OverlapActivation activation = OverlapActivation.Softmax, double smooth = 1e-5,
        bool include_background = true, bool batch = false, long ignore_index = -100, Tensor? weight = null, Reduction reduction = Reduction.Mean) : base(nameof(TverskyLoss))
    {
        Check.Param(alpha >= 0 && double.IsFinite(alpha), nameof(TverskyLoss), nameof(alpha), "a finite number >= 0", alpha);
        Check.Param(beta >= 0 && double.IsFinite(beta), nameof(TverskyLoss), nameof(beta), "a finite number >= 0", beta);
        Check.Param(gamma > 0 && double.IsFinite(gamma), nameof(TverskyLoss), nameof(gamma), "a finite number > 0", gamma);
        Check.Param(smooth >= 0 && double.IsFinite(smooth), nameof(TverskyLoss), nameof(smooth), "a finite number >= 0", smooth);
        Reduce.NoBatchMean(reduction, nameof(TverskyLoss));
        this.alpha = alpha;
        this.beta = beta;
        this.gamma = gamma;
        this.activation = activation;
        this.smooth = smooth;
        includeBackground = include_background;
        this.batch = batch;
        ignoreIndex = ignore_index;
        this.weight = weight;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) =>
        Losses.tversky_loss(input, target, alpha, beta, gamma, activation, smooth, includeBackground, batch, ignoreIndex, weight, reduction);
}

internal sealed class TverskyDefinition : LossDefinition
{
    public override string Name => "tversky";
    public override string Family => "classification";
    public override string Summary => "Soft (focal) Tversky loss for segmentation: Dice with separate weights on false positives and false negatives.";
    public override string Math => "TP = sum p t, FP = sum p (1-t), FN = sum (1-p) t; l_nc = (1 - (TP + smooth) / (TP + alpha FP + beta FN + smooth))^gamma";
    public override string Reference => "Salehi et al. 2017, Tversky loss function for image segmentation; Abraham and Khan 2019, focal Tversky loss";
    public override string Function => "Losses.tversky_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("alpha", 0.5, "weight of the false positives", min: 0),
        ParamSpec.Float("beta", 0.5, "weight of the false negatives", min: 0),
        ParamSpec.Float("gamma", 1.0, "focal exponent on 1 - TI", min: 0, minExclusive: true),
        .. SoftOverlap.CommonParameters,
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs => SoftOverlap.Inputs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.tversky_loss(x.Required("input"), x.Required("target"), p.Float("alpha"), p.Float("beta"), p.Float("gamma"), SoftOverlap.Activation(p),
            p.Float("smooth"), p.Bool("include_background"), p.Bool("batch"), p.Int("ignore_index"), x.Optional("weight"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(2,3,4,4) softmax alpha 0.3 beta 0.7", SoftOverlap.IndexCase, ("alpha", "0.3"), ("beta", "0.7"));
        yield return GradcheckCase.Of("(2,3,5) sigmoid focal gamma 2, batch, none", SoftOverlap.MultiLabelCase, ("activation", "sigmoid"), ("gamma", "2"), ("batch", "true"), ("reduction", "none"));
        yield return GradcheckCase.Of("(3,4,6) gamma 0.75, no background, weighted, ignore, sum", SoftOverlap.WeightedIgnoreCase,
            ("gamma", "0.75"), ("include_background", "false"), ("reduction", "sum"), ("smooth", "1"));
        yield return GradcheckCase.Of("(1,2,8) probabilities soft targets alpha=beta=1", SoftOverlap.ProbabilityCase, ("activation", "none"), ("alpha", "1"), ("beta", "1"));
    }
}
