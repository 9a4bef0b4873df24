using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Metrics
{
    /// <summary>
    /// Expected calibration error (Guo et al. 2017, "On Calibration of Modern Neural Networks"): the samples are put in
    /// <paramref name="n_bins"/> equal-width bins <c>((m-1)/M, m/M]</c> by their top-class confidence, and
    /// <c>ECE = sum_m |B_m|/N * |acc(B_m) - conf(B_m)|</c>, acc being the fraction of the bin whose argmax is the label
    /// and conf its mean confidence.
    /// </summary>
    /// <remarks>
    /// The confidence is the row's largest probability and the prediction its first index (ties resolved as numpy's
    /// argmax does). The bin edges are <c>m * (1/M)</c> as numpy's <c>linspace(0, 1, M + 1)</c> gives them (the last edge
    /// exactly 1), and a confidence equal to an edge belongs to the bin it closes. A confidence of exactly 0 (a row of
    /// zeros, possible when rows need not sum to 1) is put in the first bin, <c>[0, 1/M]</c>, so that every sample counts.
    /// Empty bins contribute nothing. Rows need not sum to 1, but every value must lie in [0, 1] (NaN is an error).
    /// O(N C + M): on the CPU one parallel pass over the probabilities in place, elsewhere one bucketize and bin counts;
    /// the result is a float64 scalar holding no gradient.
    /// <code>
    /// double ece = Metrics.ece(torch.softmax(logits, 1), labels).item&lt;double&gt;();
    /// </code>
    /// </remarks>
    /// <param name="probs">Class probabilities, shape (N, C), floating.</param>
    /// <param name="labels">True classes, shape (N), int64 in [0, C).</param>
    /// <param name="n_bins">The number of bins M, at least 1.</param>
    /// <returns>A float64 scalar in [0, 1].</returns>
    /// <exception cref="ArgumentException">Bad shapes or dtypes, values outside [0, 1] or NaN, labels out of range, no samples.</exception>
    public static Tensor ece(Tensor probs, Tensor labels, long n_bins = 15)
    {
        using var scope = NewDisposeScope();
        var (count, conf, acc) = CalibrationBins("ece", probs, labels, n_bins);
        var result = (conf - acc).abs().sum() / probs.shape[0];
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>ECE of plain arrays; see <see cref="ece(Tensor, Tensor, long)"/>.</summary>
    /// <param name="probs">Class probabilities, one row per sample.</param>
    /// <param name="labels">True classes, one per sample.</param>
    /// <param name="n_bins">The number of bins, at least 1.</param>
    public static double ece(double[,] probs, long[] labels, long n_bins = 15) => PlainCalibration(probs, labels, (p, l) => ece(p, l, n_bins));

    /// <summary>
    /// Maximum calibration error (Guo et al. 2017): with the bins of <see cref="ece(Tensor, Tensor, long)"/>,
    /// <c>MCE = max_m |acc(B_m) - conf(B_m)|</c> over the non-empty bins.
    /// </summary>
    /// <remarks>
    /// Binning, argmax ties, a confidence of 0 and validation as for <see cref="ece(Tensor, Tensor, long)"/>; empty bins
    /// are skipped. The result is a float64 scalar holding no gradient.
    /// <code>
    /// double mce = Metrics.mce(torch.softmax(logits, 1), labels, n_bins: 10).item&lt;double&gt;();
    /// </code>
    /// </remarks>
    /// <param name="probs">Class probabilities, shape (N, C), floating.</param>
    /// <param name="labels">True classes, shape (N), int64 in [0, C).</param>
    /// <param name="n_bins">The number of bins M, at least 1.</param>
    /// <returns>A float64 scalar in [0, 1].</returns>
    /// <exception cref="ArgumentException">Bad shapes or dtypes, values outside [0, 1] or NaN, labels out of range, no samples.</exception>
    public static Tensor mce(Tensor probs, Tensor labels, long n_bins = 15)
    {
        using var scope = NewDisposeScope();
        var (count, conf, acc) = CalibrationBins("mce", probs, labels, n_bins);
        var filled = count.gt(0.0);
        var gap = ((conf - acc).abs() / count.clamp_min(1.0)).masked_select(filled);
        return gap.max().MoveToOuterDisposeScope();
    }

    /// <summary>MCE of plain arrays; see <see cref="mce(Tensor, Tensor, long)"/>.</summary>
    /// <param name="probs">Class probabilities, one row per sample.</param>
    /// <param name="labels">True classes, one per sample.</param>
    /// <param name="n_bins">The number of bins, at least 1.</param>
    public static double mce(double[,] probs, long[] labels, long n_bins = 15) => PlainCalibration(probs, labels, (p, l) => mce(p, l, n_bins));

    /// <summary>
    /// Validates and bins: per bin (M), the number of samples, the sum of their confidences and the number of correct
    /// predictions, all float64.
    /// </summary>
    private static (Tensor count, Tensor confSum, Tensor accSum) CalibrationBins(string name, Tensor probs, Tensor labels, long n_bins)
    {
        Check.Floating(probs, name, nameof(probs));
        Check.Rank(probs, name, nameof(probs), 2);
        Check.Rank(labels, name, nameof(labels), 1);
        Check.SameBatch(probs, nameof(probs), labels, nameof(labels), name);
        Check.Param(n_bins >= 1, name, nameof(n_bins), ">= 1", n_bins);
        if (probs.shape[0] == 0 || probs.shape[1] == 0)
            throw new ArgumentException($"{name}: 'probs' must hold at least one sample and one class, got shape {Check.Shape(probs)}", nameof(probs));
        Check.SameDevice(name, (probs, nameof(probs)), (labels, nameof(labels)));
        if (MetricKernels.Readable(probs) && MetricKernels.Readable(labels) && probs.shape[0] * probs.shape[1] <= int.MaxValue)
        {
            // One in-place pass on the CPU (checks included); null when a value or label is bad, then the checks below
            // raise their usual errors.
            var fast = MetricKernels.TopLabelBins(probs.detach(), labels.detach(), EqualWidthEdges(n_bins));
            if (fast is var (fc, fs, fa))
            {
                return (torch.tensor(fc, dtype: ScalarType.Float64), torch.tensor(fs, dtype: ScalarType.Float64), torch.tensor(fa, dtype: ScalarType.Float64));
            }
        }
        Check.ClassIndices(labels, probs.shape[1], name, nameof(labels));
        Check.InRange(probs, 0.0, 1.0, name, nameof(probs));

        var p = probs.detach().to_type(ScalarType.Float64);
        long c = p.shape[1];
        var conf = p.max(1).values;
        // First index of the maximum (numpy's argmax), whatever the backend's tie rule.
        var classIds = torch.arange(c, dtype: ScalarType.Int64, device: p.device).unsqueeze(0).expand(p.shape[0], c);
        var pred = torch.where(p.eq(conf.unsqueeze(1)), classIds, torch.full_like(classIds, c)).min(1).values;
        var correct = pred.eq(labels.detach().to_type(ScalarType.Int64)).to_type(ScalarType.Float64);

        var edges = new double[n_bins + 1];
        double step = 1.0 / n_bins;
        for (long m = 0; m < n_bins; m++) edges[m] = m * step;
        edges[n_bins] = 1.0;
        var boundaries = torch.tensor(edges, dtype: ScalarType.Float64, device: p.device);
        // bucketize (right = false) gives i with edges[i-1] < x <= edges[i]: bin i - 1; x = 0 gives 0, kept in bin 0.
        var bin = (torch.bucketize(conf, boundaries, right: false) - 1).clamp(0, n_bins - 1);
        var count = torch.bincount(bin, torch.ones_like(conf), n_bins);
        var confSum = torch.bincount(bin, conf, n_bins);
        var accSum = torch.bincount(bin, correct, n_bins);
        return (count, confSum, accSum);
    }

    private static double PlainCalibration(double[,] probs, long[] labels, Func<Tensor, Tensor, Tensor> metric)
    {
        ArgumentNullException.ThrowIfNull(probs);
        ArgumentNullException.ThrowIfNull(labels);
        using var scope = NewDisposeScope();
        var p = torch.tensor(probs, dtype: ScalarType.Float64);
        return metric(p, torch.tensor(labels, dtype: ScalarType.Int64)).item<double>();
    }
}

internal sealed class EceDefinition : MetricDefinition
{
    public override string Name => "ece";
    public override string Family => "calibration";
    public override string Summary => "Expected calibration error over equal-width confidence bins (Guo et al. 2017).";
    public override string Math => "ECE = sum_m |B_m|/N * |acc(B_m) - conf(B_m)|, bins ((m-1)/M, m/M] over max_c p_c, acc = [argmax p == y]";
    public override string Reference => "Guo, Pleiss, Sun, Weinberger 2017, On Calibration of Modern Neural Networks";
    public override string Function => "Metrics.ece";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("n_bins", 15, "number of equal-width confidence bins", min: 1),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Data("probs", "(N, C) class probabilities"),
        InputSpec.Data("labels", "(N) true classes"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) => Metrics.ece(x.Required("probs"), x.Required("labels"), p.Int("n_bins"));
}

internal sealed class MceDefinition : MetricDefinition
{
    public override string Name => "mce";
    public override string Family => "calibration";
    public override string Summary => "Maximum calibration error over the non-empty equal-width confidence bins (Guo et al. 2017).";
    public override string Math => "MCE = max_{m: B_m non-empty} |acc(B_m) - conf(B_m)|, bins ((m-1)/M, m/M] over max_c p_c";
    public override string Reference => "Guo, Pleiss, Sun, Weinberger 2017, On Calibration of Modern Neural Networks";
    public override string Function => "Metrics.mce";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("n_bins", 15, "number of equal-width confidence bins", min: 1),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Data("probs", "(N, C) class probabilities"),
        InputSpec.Data("labels", "(N) true classes"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) => Metrics.mce(x.Required("probs"), x.Required("labels"), p.Int("n_bins"));
}
