using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Sigmoid focal loss for dense binary (multi-label) targets, exactly as <c>torchvision.ops.sigmoid_focal_loss</c>:
    /// per element <c>alpha_t * (1 - p_t)^gamma * BCE(input, target)</c>, with <c>p = sigmoid(input)</c>,
    /// <c>p_t = p * target + (1 - p) * (1 - target)</c> and <c>alpha_t = alpha * target + (1 - alpha) * (1 - target)</c>.
    /// </summary>
    /// <remarks>
    /// <para>A negative <paramref name="alpha"/> turns the alpha weighting off. Targets may be soft (in [0, 1]).
    /// The default reduction is none, as torchvision's.</para>
    /// <para>Computed in log space: the cross-entropy as <c>-target * logsigmoid(x) - (1 - target) * logsigmoid(-x)</c> and
    /// <c>(1 - p_t)^gamma</c> as <c>exp(gamma * log(1 - p_t))</c> with
    /// <c>log(1 - p_t) = logaddexp(log(1 - target) + logsigmoid(x), log(target) + logsigmoid(-x))</c>. So logits of
    /// magnitude 1e4 in float32 give finite values and gradients (for every gamma &gt;= 0, also below 1), and
    /// <c>1 - p_t</c> keeps its precision when p_t is near 1.</para>
    /// <code>
    /// var loss = Losses.sigmoid_focal_loss(logits, targets, reduction: Reduction.Mean);
    /// </code>
    /// </remarks>
    /// <param name="input">Logits, any shape, floating-point.</param>
    /// <param name="target">Binary (or soft) targets in [0, 1], the shape of <paramref name="input"/>, floating-point.</param>
    /// <param name="alpha">Weight of the positives (1 - alpha for negatives), at most 1; negative: no weighting.</param>
    /// <param name="gamma">The focusing parameter, &gt;= 0; 0 gives (alpha-weighted) binary cross-entropy.</param>
    /// <param name="reduction">none (the default): per-element losses; mean; sum.</param>
    /// <returns>The per-element losses, or a scalar for mean and sum.</returns>
    public static Tensor sigmoid_focal_loss(Tensor input, Tensor target, double alpha = 0.25, double gamma = 2.0, Reduction reduction = Reduction.None)
    {
        const string name = "sigmoid_focal_loss";
        Check.ElementwisePair(input, target, name);
        Check.Param(alpha <= 1 && !double.IsNaN(alpha) && !double.IsNegativeInfinity(alpha), name, nameof(alpha), "<= 1 (negative: no alpha weighting)", alpha);
        Check.Param(gamma >= 0 && double.IsFinite(gamma), name, nameof(gamma), "a finite number >= 0", gamma);
        Reduce.NoBatchMean(reduction, name);
        // the fused kernel checks the targets' range in its own pass over them
        if (Kernels.FusedSigmoidFocal.Applies(input, target))
            return Kernels.FusedSigmoidFocal.Apply(input, target, alpha, gamma, reduction);
        Check.InRange(target, 0, 1, name, nameof(target));

        using var scope = NewDisposeScope();
        var t = target.to_type(input.dtype);
        var logP = input.log_sigmoid();        // log p
        var logNotP = (-input).log_sigmoid();  // log (1 - p)
        var ce = -(t * logP) - (1.0 - t) * logNotP;   // binary cross-entropy with logits
        Tensor loss = ce;
        if (gamma != 0)
        {
            // log(1 - p_t) = log(p (1 - t) + (1 - p) t)
            var logQ = torch.logaddexp(logP + torch.log1p(-t), logNotP + t.log());
            loss = loss * (gamma * logQ).exp();
        }
        if (alpha >= 0) loss = (alpha * t + (1.0 - alpha) * (1.0 - t)) * loss;
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The sigmoid focal loss as a module; see <see cref="Losses.sigmoid_focal_loss"/>.</summary>
public sealed class SigmoidFocalLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double alpha;
    private readonly double gamma;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.sigmoid_focal_loss"/>.</summary>
    public SigmoidFocalLoss(double alpha = 0.25, double gamma = 2.0, Reduction reduction = Reduction.None) : base(nameof(SigmoidFocalLoss))
    {
        Check.Param(alpha <= 1 && !double.IsNaN(alpha) && !double.IsNegativeInfinity(alpha), "SigmoidFocalLoss", nameof(alpha), "<= 1 (negative: no alpha weighting)", alpha);
        Check.Param(gamma >= 0 && double.IsFinite(gamma), "SigmoidFocalLoss", nameof(gamma), "a finite number >= 0", gamma);
        Reduce.NoBatchMean(reduction, "SigmoidFocalLoss");
        this.alpha = alpha;
        this.gamma = gamma;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.sigmoid_focal_loss(input, target, alpha, gamma, reduction);
}

internal sealed class SigmoidFocalLossDefinition : LossDefinition
{
    public override string Name => "sigmoid_focal_loss";
    public override string Family => "classification";
    public override string Summary => "Sigmoid focal loss for dense detection / multi-label targets (torchvision.ops.sigmoid_focal_loss).";
    public override string Math => "p = sigmoid(input); p_t = p t + (1 - p)(1 - t); l = alpha_t (1 - p_t)^gamma BCE(input, t),  alpha_t = alpha t + (1 - alpha)(1 - t) (alpha >= 0)";
    public override string Reference => "Lin et al. 2017, Focal Loss for Dense Object Detection; torchvision.ops.sigmoid_focal_loss";
    public override string Function => "Losses.sigmoid_focal_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("alpha", 0.25, "weight of the positives (1 - alpha for negatives); negative: no weighting", max: 1),
        ParamSpec.Float("gamma", 2.0, "focusing parameter; 0 gives binary cross-entropy", min: 0),
        ParamSpec.Reduction("none"),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) logits"),
        InputSpec.Data("target", "(*) targets in [0, 1], the shape of input"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.sigmoid_focal_loss(x.Required("input"), x.Required("target"), p.Float("alpha"), p.Float("gamma"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) alpha=0.25 gamma=2 none", g => new() { ["input"] = Sample.Normal(g, [6, 4], 2), ["target"] = Sample.Binary(g, [6, 4]) });
        yield return GradcheckCase.Of("(5,3) no alpha gamma=2 mean", g => new() { ["input"] = Sample.Normal(g, [5, 3], 2), ["target"] = Sample.Binary(g, [5, 3]) }, ("alpha", "-1"), ("reduction", "mean"));
        yield return GradcheckCase.Of("(4,5) alpha=0.5 gamma=0 sum", g => new() { ["input"] = Sample.Normal(g, [4, 5]), ["target"] = Sample.Binary(g, [4, 5]) }, ("alpha", "0.5"), ("gamma", "0"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(3,4) soft targets alpha=0.75 gamma=0.5", g => new() { ["input"] = Sample.Normal(g, [3, 4], 2), ["target"] = Sample.Uniform(g, [3, 4], 0, 1) }, ("alpha", "0.75"), ("gamma", "0.5"));
        yield return GradcheckCase.Of("(1,3) gamma=3.5 mean", g => new() { ["input"] = Sample.Normal(g, [1, 3], 2), ["target"] = Sample.Binary(g, [1, 3]) }, ("gamma", "3.5"), ("reduction", "mean"));
    }
}
