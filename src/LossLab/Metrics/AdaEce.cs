using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Metrics
{
    /// <summary>
    /// Adaptive ECE (Mukhoti et al. 2020, "Calibrating Deep Neural Networks using Focal Loss", their
    /// <c>AdaptiveECELoss</c>): ECE over <paramref name="n_bins"/> bins that hold equal numbers of samples by sorted
    /// top-class confidence, <c>AdaECE = sum_b |B_b|/N * |acc(B_b) - conf(B_b)|</c>.
    /// </summary>
    /// <remarks>
    /// <para>Bin edges, as the reference computes them with <c>np.interp(np.linspace(0, N, M + 1), np.arange(N),
    /// np.sort(conf))</c>: with the confidences sorted ascending as <c>s_0 &lt;= ... &lt;= s_{N-1}</c>, edge k (k = 0..M)
    /// sits at position <c>q_k = k * (N / M)</c> (and <c>q_M = N</c>) and is the linear interpolation
    /// <c>(s_{j+1} - s_j) * (q_k - j) + s_j</c> with <c>j = floor(q_k)</c>, or <c>s_{N-1}</c> when <c>q_k &gt;= N - 1</c>.
    /// Bin k is the interval <c>(e_k, e_{k+1}]</c>, as the reference's <c>gt(lower) * le(upper)</c>.</para>
    /// <para>What follows (the reference's behaviour, kept): when M does not divide N, the bins still split at the
    /// fractional positions, so with distinct confidences bin k holds the samples of sorted rank r (0-based) with
    /// <c>q_k &lt; r &lt;= q_{k+1}</c>, and sizes differ by at most one. Tied confidences are never split: a value equal to
    /// an edge belongs to the bin that edge closes, and when ties make two edges equal the bin between them is empty.
    /// The samples whose confidence equals the smallest one (<c>e_0 = s_0</c>) lie in no bin, because every bin is open
    /// on the left; they still count in N. (For N = 1 every edge is s_0 and the value is 0.)</para>
    /// <para>The confidence is the row's largest probability and the prediction its first index, as for
    /// <see cref="ece(Tensor, Tensor, long)"/>. O(N log N) for one sort (on the input's device), then one bucketize and bin
    /// counts; computed in float64, a float64 scalar holding no gradient.</para>
    /// <code>
    /// double adaece = Metrics.adaece(torch.softmax(logits, 1), labels).item&lt;double&gt;();
    /// </code>
    /// </remarks>
    /// <param name="probs">Class probabilities, shape (N, C), floating, values in [0, 1].</param>
    /// <param name="labels">True classes, shape (N), integer in [0, C).</param>
    /// <param name="n_bins">The number of bins M, at least 1.</param>
    /// <returns>A float64 scalar in [0, 1].</returns>
    /// <exception cref="ArgumentException">Bad shapes or dtypes, values outside [0, 1] or NaN, labels out of range, no samples.</exception>
    public static Tensor adaece(Tensor probs, Tensor labels, long n_bins = 15)
    {
        const string name = "adaece";
        var (conf, correct) = TopConfidence(name, probs, labels, n_bins);
        using var scope = NewDisposeScope();
        var (_, confSum, accSum, _) = AdaptiveBins(conf, correct, n_bins);
        return ((confSum - accSum).abs().sum() / conf.shape[0]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The equal-mass edges of <see cref="adaece"/> (M + 1, float64) and per bin the count, the sum of confidences and
    /// the number correct. <paramref name="conf"/> and <paramref name="correct"/> are float64 (N).
    /// </summary>
    internal static (Tensor count, Tensor confSum, Tensor accSum, Tensor edges) AdaptiveBins(Tensor conf, Tensor correct, long nBins)
    {
        using var scope = NewDisposeScope();
        long n = conf.shape[0];
        var sorted = MetricKernels.SortedAscending(conf) is double[] fast ? torch.tensor(fast, dtype: ScalarType.Float64) : conf.sort(0).Values;
        // np.linspace(0, n, m + 1): k * (n / m), the last exactly n; np.interp against xp = 0..n-1.
        var lo = new long[nBins + 1];
        var hi = new long[nBins + 1];
        var frac = new double[nBins + 1];
        double step = (double)n / nBins;
        for (long k = 0; k <= nBins; k++)
        {
            double q = k == nBins ? n : k * step;
            if (q >= n - 1) { lo[k] = hi[k] = n - 1; frac[k] = 0; continue; }
            long j = (long)Math.Floor(q);
            lo[k] = j;
            hi[k] = j + 1;
            frac[k] = q - j;
        }
        var dev = conf.device;
        var sLo = sorted.index_select(0, torch.tensor(lo, device: dev));
        var sHi = sorted.index_select(0, torch.tensor(hi, device: dev));
        var edges = (sHi - sLo) * torch.tensor(frac, dtype: ScalarType.Float64, device: dev) + sLo;
        // Rounding can never make the interpolated edges decrease by more than an ulp; keep them sorted for bucketize.
        edges = edges.cummax(0).values;
        var inBin = conf.gt(edges[0]).to_type(ScalarType.Float64);
        var bin = torch.bucketize(conf, edges.slice(0, 1, nBins + 1, 1), right: false).clamp(0, nBins - 1);
        var count = torch.bincount(bin, inBin, nBins);
        var confSum = torch.bincount(bin, conf * inBin, nBins);
        var accSum = torch.bincount(bin, correct * inBin, nBins);
        return (count.MoveToOuterDisposeScope(), confSum.MoveToOuterDisposeScope(), accSum.MoveToOuterDisposeScope(), edges.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Validates probabilities and labels for a top-label calibration metric; returns the top-class confidence and
    /// whether the first argmax is the label, both float64 (N), detached, on the input's device.
    /// </summary>
    internal static (Tensor conf, Tensor correct) TopConfidence(string owner, Tensor probs, Tensor labels, long nBins)
    {
        Check.ClassifierOutputs(probs, nameof(probs), labels, nameof(labels), owner);
        Check.Param(nBins >= 1, owner, "n_bins", ">= 1", nBins);
        using var scope = NewDisposeScope();
        var p = probs.detach();
        // One vectorised min/max (NaN propagates); the full check, with its messages, only when it fails.
        var (lo, hi) = torch.aminmax(p);
        if (!(lo.to_type(ScalarType.Float64).item<double>() >= 0 && hi.to_type(ScalarType.Float64).item<double>() <= 1))
            Check.InRange(probs, 0.0, 1.0, owner, nameof(probs));
        var top = p.max(1);
        var values = top.values;
        // The CPU kernel of max(dim) keeps the first index of a tied maximum; elsewhere argmax, which promises it.
        var pred = p.device_type == DeviceType.CPU ? top.indexes : p.argmax(1);
        var correct = pred.eq(labels.detach().to_type(ScalarType.Int64)).to_type(ScalarType.Float64);
        return (values.to_type(ScalarType.Float64).MoveToOuterDisposeScope(), correct.MoveToOuterDisposeScope());
    }
}

internal sealed class AdaEceDefinition : MetricDefinition
{
    public override string Name => "adaece";
    public override string Family => "calibration";
    public override string Summary => "Adaptive ECE: ECE over bins holding equal numbers of samples by sorted confidence (Mukhoti et al. 2020).";
    public override string Math => "AdaECE = sum_b |B_b|/N |acc(B_b) - conf(B_b)|, bins (e_k, e_k+1], e = np.interp(linspace(0, N, M+1), arange(N), sort(max_c p_c))";
    public override string Reference => "Mukhoti, Kulharia, Sanyal, Golodetz, Torr, Dokania 2020, Calibrating Deep Neural Networks using Focal Loss (AdaptiveECELoss)";
    public override string Function => "Metrics.adaece";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("n_bins", 15, "number of equal-mass confidence bins", min: 1),
    ];
    public override IReadOnlyList<InputSpec> Inputs => ClassifierMetricInputs.Specs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Metrics.adaece(ClassifierMetricInputs.Probabilities(Name, x), x.Required("labels"), p.Int("n_bins"));
}
