using LossLab.Tests.Support;
using Xunit;
using static LossLab.Tests.Metrics.ClassificationMetricsTests;
using LM = LossLab.Metrics;

namespace LossLab.Tests.Metrics;

public class ClasswiseEceTests
{
    // Per class c, equal-width bins ((m-1)/M, m/M] (0 in the first) over p_c, |mean p_c - frequency of y = c| weighted
    // by the bin's share; the mean over all C classes.
    private static double Brute(double[,] p, long[] y, int bins)
    {
        int n = p.GetLength(0), c = p.GetLength(1);
        double total = 0;
        for (int k = 0; k < c; k++)
        {
            double sce = 0;
            for (int m = 0; m < bins; m++)
            {
                double lo = m * (1.0 / bins), hi = m == bins - 1 ? 1.0 : (m + 1) * (1.0 / bins);
                var inBin = Enumerable.Range(0, n).Where(i => (p[i, k] > lo || (m == 0 && p[i, k] == 0)) && p[i, k] <= hi).ToList();
                if (inBin.Count == 0) continue;
                double freq = inBin.Count(i => y[i] == k) / (double)inBin.Count;
                double mean = inBin.Average(i => p[i, k]);
                sce += Math.Abs(mean - freq) * inBin.Count / n;
            }
            total += sce;
        }
        return total / c;
    }

    [Fact]
    public void HandWorked()
    {
        var p = new double[,] { { 0.8, 0.2 }, { 0.4, 0.6 } };
        var y = T.I64(0, 0);
        // 2 bins. class 0: 0.8 in (0.5, 1] (hit), 0.4 in (0, 0.5] (hit): |0.8-1|/2 + |0.4-1|/2 = 0.4
        // class 1: 0.2 in (0, 0.5] (miss), 0.6 in (0.5, 1] (miss): 0.2/2 + 0.6/2 = 0.4
        T.Close(0.4, LM.classwise_ece(M(p), y, 2), 1e-14);
    }

    [Theory]
    [InlineData(1, 60, 4, 15)]
    [InlineData(2, 7, 3, 10)]
    [InlineData(3, 1, 5, 15)]
    [InlineData(4, 200, 10, 5)]
    public void MatchesThePerClassLoop(int seed, int n, int c, int bins)
    {
        var (z, y) = RandomLogits(seed, n, c, 3.0);
        var p = Softmax(z);
        T.Close(Brute(p, y, bins), LM.classwise_ece(M(p), T.I64(y), bins), 1e-12, 1e-15);
    }

    [Fact]
    public void AllColumnsCountEvenWhenTheLastClassIsAbsent()
    {
        // labels never reach class 2; its column still counts (Mukhoti's code would average over 2 classes)
        var p = new double[,] { { 0.6, 0.1, 0.3 }, { 0.2, 0.5, 0.3 } };
        var y = new long[] { 0, 1 };
        T.Close(Brute(p, y, 10), LM.classwise_ece(M(p), T.I64(y), 10), 1e-14);
    }

    [Fact]
    public void PerfectClassifierAndZeroProbabilities()
    {
        var onehot = new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 }, { 1, 0, 0 } };
        T.Close(0.0, LM.classwise_ece(M(onehot), T.I64(0, 1, 2, 0)));
        // a zero probability on the true class sits in the first bin: class 1 has p = 0 for a sample of class 1
        var p = new double[,] { { 1, 0 } };
        T.Close(Brute(p, new long[] { 1 }, 15), LM.classwise_ece(M(p), T.I64(1)), 1e-14);
        T.Close(1.0, LM.classwise_ece(M(p), T.I64(1)), 1e-14);
    }
}
