using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// The data of a reliability diagram: per confidence bin, its edges, how many samples fell in it, their mean
/// top-class confidence and their accuracy. Bins are in increasing order of confidence.
/// </summary>
public sealed record ReliabilityDiagram
{
    /// <summary>The number of bins.</summary>
    public required int Bins { get; init; }
    /// <summary>Whether the bins hold equal numbers of samples (the bins of <see cref="Metrics.adaece"/>) rather than equal widths (those of <see cref="Metrics.ece(Tensor, Tensor, long)"/>).</summary>
    public required bool Adaptive { get; init; }
    /// <summary>The number of samples N.</summary>
    public required long Samples { get; init; }
    /// <summary>Each bin's lower edge (excluded, except 0 for the first equal-width bin).</summary>
    public required double[] Lower { get; init; }
    /// <summary>Each bin's upper edge (included).</summary>
    public required double[] Upper { get; init; }
    /// <summary>How many samples fell in each bin.</summary>
    public required long[] Count { get; init; }
    /// <summary>The mean top-class confidence of each bin (0 for an empty bin).</summary>
    public required double[] MeanConfidence { get; init; }
    /// <summary>The fraction of each bin's samples whose prediction is right (0 for an empty bin).</summary>
    public required double[] Accuracy { get; init; }
    /// <summary>The calibration error these bins give, <c>sum_b Count_b / N * |Accuracy_b - MeanConfidence_b|</c> (ECE or AdaECE).</summary>
    public required double CalibrationError { get; init; }
}

public static partial class Metrics
{
    /// <summary>
    /// The reliability-diagram data of top-label predictions (Guo et al. 2017, Fig. 1): per bin the count, the mean
    /// confidence, the accuracy and the edges, with the bins of <see cref="ece(Tensor, Tensor, long)"/> (equal widths) or,
    /// with <paramref name="adaptive"/>, those of <see cref="adaece"/> (equal numbers of samples).
    /// </summary>
    /// <remarks>
    /// The binning conventions are exactly those of the two metrics, so <see cref="ReliabilityDiagram.CalibrationError"/>
    /// equals <c>ece</c> or <c>adaece</c> up to rounding. Empty bins have count 0 and hold 0 as mean confidence and
    /// accuracy. O(N) (equal widths) or O(N log N) (adaptive), in float64 on the input's device.
    /// <code>
    /// var diagram = Metrics.reliability_diagram(torch.softmax(logits, 1), labels, n_bins: 10);
    /// </code>
    /// </remarks>
    /// <param name="probs">Class probabilities, shape (N, C), floating, values in [0, 1].</param>
    /// <param name="labels">True classes, shape (N), integer in [0, C).</param>
    /// <param name="n_bins">The number of bins, at least 1.</param>
    /// <param name="adaptive">Equal-mass bins instead of equal-width ones.</param>
    /// <returns>The per-bin data.</returns>
    /// <exception cref="ArgumentException">Bad shapes or dtypes, values outside [0, 1] or NaN, labels out of range, no samples.</exception>
    public static ReliabilityDiagram reliability_diagram(Tensor probs, Tensor labels, long n_bins = 15, bool adaptive = false)
    {
        const string name = "reliability_diagram";
        Check.Param(n_bins >= 1 && n_bins <= int.MaxValue, name, nameof(n_bins), ">= 1", n_bins);
        var (conf, correct) = TopConfidence(name, probs, labels, n_bins);
        using var scope = NewDisposeScope();
        Tensor count, confSum, accSum;
        double[] edges;
        if (adaptive)
        {
            Tensor e;
            (count, confSum, accSum, e) = AdaptiveBins(conf, correct, n_bins);
            edges = Doubles(e);
        }
        else
        {
            var bin = EqualWidthBin(conf, n_bins);
            count = torch.bincount(bin, torch.ones_like(conf), n_bins);
            confSum = torch.bincount(bin, conf, n_bins);
            accSum = torch.bincount(bin, correct, n_bins);
            edges = EqualWidthEdges(n_bins);
        }
        long n = conf.shape[0];
        var counts = Doubles(count);
        var cs = Doubles(confSum);
        var acs = Doubles(accSum);
        int m = (int)n_bins;
        var meanConf = new double[m];
        var acc = new double[m];
        double error = 0;
        for (int b = 0; b < m; b++)
        {
            if (counts[b] == 0) continue;
            meanConf[b] = cs[b] / counts[b];
            acc[b] = acs[b] / counts[b];
            error += Math.Abs(cs[b] - acs[b]) / n;
        }
        return new ReliabilityDiagram
        {
            Bins = m,
            Adaptive = adaptive,
            Samples = n,
            Lower = edges[..m],
            Upper = edges[1..],
            Count = counts.Select(x => (long)x).ToArray(),
            MeanConfidence = meanConf,
            Accuracy = acc,
            CalibrationError = error,
        };
    }

    /// <summary>The values of a 1-D tensor as doubles, on the CPU.</summary>
    internal static double[] Doubles(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().to_type(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
    }
}
