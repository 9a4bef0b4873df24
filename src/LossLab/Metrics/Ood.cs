using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Metrics
{
    /// <summary>
    /// Area under the ROC curve of binary scores (higher score = more likely positive), ties counted half: the
    /// probability that a random positive scores above a random negative, plus half the probability of a tie. Equal
    /// to scikit-learn's <c>roc_auc_score(labels, scores)</c>.
    /// </summary>
    /// <remarks>
    /// O(n log n): the scores are sorted once; the true/false-positive counts at every distinct threshold come from
    /// cumulative sums over the sorted labels, taken at the end of each group of tied scores; the area is the
    /// trapezoidal sum <c>sum_g (F_g - F_{g-1}) (T_g + T_{g-1}) / (2 P N)</c>, computed on integer counts so that it is
    /// exact up to one rounding. Infinite scores are allowed (they order as usual); NaN is an error.
    /// Both classes must be present. The result holds no gradient.
    /// <code>
    /// double auc = Metrics.auroc(scores, labels).item&lt;double&gt;();
    /// </code>
    /// </remarks>
    /// <param name="scores">Scores, shape (N), floating (or integer).</param>
    /// <param name="labels">Binary labels, shape (N): bool, or 0/1 (or -1/+1) as a real or integer tensor; 1 is positive.</param>
    /// <returns>A float64 scalar in [0, 1].</returns>
    /// <exception cref="ArgumentException">Shapes disagree, NaN scores, labels that are not binary, or a class is absent.</exception>
    public static Tensor auroc(Tensor scores, Tensor labels)
    {
        const string name = "auroc";
        CheckBinaryScores(name, scores, labels, needPositives: true, needNegatives: true);
        // On the CPU: the same trapezoidal sum over the same counts, taken while merging the sorted classes.
        if (MetricKernels.Auroc(scores.detach(), labels.detach()) is double fast) return torch.tensor(fast, dtype: ScalarType.Float64);
        using var scope = NewDisposeScope();
        var (fps, tps) = BinaryCurve(scores, labels);
        var zero = torch.zeros(1, dtype: ScalarType.Float64, device: fps.device);
        var f = torch.cat(new[] { zero, fps });
        var t = torch.cat(new[] { zero, tps });
        long g = f.shape[0];
        var df = f.slice(0, 1, g, 1) - f.slice(0, 0, g - 1, 1);
        var st = t.slice(0, 1, g, 1) + t.slice(0, 0, g - 1, 1);
        var area = (df * st).sum() / (2.0 * tps[-1] * fps[-1]);
        return area.MoveToOuterDisposeScope();
    }

    /// <summary>AUROC of plain arrays; see <see cref="auroc(Tensor, Tensor)"/>.</summary>
    /// <param name="scores">Scores, one per sample.</param>
    /// <param name="labels">0/1 (or -1/+1) labels, one per sample; 1 is positive.</param>
    public static double auroc(double[] scores, double[] labels) => Plain(scores, labels, auroc);

    /// <summary>
    /// Average precision of binary scores, the step-wise sum <c>sum_n (R_n - R_{n-1}) P_n</c> over the distinct
    /// thresholds in decreasing order (no interpolation), with R_0 = 0: scikit-learn's
    /// <c>average_precision_score(labels, scores)</c>. Positives are label 1.
    /// </summary>
    /// <remarks>
    /// O(n log n) as <see cref="auroc(Tensor, Tensor)"/>. At the g-th distinct threshold, with T_g true and F_g false
    /// positives at or above it, recall is <c>T_g / P</c> and precision <c>T_g / (T_g + F_g)</c>; tied scores form one
    /// step. There must be at least one positive; with no negative the value is 1 (precision is 1 everywhere), as
    /// scikit-learn gives. The result holds no gradient.
    /// <code>
    /// double ap = Metrics.aupr(scores, labels).item&lt;double&gt;();
    /// </code>
    /// </remarks>
    /// <param name="scores">Scores, shape (N), floating (or integer).</param>
    /// <param name="labels">Binary labels, shape (N): bool, or 0/1 (or -1/+1) as a real or integer tensor; 1 is positive.</param>
    /// <returns>A float64 scalar in (0, 1].</returns>
    /// <exception cref="ArgumentException">Shapes disagree, NaN scores, labels that are not binary, or no positive.</exception>
    public static Tensor aupr(Tensor scores, Tensor labels)
    {
        const string name = "aupr";
        CheckBinaryScores(name, scores, labels, needPositives: true, needNegatives: false);
        using var scope = NewDisposeScope();
        var (fps, tps) = BinaryCurve(scores, labels);
        var zero = torch.zeros(1, dtype: ScalarType.Float64, device: tps.device);
        long g = tps.shape[0];
        var prev = torch.cat(new[] { zero, tps.slice(0, 0, g - 1, 1) });
        var precision = tps / (tps + fps);
        var ap = ((tps - prev) * precision).sum() / tps[-1];
        return ap.MoveToOuterDisposeScope();
    }

    /// <summary>Average precision of plain arrays; see <see cref="aupr(Tensor, Tensor)"/>.</summary>
    /// <param name="scores">Scores, one per sample.</param>
    /// <param name="labels">0/1 (or -1/+1) labels, one per sample; 1 is positive.</param>
    public static double aupr(double[] scores, double[] labels) => Plain(scores, labels, aupr);

    /// <summary>
    /// The false-positive rate at 95% true-positive rate: the smallest FPR among the ROC points whose TPR is at least
    /// <paramref name="recall_level"/> (0.95), the points being those of scikit-learn's <c>roc_curve(labels, scores)</c>.
    /// </summary>
    /// <remarks>
    /// The ROC points are taken at the distinct score thresholds (tied scores move together), plus (0, 0). With
    /// <paramref name="drop_intermediate"/> (scikit-learn's default) a point is dropped, as <c>roc_curve</c> drops it,
    /// when it lies on a straight run with equal steps in both counts (the second differences of the false- and
    /// true-positive counts are both 0); this only matters when tied groups of mixed labels repeat, and then the value
    /// is that of <c>roc_curve</c>'s default output. TPR and FPR are the counts divided by P and N, compared with
    /// <c>&gt;=</c> as written. O(n log n). Both classes must be present. The result holds no gradient.
    /// <code>
    /// double fpr95 = Metrics.fpr_at_95_tpr(scores, labels).item&lt;double&gt;();
    /// </code>
    /// </remarks>
    /// <param name="scores">Scores, shape (N), floating (or integer); higher = more likely positive (in-distribution).</param>
    /// <param name="labels">Binary labels, shape (N): bool, or 0/1 (or -1/+1) as a real or integer tensor; 1 is positive.</param>
    /// <param name="recall_level">The TPR to reach, in (0, 1].</param>
    /// <param name="drop_intermediate">Use only the points <c>roc_curve(drop_intermediate=True)</c> keeps (the default), or every distinct threshold.</param>
    /// <returns>A float64 scalar in [0, 1].</returns>
    /// <exception cref="ArgumentException">Shapes disagree, NaN scores, labels that are not binary, or a class is absent.</exception>
    public static Tensor fpr_at_95_tpr(Tensor scores, Tensor labels, double recall_level = 0.95, bool drop_intermediate = true)
    {
        const string name = "fpr_at_95_tpr";
        Check.Param(recall_level > 0 && recall_level <= 1, name, nameof(recall_level), "in (0, 1]", recall_level);
        CheckBinaryScores(name, scores, labels, needPositives: true, needNegatives: true);
        using var scope = NewDisposeScope();
        var (fps, tps) = BinaryCurve(scores, labels);
        long g = fps.shape[0];
        if (drop_intermediate && g > 2)
        {
            // np.diff(x, 2) != 0 for fps or tps marks a corner; the two ends are always kept.
            Tensor Second(Tensor x) => x.slice(0, 2, g, 1) - 2.0 * x.slice(0, 1, g - 1, 1) + x.slice(0, 0, g - 2, 1);
            var corner = Second(fps).ne(0.0).logical_or(Second(tps).ne(0.0));
            var end = torch.ones(1, dtype: ScalarType.Bool, device: fps.device);
            var keep = torch.cat(new[] { end, corner, end });
            fps = fps.masked_select(keep);
            tps = tps.masked_select(keep);
        }
        var zero = torch.zeros(1, dtype: ScalarType.Float64, device: fps.device);
        fps = torch.cat(new[] { zero, fps });
        tps = torch.cat(new[] { zero, tps });
        var fpr = fps / fps[-1];
        var tpr = tps / tps[-1];
        var result = fpr.masked_select(tpr.ge(recall_level)).min();
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>FPR at 95% TPR of plain arrays; see <see cref="fpr_at_95_tpr(Tensor, Tensor, double, bool)"/>.</summary>
    /// <param name="scores">Scores, one per sample.</param>
    /// <param name="labels">0/1 (or -1/+1) labels, one per sample; 1 is positive.</param>
    /// <param name="recall_level">The TPR to reach, in (0, 1].</param>
    /// <param name="drop_intermediate">As in the tensor overload.</param>
    public static double fpr_at_95_tpr(double[] scores, double[] labels, double recall_level = 0.95, bool drop_intermediate = true) =>
        Plain(scores, labels, (s, l) => fpr_at_95_tpr(s, l, recall_level, drop_intermediate));

    /// <summary>
    /// Counts of false and true positives at every distinct threshold, in decreasing order of score (the last entry
    /// holds the totals N and P): scikit-learn's <c>_binary_clf_curve</c>. float64, shape (G) each.
    /// </summary>
    internal static (Tensor fps, Tensor tps) BinaryCurve(Tensor scores, Tensor labels)
    {
        // On the CPU: two radix sorts and a merge in place, several times faster than a comparison sort of the scores.
        if (MetricKernels.BinaryCurve(scores.detach(), labels.detach()) is var (cf, ct))
            return (torch.tensor(cf, dtype: ScalarType.Float64), torch.tensor(ct, dtype: ScalarType.Float64));
        using var scope = NewDisposeScope();
        var s = scores.detach().to_type(ScalarType.Float64);
        var pos = labels.detach().dtype == ScalarType.Bool ? labels.detach().to_type(ScalarType.Float64) : labels.detach().to_type(ScalarType.Float64).eq(1.0).to_type(ScalarType.Float64);
        long n = s.shape[0];
        var (sorted, order) = s.sort(0, descending: true, stable: true);
        var tps = pos.index_select(0, order).cumsum(0);
        var fps = torch.arange(1, n + 1, dtype: ScalarType.Float64, device: s.device) - tps;
        // The last index of every group of equal scores, and the last sample.
        var groupEnd = torch.cat(new[]
        {
            sorted.slice(0, 1, n, 1).ne(sorted.slice(0, 0, n - 1, 1)),
            torch.ones(1, dtype: ScalarType.Bool, device: s.device),
        });
        var f = fps.masked_select(groupEnd);
        var t = tps.masked_select(groupEnd);
        return (f.MoveToOuterDisposeScope(), t.MoveToOuterDisposeScope());
    }

    private static void CheckBinaryScores(string name, Tensor scores, Tensor labels, bool needPositives, bool needNegatives)
    {
        Check.NotNull(scores, name, nameof(scores));
        Check.NotNull(labels, name, nameof(labels));
        if (scores.dtype == ScalarType.Bool || scores.dtype.IsComplex())
            throw new ArgumentException($"{name}: 'scores' must be a real tensor (float32 or float64), got {scores.dtype}", nameof(scores));
        Check.Rank(scores, name, nameof(scores), 1);
        Check.Rank(labels, name, nameof(labels), 1);
        if (labels.shape[0] != scores.shape[0])
            throw new ArgumentException($"{name}: 'labels' has {labels.shape[0]} entries but 'scores' has {scores.shape[0]}; give one label per score", nameof(labels));
        Check.HasSamples(scores, name, nameof(scores));
        Check.SameDevice(name, (scores, nameof(scores)), (labels, nameof(labels)));
        Check.NaNFree(scores, name, nameof(scores));
        long positives;
        if (MetricKernels.BinaryLabelCount(labels.detach()) is long counted) positives = counted;
        else
        {
            Check.BinaryMetricLabels(labels, name, nameof(labels));
            using var s = NewDisposeScope();
            var l = labels.detach();
            positives = (l.dtype == ScalarType.Bool ? l : l.eq(1)).sum().item<long>();
        }
        long negatives = labels.shape[0] - positives;
        if (needPositives && positives == 0)
            throw new ArgumentException($"{name}: 'labels' holds no positive (label 1) among {labels.shape[0]} samples, so the metric is undefined", nameof(labels));
        if (needNegatives && negatives == 0)
            throw new ArgumentException($"{name}: 'labels' holds no negative (label 0 or -1) among {labels.shape[0]} samples, so the metric is undefined", nameof(labels));
    }

    private static double Plain(double[] scores, double[] labels, Func<Tensor, Tensor, Tensor> metric)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        using var scope = NewDisposeScope();
        return metric(torch.tensor(scores, dtype: ScalarType.Float64), torch.tensor(labels, dtype: ScalarType.Float64)).item<double>();
    }
}

/// <summary>A parameterless metric of (scores, labels): its inputs.</summary>
internal abstract class ScoreLabelMetricDefinition : MetricDefinition
{
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Data("scores", "(N) scores, higher = positive"),
        InputSpec.Data("labels", "(N) binary labels, 1 = positive"),
    ];
}

internal sealed class AurocDefinition : ScoreLabelMetricDefinition
{
    public override string Name => "auroc";
    public override string Family => "ood";
    public override string Summary => "Area under the ROC curve, ties counted half (scikit-learn's roc_auc_score).";
    public override string Math => "AUROC = P(s+ > s-) + P(s+ = s-)/2 = sum_g (F_g - F_{g-1})(T_g + T_{g-1}) / (2 P N) over distinct thresholds";
    public override string Reference => "scikit-learn roc_auc_score; Hendrycks & Gimpel 2017, A Baseline for Detecting Misclassified and Out-of-Distribution Examples";
    public override string Function => "Metrics.auroc";

    public override Tensor Compute(LossInputs x, LossParameters p) => Metrics.auroc(x.Required("scores"), x.Required("labels"));
}

internal sealed class AuprDefinition : ScoreLabelMetricDefinition
{
    public override string Name => "aupr";
    public override string Family => "ood";
    public override string Summary => "Average precision, the step-wise area under the precision-recall curve (scikit-learn's average_precision_score).";
    public override string Math => "AP = sum_n (R_n - R_{n-1}) P_n over distinct thresholds in decreasing order, R_0 = 0";
    public override string Reference => "scikit-learn average_precision_score; Hendrycks & Gimpel 2017";
    public override string Function => "Metrics.aupr";

    public override Tensor Compute(LossInputs x, LossParameters p) => Metrics.aupr(x.Required("scores"), x.Required("labels"));
}

internal sealed class FprAt95TprDefinition : MetricDefinition
{
    public override string Name => "fpr_at_95_tpr";
    public override string Family => "ood";
    public override string Summary => "False-positive rate at 95% true-positive rate: the smallest FPR among ROC points with TPR >= 0.95.";
    public override string Math => "min { FPR_k : TPR_k >= recall_level } over the points of roc_curve(labels, scores)";
    public override string Reference => "scikit-learn roc_curve; Liang et al. 2018 (ODIN), Hendrycks et al. 2019 (Outlier Exposure)";
    public override string Function => "Metrics.fpr_at_95_tpr";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("recall_level", 0.95, "the true-positive rate to reach", min: 0, max: 1, minExclusive: true),
        ParamSpec.Bool("drop_intermediate", true, "use the ROC points roc_curve keeps by default (false: every distinct threshold)"),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Data("scores", "(N) scores, higher = positive"),
        InputSpec.Data("labels", "(N) binary labels, 1 = positive"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Metrics.fpr_at_95_tpr(x.Required("scores"), x.Required("labels"), p.Float("recall_level"), p.Bool("drop_intermediate"));
}
