using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// A receiver operating characteristic curve as scikit-learn's <c>roc_curve</c> returns it: at each threshold
/// (decreasing), the false- and true-positive rates of predicting positive when <c>score &gt;= threshold</c>.
/// </summary>
/// <param name="Fpr">False-positive rates, non-decreasing, from 0 to 1.</param>
/// <param name="Tpr">True-positive rates, non-decreasing, from 0 to 1.</param>
/// <param name="Thresholds">The thresholds, decreasing; the first is +infinity (no sample predicted positive).</param>
public sealed record RocCurve(double[] Fpr, double[] Tpr, double[] Thresholds);

public static partial class Metrics
{
    /// <summary>
    /// The ROC curve of binary scores (higher = more likely positive), as scikit-learn's
    /// <c>roc_curve(labels, scores, drop_intermediate)</c> (version 1.3 and later).
    /// </summary>
    /// <remarks>
    /// The points are taken at the distinct scores in decreasing order (tied scores move together); with
    /// <paramref name="drop_intermediate"/> the points that lie inside a straight run (both second differences of the
    /// false- and true-positive counts zero) are dropped, the ends always kept; then the point (0, 0) is put first with
    /// threshold +infinity. Rates are the counts divided by N and P. O(n log n). Both classes must be present; NaN
    /// scores are an error. This is the curve whose area <see cref="auroc(Tensor, Tensor)"/> is (the dropped points
    /// lie on straight segments, so the trapezoidal area is the same).
    /// <code>
    /// var roc = Metrics.roc_curve(scores, labels);
    /// </code>
    /// </remarks>
    /// <param name="scores">Scores, shape (N), real.</param>
    /// <param name="labels">Binary labels, shape (N): bool, or 0/1 (or -1/+1); 1 is positive.</param>
    /// <param name="drop_intermediate">Drop the points on straight runs, as scikit-learn's default.</param>
    /// <returns>fpr, tpr and thresholds, of equal lengths.</returns>
    /// <exception cref="ArgumentException">Shapes disagree, NaN scores, labels that are not binary, or a class is absent.</exception>
    public static RocCurve roc_curve(Tensor scores, Tensor labels, bool drop_intermediate = true)
    {
        CheckBinaryScores("roc_curve", scores, labels, needPositives: true, needNegatives: true);
        using var scope = NewDisposeScope();
        var (fps, tps) = BinaryCurve(scores, labels);
        var thresholds = scores.detach().to_type(ScalarType.Float64).unique(sorted: true).Item1.flip(0);
        long g = fps.shape[0];
        if (drop_intermediate && g > 2)
        {
            Tensor Second(Tensor x) => x.slice(0, 2, g, 1) - 2.0 * x.slice(0, 1, g - 1, 1) + x.slice(0, 0, g - 2, 1);
            var end = torch.ones(1, dtype: ScalarType.Bool, device: fps.device);
            var keep = torch.cat(new[] { end, Second(fps).ne(0.0).logical_or(Second(tps).ne(0.0)), end });
            fps = fps.masked_select(keep);
            tps = tps.masked_select(keep);
            thresholds = thresholds.masked_select(keep);
        }
        var f = Doubles(fps);
        var t = Doubles(tps);
        var th = Doubles(thresholds);
        int k = f.Length;
        var fpr = new double[k + 1];
        var tpr = new double[k + 1];
        var thr = new double[k + 1];
        thr[0] = double.PositiveInfinity;
        for (int i = 0; i < k; i++)
        {
            fpr[i + 1] = f[i] / f[k - 1];
            tpr[i + 1] = t[i] / t[k - 1];
            thr[i + 1] = th[i];
        }
        return new RocCurve(fpr, tpr, thr);
    }

    /// <summary>ROC curve of plain arrays; see <see cref="roc_curve(Tensor, Tensor, bool)"/>.</summary>
    /// <param name="scores">Scores, one per sample.</param>
    /// <param name="labels">0/1 (or -1/+1) labels, one per sample; 1 is positive.</param>
    /// <param name="drop_intermediate">Drop the points on straight runs.</param>
    public static RocCurve roc_curve(double[] scores, double[] labels, bool drop_intermediate = true)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        using var scope = NewDisposeScope();
        return roc_curve(torch.tensor(scores, dtype: ScalarType.Float64), torch.tensor(labels, dtype: ScalarType.Float64), drop_intermediate);
    }
}
