using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using LM = LossLab.Metrics;

namespace LossLab.Tests.Metrics;

public class CalibrationTests
{
    // Guo et al.'s loop, in plain doubles: for every bin ((m-1)/M, m/M] (edges as numpy's linspace gives them), the
    // bin's share of samples times |accuracy - mean confidence|; the first bin also takes a confidence of 0.
    private static (double ece, double mce) Brute(double[,] p, long[] y, int bins)
    {
        int n = p.GetLength(0), c = p.GetLength(1);
        var conf = new double[n];
        var correct = new double[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int j = 1; j < c; j++) if (p[i, j] > p[i, best]) best = j;   // first maximum
            conf[i] = p[i, best];
            correct[i] = best == y[i] ? 1 : 0;
        }
        double ece = 0, mce = 0;
        for (int m = 0; m < bins; m++)
        {
            double lo = m * (1.0 / bins), hi = m == bins - 1 ? 1.0 : (m + 1) * (1.0 / bins);
            double count = 0, sc = 0, sa = 0;
            for (int i = 0; i < n; i++)
            {
                bool inBin = (conf[i] > lo || (m == 0 && conf[i] == 0)) && conf[i] <= hi;
                if (!inBin) continue;
                count++; sc += conf[i]; sa += correct[i];
            }
            if (count == 0) continue;
            double gap = Math.Abs(sc / count - sa / count);
            ece += count / n * gap;
            mce = Math.Max(mce, gap);
        }
        return (ece, mce);
    }

    private static Tensor P(double[,] p) => T.F64(p.Cast<double>().ToArray(), p.GetLength(0), p.GetLength(1));

    private static (double[,] p, long[] y) RandomProbs(int seed, int n, int c, double sharpness)
    {
        var rng = new System.Random(seed);
        var p = new double[n, c];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            double z = 0;
            var e = new double[c];
            for (int j = 0; j < c; j++) { e[j] = Math.Exp(sharpness * (rng.NextDouble() * 2 - 1)); z += e[j]; }
            for (int j = 0; j < c; j++) p[i, j] = e[j] / z;
            y[i] = rng.Next(c);
        }
        return (p, y);
    }

    [Fact]
    public void HandWorkedExample()
    {
        // confidences 0.9 (right), 0.6 (wrong), 0.7 (right), 0.55 (wrong)
        var p = new double[,] { { 0.9, 0.1 }, { 0.6, 0.4 }, { 0.3, 0.7 }, { 0.45, 0.55 } };
        var y = T.I64(0, 1, 1, 0);
        // two bins: all in (0.5, 1]: accuracy 0.5, mean confidence 0.6875
        T.Close(0.1875, LM.ece(P(p), y, 2));
        T.Close(0.1875, LM.mce(P(p), y, 2));
        // five bins: (0.4, 0.6] holds 0.6 and 0.55 (gap 0.575), (0.6, 0.8] 0.7 (gap 0.3), (0.8, 1] 0.9 (gap 0.1)
        T.Close(0.5 * 0.575 + 0.25 * 0.3 + 0.25 * 0.1, LM.ece(P(p), y, 5));
        T.Close(0.575, LM.mce(P(p), y, 5));
        Assert.Equal(0.3875, LM.ece(p, new long[] { 0, 1, 1, 0 }, 5), 12);
        Assert.Equal(0.575, LM.mce(p, new long[] { 0, 1, 1, 0 }, 5), 12);
    }

    [Theory]
    [InlineData(1, 200, 10, 3.0, 15)]
    [InlineData(2, 57, 5, 1.0, 10)]
    [InlineData(3, 1000, 3, 6.0, 15)]
    [InlineData(4, 31, 7, 10.0, 1)]
    [InlineData(5, 64, 2, 0.5, 20)]
    [InlineData(6, 1, 4, 2.0, 15)]
    public void MatchesGuoLoop(int seed, int n, int c, double sharpness, int bins)
    {
        var (p, y) = RandomProbs(seed, n, c, sharpness);
        var (ece, mce) = Brute(p, y, bins);
        T.Close(ece, LM.ece(P(p), T.I64(y), bins), 1e-12);
        T.Close(mce, LM.mce(P(p), T.I64(y), bins), 1e-12);
    }

    [Fact]
    public void DefaultIsFifteenBins()
    {
        var (p, y) = RandomProbs(7, 90, 4, 4.0);
        var (ece, mce) = Brute(p, y, 15);
        T.Close(ece, LM.ece(P(p), T.I64(y)), 1e-12);
        T.Close(mce, LM.mce(P(p), T.I64(y)), 1e-12);
    }

    [Fact]
    public void ArgmaxTiesTakeTheFirstMaximum()
    {
        var p = new double[,] { { 0.4, 0.4, 0.2 }, { 0.1, 0.45, 0.45 } };
        // first maxima: class 0 and class 1; both right
        T.Close(0.5 * 0.6 + 0.5 * 0.55, LM.ece(P(p), T.I64(0, 1), 10));
        // second maxima named instead: both wrong, gaps 0.4 and 0.45 in different bins
        T.Close(0.5 * 0.4 + 0.5 * 0.45, LM.ece(P(p), T.I64(1, 2), 10));
    }

    [Fact]
    public void ConfidencesOnBinEdgesBelongToTheBinTheyClose()
    {
        // uniform rows: confidence exactly 1/5 = 3/15, and 1/2; bins of 15 and 10
        var p = new double[,] { { 0.2, 0.2, 0.2, 0.2, 0.2 }, { 0.5, 0.5, 0, 0, 0 }, { 1.0, 0, 0, 0, 0 } };
        var y = new long[] { 0, 1, 0 };
        foreach (int bins in new[] { 15, 10, 5, 2 })
        {
            var (ece, mce) = Brute(p, y, bins);
            T.Close(ece, LM.ece(P(p), T.I64(y), bins), 1e-14);
            T.Close(mce, LM.mce(P(p), T.I64(y), bins), 1e-14);
        }
        // with 5 bins the rows sit in (0, 0.2], (0.4, 0.6], (0.8, 1]: gaps 0.8, 0.5, 0
        T.Close((0.8 + 0.5 + 0) / 3, LM.ece(P(p), T.I64(y), 5));
    }

    [Fact]
    public void ZeroConfidenceGoesToTheFirstBin()
    {
        // a row of zeros (rows need not sum to 1): confidence 0, prediction class 0 (right): gap 1 in bin 1
        var p = new double[,] { { 0, 0, 0 }, { 0.05, 0.9, 0.05 } };
        T.Close(0.5 * 1.0 + 0.5 * 0.1, LM.ece(P(p), T.I64(0, 1), 10));
        T.Close(1.0, LM.mce(P(p), T.I64(0, 1), 10));
    }

    [Fact]
    public void RowsNeedNotSumToOne()
    {
        var p = new double[,] { { 0.7, 0.7 }, { 0.2, 0.1 }, { 0.05, 0.3 } };
        var y = new long[] { 1, 0, 1 };
        var (ece, mce) = Brute(p, y, 15);
        T.Close(ece, LM.ece(P(p), T.I64(y)), 1e-14);
        T.Close(mce, LM.mce(P(p), T.I64(y)), 1e-14);
    }

    [Fact]
    public void Float32ProbsGiveAFloat64Scalar()
    {
        var (p, y) = RandomProbs(9, 40, 3, 2.0);
        var p32 = new double[40, 3];
        var f = new float[120];
        for (int i = 0; i < 40; i++) for (int j = 0; j < 3; j++) { f[i * 3 + j] = (float)p[i, j]; p32[i, j] = f[i * 3 + j]; }
        var got = LM.ece(T.F32(f, 40, 3), T.I64(y));
        Assert.Equal(ScalarType.Float64, got.dtype);
        Assert.Equal(0, got.dim());
        T.Close(Brute(p32, y, 15).ece, got, 1e-12);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var p = new double[,] { { 0.7, 0.3 }, { 0.4, 0.6 } };
        var e1 = Assert.Throws<ArgumentException>(() => LM.ece(P(new double[,] { { double.NaN, 0.3 }, { 0.4, 0.6 } }), T.I64(0, 1)));
        Assert.Contains("NaN", e1.Message);
        Assert.Contains("probs", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => LM.ece(P(new double[,] { { 1.5, 0.3 }, { 0.4, 0.6 } }), T.I64(0, 1)));
        Assert.Contains("probs", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => LM.mce(P(p), T.I64(0, 2)));
        Assert.Contains("labels", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => LM.ece(P(p), T.I64(0, 1, 1)));
        Assert.Contains("batch size", e4.Message);
        var e5 = Assert.Throws<ArgumentOutOfRangeException>(() => LM.ece(P(p), T.I64(0, 1), 0));
        Assert.Contains("n_bins", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => LM.ece(P(p), T.F64(new[] { 0.0, 1.0 })));
        Assert.Contains("labels", e6.Message);
        Assert.Throws<ArgumentException>(() => LM.ece(torch.zeros(0, 3, dtype: ScalarType.Float64), torch.zeros(0, dtype: ScalarType.Int64)));
        Assert.Throws<ArgumentException>(() => LM.ece(T.F64(new[] { 0.5, 0.5 }), T.I64(0, 1)));
    }

    [Fact]
    public void RegistryComputesTheSameValues()
    {
        var (p, y) = RandomProbs(13, 70, 4, 3.0);
        var inputs = new Dictionary<string, Tensor> { ["probs"] = P(p), ["labels"] = T.I64(y) };
        var (ece, mce) = Brute(p, y, 12);
        var ps = new Dictionary<string, string> { ["n_bins"] = "12" };
        T.Close(ece, LossLab.Registry.LossCatalog.FindMetric("ece")!.Compute(inputs, ps), 1e-12);
        T.Close(mce, LossLab.Registry.LossCatalog.FindMetric("mce")!.Compute(inputs, ps), 1e-12);
    }
}
