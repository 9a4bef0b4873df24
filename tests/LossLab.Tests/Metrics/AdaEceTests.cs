using LossLab.Tests.Support;
using Xunit;
using static LossLab.Tests.Metrics.ClassificationMetricsTests;
using LM = LossLab.Metrics;

namespace LossLab.Tests.Metrics;

public class AdaEceTests
{
    // numpy's interp for increasing xp: clamp outside, else linear between the neighbours.
    private static double Interp(double x, double[] xp, double[] fp)
    {
        if (x <= xp[0]) return fp[0];
        if (x >= xp[^1]) return fp[^1];
        int j = 0;
        while (xp[j + 1] <= x) j++;
        if (xp[j] == x) return fp[j];
        double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
        return slope * (x - xp[j]) + fp[j];
    }

    // Mukhoti et al.'s AdaptiveECELoss, written out: equal-count edges, bins (lower, upper], weighted gaps.
    private static double Brute(double[,] p, long[] y, int bins)
    {
        int n = p.GetLength(0), c = p.GetLength(1);
        var conf = new double[n];
        var right = new bool[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int j = 1; j < c; j++) if (p[i, j] > p[i, best]) best = j;
            conf[i] = p[i, best];
            right[i] = best == y[i];
        }
        var sorted = conf.OrderBy(v => v).ToArray();
        var xp = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        var edges = new double[bins + 1];
        for (int k = 0; k <= bins; k++)
        {
            double q = k == bins ? n : k * ((double)n / bins);
            edges[k] = Interp(q, xp, sorted);
        }
        double ece = 0;
        for (int b = 0; b < bins; b++)
        {
            var inBin = Enumerable.Range(0, n).Where(i => conf[i] > edges[b] && conf[i] <= edges[b + 1]).ToList();
            if (inBin.Count == 0) continue;
            double acc = inBin.Count(i => right[i]) / (double)inBin.Count;
            double mean = inBin.Average(i => conf[i]);
            ece += Math.Abs(mean - acc) * inBin.Count / n;
        }
        return ece;
    }

    [Fact]
    public void HandWorked()
    {
        // confidences 0.9 (right), 0.6 (wrong), 0.8 (right), 0.5 (wrong); two bins
        var p = new double[,] { { 0.9, 0.1 }, { 0.4, 0.6 }, { 0.2, 0.8 }, { 0.5, 0.5 } };
        var y = T.I64(0, 0, 1, 1);
        // edges at positions 0, 2, 4 of [0.5, 0.6, 0.8, 0.9]: 0.5, 0.8, 0.9 (the last clamps)
        // (0.5, 0.8]: 0.6 wrong, 0.8 right: |0.7 - 0.5| * 2/4; (0.8, 0.9]: 0.9 right: |0.9 - 1| * 1/4; 0.5 is in no bin
        T.Close(0.2 * 0.5 + 0.1 * 0.25, LM.adaece(M(p), y, 2), 1e-12);
        T.Close(Brute(p, new long[] { 0, 0, 1, 1 }, 2), LM.adaece(M(p), y, 2), 1e-12);
    }

    [Theory]
    [InlineData(1, 37, 5, 15)]
    [InlineData(2, 10, 4, 3)]
    [InlineData(3, 5, 3, 15)]
    [InlineData(4, 200, 10, 15)]
    [InlineData(5, 64, 2, 8)]
    [InlineData(6, 1, 3, 15)]
    [InlineData(7, 99, 6, 1)]
    public void MatchesTheReferenceLoop(int seed, int n, int c, int bins)
    {
        var (z, y) = RandomLogits(seed, n, c, 4.0);
        var p = Softmax(z);
        T.Close(Brute(p, y, bins), LM.adaece(M(p), T.I64(y), bins), 1e-12, 1e-15);
    }

    [Fact]
    public void TiesAreNeverSplitAndTheSmallestConfidenceIsInNoBin()
    {
        // confidences with heavy ties: 0.5 x3, 0.7 x3, 0.9 x2; 3 bins over 8 samples
        var conf = new[] { 0.5, 0.5, 0.5, 0.7, 0.7, 0.7, 0.9, 0.9 };
        var p = new double[conf.Length, 2];
        for (int i = 0; i < conf.Length; i++) { p[i, 0] = conf[i]; p[i, 1] = 1 - conf[i]; }
        var y = new long[] { 0, 1, 0, 0, 0, 1, 0, 0 };
        T.Close(Brute(p, y, 3), LM.adaece(M(p), T.I64(y), 3), 1e-12);
        var d = LM.reliability_diagram(M(p), T.I64(y), 3, adaptive: true);
        // edges at positions 0, 8/3, 16/3, 8 of the sorted values, interpolated: 0.5, 0.5 + 0.2 * 2/3, 0.7 + 0.2 * 1/3, 0.9
        Assert.Equal(new[] { 0.5, 0.5 + 0.2 * (2.0 / 3), 0.7 + 0.2 * (1.0 / 3) }, d.Lower, new Close(1e-12));
        Assert.Equal(0.9, d.Upper[2]);
        // the three 0.5s (the minimum) are in no bin and bin 0 stays empty; the tied 0.7s all share bin 1
        Assert.Equal(new long[] { 0, 3, 2 }, d.Count);
        T.Close(d.CalibrationError, LM.adaece(M(p), T.I64(y), 3), 1e-12);
    }

    private sealed class Close(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tol;
        public int GetHashCode(double x) => 0;
    }

    [Fact]
    public void ArgmaxTiesTakeTheFirstMaximum()
    {
        // tied maxima: the prediction is the first; one bin holds the second row only (the first is the minimum)
        var p = new double[,] { { 0.4, 0.4, 0.2 }, { 0.1, 0.45, 0.45 } };
        T.Close(Brute(p, new long[] { 0, 1 }, 1), LM.adaece(M(p), T.I64(0, 1), 1), 1e-14);
        T.Close(0.5 * 0.55, LM.adaece(M(p), T.I64(0, 1), 1), 1e-14);
        T.Close(0.5 * 0.45, LM.adaece(M(p), T.I64(0, 2), 1), 1e-14);
        var d = LM.reliability_diagram(M(p), T.I64(1, 2), 2);
        Assert.Equal(0.0, d.Accuracy.Sum());
    }

    [Fact]
    public void APerfectClassifierHasZeroError()
    {
        var p = new double[,] { { 1, 0 }, { 0, 1 }, { 1, 0 } };
        T.Close(0.0, LM.adaece(M(p), T.I64(0, 1, 0), 15));
    }

    [Fact]
    public void BadInputsAreNamed()
    {
        var p = M(new double[,] { { 0.5, 0.5 } });
        Assert.Contains("n_bins", Assert.Throws<ArgumentOutOfRangeException>(() => LM.adaece(p, T.I64(0), 0)).Message);
        Assert.Contains("probs", Assert.Throws<ArgumentException>(() => LM.adaece(M(new double[,] { { 1.5, -0.5 } }), T.I64(0))).Message);
        Assert.Contains("labels", Assert.Throws<ArgumentException>(() => LM.adaece(p, T.I64(3))).Message);
    }
}
