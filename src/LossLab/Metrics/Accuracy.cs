using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Metrics
{
    /// <summary>
    /// Classification accuracy: the fraction of samples whose highest-scoring class is the label,
    /// <c>(1/N) sum_i [argmax_c s_ic = y_i]</c>.
    /// </summary>
    /// <remarks>
    /// The scores may be logits or probabilities (softmax keeps the order). Ties go to the first (lowest) class index,
    /// as numpy's and PyTorch's argmax give, the same rule as <see cref="ece(Tensor, Tensor, long)"/> uses. O(N C) on the
    /// input's device; the result is a float64 scalar holding no gradient.
    /// <code>
    /// double acc = Metrics.accuracy(logits, labels).item&lt;double&gt;();
    /// </code>
    /// </remarks>
    /// <param name="input">Scores (logits or probabilities), shape (N, C), floating, no NaN.</param>
    /// <param name="labels">True classes, shape (N), integer in [0, C).</param>
    /// <returns>A float64 scalar in [0, 1].</returns>
    /// <exception cref="ArgumentException">Bad shapes or dtypes, NaN scores, labels out of range, no samples.</exception>
    public static Tensor accuracy(Tensor input, Tensor labels)
    {
        Check.ClassifierOutputs(input, nameof(input), labels, nameof(labels), "accuracy");
        using var scope = NewDisposeScope();
        return CorrectMask(input, labels).to_type(ScalarType.Float64).mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Classification error, <c>1 - accuracy</c>: the fraction of samples whose highest-scoring class (first index on
    /// ties) is not the label. See <see cref="accuracy(Tensor, Tensor)"/>.
    /// </summary>
    /// <remarks>
    /// <code>
    /// double err = Metrics.error(logits, labels).item&lt;double&gt;();
    /// </code>
    /// </remarks>
    /// <param name="input">Scores (logits or probabilities), shape (N, C), floating, no NaN.</param>
    /// <param name="labels">True classes, shape (N), integer in [0, C).</param>
    /// <returns>A float64 scalar in [0, 1].</returns>
    /// <exception cref="ArgumentException">Bad shapes or dtypes, NaN scores, labels out of range, no samples.</exception>
    public static Tensor error(Tensor input, Tensor labels)
    {
        Check.ClassifierOutputs(input, nameof(input), labels, nameof(labels), "error");
        using var scope = NewDisposeScope();
        return CorrectMask(input, labels).logical_not().to_type(ScalarType.Float64).mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Top-k accuracy: the fraction of samples whose label is among the <paramref name="k"/> highest-scoring classes.
    /// </summary>
    /// <remarks>
    /// The classes are ranked by score, ties broken by the lower class index first (the order a stable descending sort
    /// gives), so the label is a hit when <c>#{j : s_j &gt; s_y} + #{j &lt; y : s_j = s_y} &lt; k</c>. With k = 1 this is
    /// <see cref="accuracy(Tensor, Tensor)"/> exactly. (scikit-learn's <c>top_k_accuracy_score</c> breaks exact ties the
    /// other way, towards the higher index; without ties the two agree.) k may exceed C: every sample is then a hit.
    /// O(N C) with no sort; a float64 scalar holding no gradient.
    /// <code>
    /// double top5 = Metrics.top_k_accuracy(logits, labels, k: 5).item&lt;double&gt;();
    /// </code>
    /// </remarks>
    /// <param name="input">Scores (logits or probabilities), shape (N, C), floating, no NaN.</param>
    /// <param name="labels">True classes, shape (N), integer in [0, C).</param>
    /// <param name="k">How many of the top classes count, at least 1.</param>
    /// <returns>A float64 scalar in [0, 1].</returns>
    /// <exception cref="ArgumentException">Bad shapes or dtypes, NaN scores, labels out of range, no samples.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    public static Tensor top_k_accuracy(Tensor input, Tensor labels, long k = 5)
    {
        const string name = "top_k_accuracy";
        Check.ClassifierOutputs(input, nameof(input), labels, nameof(labels), name);
        Check.Param(k >= 1, name, nameof(k), ">= 1", k);
        using var scope = NewDisposeScope();
        var s = input.detach();
        var y = labels.detach().to_type(ScalarType.Int64).unsqueeze(1);
        var sy = s.gather(1, y);
        var above = s.gt(sy).sum(1, type: ScalarType.Int64);
        var classIds = torch.arange(s.shape[1], dtype: ScalarType.Int64, device: s.device).unsqueeze(0);
        var tiedBefore = s.eq(sy).logical_and(classIds.lt(y)).sum(1, type: ScalarType.Int64);
        var hit = (above + tiedBefore).lt(k);
        return hit.to_type(ScalarType.Float64).mean().MoveToOuterDisposeScope();
    }

    /// <summary>Whether each sample's first highest-scoring class is its label, (N) bool. Inputs already checked.</summary>
    internal static Tensor CorrectMask(Tensor input, Tensor labels) =>
        input.detach().argmax(1).eq(labels.detach().to_type(ScalarType.Int64));
}

internal sealed class AccuracyDefinition : MetricDefinition
{
    public override string Name => "accuracy";
    public override string Family => "classification";
    public override string Summary => "Fraction of samples whose highest-scoring class (first index on ties) is the label.";
    public override string Math => "acc = (1/N) sum_i [argmax_c s_ic == y_i]";
    public override string Reference => "the standard definition; scikit-learn accuracy_score of the argmax";
    public override string Function => "Metrics.accuracy";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [];
    public override IReadOnlyList<InputSpec> Inputs => ClassifierMetricInputs.Specs;

    public override Tensor Compute(LossInputs x, LossParameters p) => Metrics.accuracy(ClassifierMetricInputs.Pick(Name, x).input, x.Required("labels"));
}

internal sealed class ErrorDefinition : MetricDefinition
{
    public override string Name => "error";
    public override string Family => "classification";
    public override string Summary => "Classification error, 1 - accuracy.";
    public override string Math => "err = (1/N) sum_i [argmax_c s_ic != y_i]";
    public override string Reference => "the standard definition";
    public override string Function => "Metrics.error";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [];
    public override IReadOnlyList<InputSpec> Inputs => ClassifierMetricInputs.Specs;

    public override Tensor Compute(LossInputs x, LossParameters p) => Metrics.error(ClassifierMetricInputs.Pick(Name, x).input, x.Required("labels"));
}

internal sealed class TopKAccuracyDefinition : MetricDefinition
{
    public override string Name => "top_k_accuracy";
    public override string Family => "classification";
    public override string Summary => "Fraction of samples whose label is among the k highest-scoring classes (ties: lower index first).";
    public override string Math => "topk = (1/N) sum_i [ #{j: s_ij > s_iy} + #{j < y: s_ij = s_iy} < k ]";
    public override string Reference => "scikit-learn top_k_accuracy_score (identical without ties)";
    public override string Function => "Metrics.top_k_accuracy";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("k", 5, "how many of the top classes count", min: 1),
    ];
    public override IReadOnlyList<InputSpec> Inputs => ClassifierMetricInputs.Specs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Metrics.top_k_accuracy(ClassifierMetricInputs.Pick(Name, x).input, x.Required("labels"), p.Int("k"));
}
