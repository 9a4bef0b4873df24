using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Binary focal cross-entropy, as Keras's <c>BinaryFocalCrossentropy</c>: per element
    /// <c>(1 - p_t)^gamma * BCE(t, p)</c>, times <c>alpha_t = alpha * t + (1 - alpha) * (1 - t)</c> when
    /// <paramref name="apply_class_balancing"/>, with <c>p_t = t * p + (1 - t) * (1 - p)</c> and the target smoothed
    /// to <c>t = target * (1 - label_smoothing) + label_smoothing / 2</c> first.
    /// </summary>
    /// <remarks>
    /// <para><b>When to use it.</b> Binary or multi-label classification with many easy negatives (dense detection,
    /// rare-event labels), where the focusing term <c>(1 - p_t)^gamma</c> down-weights the well-classified elements.
    /// gamma = 0 without balancing is binary cross-entropy.</para>
    /// <para><b>Inputs.</b> With <paramref name="from_logits"/> the input holds logits and everything is computed in log
    /// space (log-sigmoid, and <c>(1 - p_t)^gamma = exp(gamma * log(1 - p_t))</c> with <c>log(1 - p_t)</c> a
    /// <c>logaddexp</c>), exactly as <see cref="sigmoid_focal_loss"/> computes it on the smoothed target: logits of
    /// magnitude 1e4 in float32 give finite values and gradients. Keras instead applies the sigmoid and clips the
    /// probability to [1e-7, 1 - 1e-7], so the two differ only where the sigmoid saturates beyond 1e-7. Without
    /// from_logits (Keras's default) the input holds probabilities in [0, 1]; as Keras, the cross-entropy uses them
    /// clipped to [1e-7, 1 - 1e-7] and the focusing term uses them as given.</para>
    /// <para><b>Reduction.</b> none returns the per-element losses (Keras returns their mean over the last axis);
    /// mean is the mean over all elements, which is Keras's default <c>sum_over_batch_size</c> of its per-sample
    /// values; sum adds the elements (Keras's sum is this divided by the size of the last axis).</para>
    /// <code>
    /// var loss = Losses.binary_focal_crossentropy(logits, labels, from_logits: true, apply_class_balancing: true);
    /// </code>
    /// Reference: Keras, <c>keras.losses.BinaryFocalCrossentropy</c>; Lin et al. 2017, "Focal Loss for Dense Object Detection".
    /// </remarks>
    /// <param name="input">Probabilities in [0, 1], or logits with <paramref name="from_logits"/>; any shape.</param>
    /// <param name="target">Targets in [0, 1] (soft targets allowed), the input's shape, floating-point.</param>
    /// <param name="apply_class_balancing">Weight the elements by alpha (positives) and 1 - alpha (negatives).</param>
    /// <param name="alpha">The positives' weight when balancing, in [0, 1].</param>
    /// <param name="gamma">The focusing parameter, &gt;= 0.</param>
    /// <param name="from_logits">Whether the input holds logits (otherwise probabilities).</param>
    /// <param name="label_smoothing">Smoothing in [0, 1]: the target becomes <c>t (1 - s) + s / 2</c>.</param>
    /// <param name="reduction">none: per-element losses; mean; sum.</param>
    /// <returns>A scalar, or the input's shape for reduction none.</returns>
    public static Tensor binary_focal_crossentropy(Tensor input, Tensor target, bool apply_class_balancing = false, double alpha = 0.25, double gamma = 2.0,
        bool from_logits = false, double label_smoothing = 0.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "binary_focal_crossentropy";
        Check.ElementwisePair(input, target, name);
        Check.Param(alpha >= 0 && alpha <= 1, name, nameof(alpha), "in [0, 1]", alpha);
        Check.Param(gamma >= 0 && double.IsFinite(gamma), name, nameof(gamma), "a finite number >= 0", gamma);
        Check.Param(label_smoothing >= 0 && label_smoothing <= 1, name, nameof(label_smoothing), "in [0, 1]", label_smoothing);
        Reduce.NoBatchMean(reduction, name);
        Check.InRange(target, 0, 1, name, nameof(target));
        if (!from_logits) Check.InRange(input, 0, 1, name, nameof(input));   // probabilities (from_logits is off)

        using var scope = NewDisposeScope();
        var t = target.to_type(input.dtype);
        if (label_smoothing > 0) t = t * (1 - label_smoothing) + 0.5 * label_smoothing;
        Tensor loss;
        if (from_logits)
        {
            loss = sigmoid_focal_loss(input, t, apply_class_balancing ? alpha : -1.0, gamma, Reduction.None);
        }
        else
        {
            const double eps = 1e-7;   // Keras's backend epsilon
            var pc = input.clamp(eps, 1 - eps);
            var bce = -(t * pc.log()) - (1.0 - t) * torch.log1p(-pc);
            // 1 - p_t = p (1 - t) + (1 - p) t, with the probabilities as given.
            var q = input * (1.0 - t) + (1.0 - input) * t;
            loss = gamma == 0 ? bce : FocalModulator(q, torch.full_like(q, gamma)) * bce;
            if (apply_class_balancing) loss = (alpha * t + (1.0 - alpha) * (1.0 - t)) * loss;
        }
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The binary focal cross-entropy as a module (Keras's <c>BinaryFocalCrossentropy</c>); see <see cref="Losses.binary_focal_crossentropy"/>.</summary>
public sealed class BinaryFocalCrossentropy : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly bool applyClassBalancing;
    private readonly double alpha;
    private readonly double gamma;
    private readonly bool fromLogits;
    private readonly double labelSmoothing;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.binary_focal_crossentropy"/>.</summary>
    public BinaryFocalCrossentropy(bool apply_class_balancing = false, double alpha = 0.25, double gamma = 2.0, bool from_logits = false,
        double label_smoothing = 0.0, Reduction reduction = Reduction.Mean) : base(nameof(BinaryFocalCrossentropy))
    {
        Check.Param(alpha >= 0 && alpha <= 1, nameof(BinaryFocalCrossentropy), nameof(alpha), "in [0, 1]", alpha);
        Check.Param(gamma >= 0 && double.IsFinite(gamma), nameof(BinaryFocalCrossentropy), nameof(gamma), "a finite number >= 0", gamma);
        Check.Param(label_smoothing >= 0 && label_smoothing <= 1, nameof(BinaryFocalCrossentropy), nameof(label_smoothing), "in [0, 1]", label_smoothing);
        Reduce.NoBatchMean(reduction, nameof(BinaryFocalCrossentropy));
        applyClassBalancing = apply_class_balancing;
        this.alpha = alpha;
        this.gamma = gamma;
        fromLogits = from_logits;
        labelSmoothing = label_smoothing;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) =>
        Losses.binary_focal_crossentropy(input, target, applyClassBalancing, alpha, gamma, fromLogits, labelSmoothing, reduction);
}

internal sealed class BinaryFocalDefinition : LossDefinition
{
    public override string Name => "binary_focal";
    public override string Family => "classification";
    public override string Summary => "Binary focal cross-entropy with optional class balancing and label smoothing (Keras's BinaryFocalCrossentropy).";
    public override string Math => "t = target (1 - s) + s/2; p_t = t p + (1 - t)(1 - p); l = [alpha t + (1 - alpha)(1 - t)] (1 - p_t)^gamma BCE(t, p), per element";
    public override string Reference => "Keras, keras.losses.BinaryFocalCrossentropy; Lin et al. 2017, Focal Loss for Dense Object Detection";
    public override string Function => "Losses.binary_focal_crossentropy";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Bool("apply_class_balancing", false, "weight positives by alpha and negatives by 1 - alpha"),
        ParamSpec.Float("alpha", 0.25, "the positives' weight when balancing", min: 0, max: 1),
        ParamSpec.Float("gamma", 2.0, "focusing parameter; 0 gives binary cross-entropy", min: 0),
        ParamSpec.Bool("from_logits", false, "input holds logits (otherwise probabilities)"),
        ParamSpec.Float("label_smoothing", 0.0, "target becomes t (1 - s) + s / 2", min: 0, max: 1),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) probabilities, or logits with from_logits"),
        InputSpec.Data("target", "(*) targets in [0, 1], the shape of input"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.binary_focal_crossentropy(x.Required("input"), x.Required("target"), p.Bool("apply_class_balancing"), p.Float("alpha"), p.Float("gamma"),
            p.Bool("from_logits"), p.Float("label_smoothing"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) probabilities gamma=2 mean", g => new() { ["input"] = Sample.Uniform(g, [6, 4], 0.05, 0.95), ["target"] = Sample.Binary(g, [6, 4]) });
        yield return GradcheckCase.Of("(5,3) logits balanced alpha=0.25 none", g => new() { ["input"] = Sample.Normal(g, [5, 3], 2), ["target"] = Sample.Binary(g, [5, 3]) },
            ("from_logits", "true"), ("apply_class_balancing", "true"), ("reduction", "none"));
        yield return GradcheckCase.Of("(4,5) logits smoothing 0.2 gamma=0.5 sum", g => new() { ["input"] = Sample.Normal(g, [4, 5], 2), ["target"] = Sample.Binary(g, [4, 5]) },
            ("from_logits", "true"), ("label_smoothing", "0.2"), ("gamma", "0.5"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(3,4) probabilities soft targets balanced smoothing 0.1", g => new() { ["input"] = Sample.Uniform(g, [3, 4], 0.05, 0.95), ["target"] = Sample.Uniform(g, [3, 4], 0, 1) },
            ("apply_class_balancing", "true"), ("alpha", "0.6"), ("label_smoothing", "0.1"));
        yield return GradcheckCase.Of("(1,3) logits gamma=3", g => new() { ["input"] = Sample.Normal(g, [1, 3], 2), ["target"] = Sample.Binary(g, [1, 3]) },
            ("from_logits", "true"), ("gamma", "3"));
    }
}
