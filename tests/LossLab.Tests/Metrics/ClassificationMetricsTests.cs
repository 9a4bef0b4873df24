using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using LM = LossLab.Metrics;

namespace LossLab.Tests.Metrics;

public class ClassificationMetricsTests
{
    internal static Tensor M(double[,] v) => T.F64(v.Cast<double>().ToArray(), v.GetLength(0), v.GetLength(1));

    internal static (double[,] z, long[] y) RandomLogits(int seed, int n, int c, double scale)
    {
        var rng = new System.Random(seed);
        var z = new double[n, c];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < c; j++) z[i, j] = scale * (rng.NextDouble() * 2 - 1);
            y[i] = rng.Next(c);
        }
        return (z, y);
    }

    internal static double[,] Softmax(double[,] z)
    {
        int n = z.GetLength(0), c = z.GetLength(1);
        var p = new double[n, c];
        for (int i = 0; i < n; i++)
        {
            double m = double.NegativeInfinity;
            for (int j = 0; j < c; j++) m = Math.Max(m, z[i, j]);
            double s = 0;
            for (int j = 0; j < c; j++) s += Math.Exp(z[i, j] - m);
            for (int j = 0; j < c; j++) p[i, j] = Math.Exp(z[i, j] - m) / s;
        }
        return p;
    }

    // Brute force: rank of the label = classes scoring strictly higher, plus tied classes with a lower index.
    private static double BruteTopK(double[,] s, long[] y, int k)
    {
        int n = s.GetLength(0), c = s.GetLength(1), hits = 0;
        for (int i = 0; i < n; i++)
        {
            var order = Enumerable.Range(0, c).OrderByDescending(j => s[i, j]).ThenBy(j => j).ToList();
            if (order.IndexOf((int)y[i]) < k) hits++;
        }
        return (double)hits / n;
    }

    [Fact]
    public void AccuracyAndErrorByHand()
    {
        var s = new double[,] { { 2, 1, 0 }, { 0, 3, 1 }, { 1, 1, 0 }, { 0, 0, 5 } };
        // predictions (first max on ties): 0, 1, 0, 2; labels 0, 2, 1, 2: right, wrong, wrong (tie goes to 0), right
        var y = T.I64(0, 2, 1, 2);
        T.Close(0.5, LM.accuracy(M(s), y));
        T.Close(0.5, LM.error(M(s), y));
        T.Close(1.0, LM.accuracy(M(s), T.I64(0, 1, 0, 2)));
        Assert.Equal(ScalarType.Float64, LM.accuracy(M(s), y).dtype);
    }

    [Theory]
    [InlineData(1, 50, 7, 1)]
    [InlineData(2, 40, 10, 5)]
    [InlineData(3, 1, 4, 2)]
    [InlineData(4, 30, 3, 3)]
    [InlineData(5, 30, 3, 8)]
    public void TopKMatchesARankedLoop(int seed, int n, int c, int k)
    {
        var (z, y) = RandomLogits(seed, n, c, 3.0);
        // round to make ties common
        for (int i = 0; i < n; i++) for (int j = 0; j < c; j++) z[i, j] = Math.Round(z[i, j]);
        T.Close(BruteTopK(z, y, k), LM.top_k_accuracy(M(z), T.I64(y), k));
        if (k == 1) T.Close(T.Scalar(LM.accuracy(M(z), T.I64(y))), LM.top_k_accuracy(M(z), T.I64(y), 1));
    }

    [Fact]
    public void TopKTiesGoToTheLowerIndex()
    {
        var s = new double[,] { { 1, 1, 1, 0 } };
        T.Close(1.0, LM.top_k_accuracy(M(s), T.I64(1), 2));
        T.Close(0.0, LM.top_k_accuracy(M(s), T.I64(2), 2));
        T.Close(1.0, LM.top_k_accuracy(M(s), T.I64(3), 4));
        T.Close(1.0, LM.top_k_accuracy(M(s), T.I64(3), 100));
    }

    [Fact]
    public void NllFromLogitsAndFromProbabilities()
    {
        var (z, y) = RandomLogits(7, 25, 6, 4.0);
        var p = Softmax(z);
        double want = 0;
        for (int i = 0; i < y.Length; i++) want -= Math.Log(p[i, y[i]]);
        want /= y.Length;
        T.Close(want, LM.nll(M(z), T.I64(y)), 1e-12);
        T.Close(want, LM.nll(M(p), T.I64(y), MetricInput.Probabilities), 1e-12);
        // a zero probability on the label: infinite
        Assert.Equal(double.PositiveInfinity, T.Scalar(LM.nll(M(new double[,] { { 1, 0 } }), T.I64(1), MetricInput.Probabilities)));
    }

    [Fact]
    public void NllIsFiniteForHugeFloat32Logits()
    {
        var z = T.F32(new float[] { 1e4f, -1e4f, 0f, 0f, 1e4f, -1e4f }, 2, 3);
        var v = T.Scalar(LM.nll(z, T.I64(0, 2)));
        // row 1 [1e4, -1e4, 0], label 0: log p = 0; row 2 [0, 1e4, -1e4], label 2: log p = -2e4 (to float64 precision)
        Assert.Equal(2e4 / 2, v, 6);
    }

    [Fact]
    public void BrierByHand()
    {
        var p = new double[,] { { 0.7, 0.2, 0.1 }, { 0.3, 0.3, 0.4 } };
        // (0.3^2 + 0.2^2 + 0.1^2) = 0.14; (0.3^2 + 0.7^2 + 0.4^2) = 0.74
        T.Close((0.14 + 0.74) / 2, LM.brier(M(p), T.I64(0, 1), MetricInput.Probabilities), 1e-14);
        var (z, y) = RandomLogits(3, 20, 4, 2.0);
        var q = Softmax(z);
        double want = 0;
        for (int i = 0; i < y.Length; i++) for (int j = 0; j < 4; j++) want += Math.Pow(q[i, j] - (j == y[i] ? 1 : 0), 2);
        T.Close(want / y.Length, LM.brier(M(z), T.I64(y)), 1e-12);
    }

    [Fact]
    public void PerfectAndSingleClassCases()
    {
        var onehot = new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
        var y = T.I64(0, 1, 2);
        T.Close(1.0, LM.accuracy(M(onehot), y));
        T.Close(0.0, LM.brier(M(onehot), y, MetricInput.Probabilities));
        T.Close(0.0, LM.nll(M(onehot), y, MetricInput.Probabilities));
        // one class only: softmax is 1 everywhere
        var single = new double[,] { { 3 }, { -2 } };
        T.Close(1.0, LM.accuracy(M(single), T.I64(0, 0)));
        T.Close(0.0, LM.nll(M(single), T.I64(0, 0)));
        T.Close(0.0, LM.brier(M(single), T.I64(0, 0)));
    }

    [Fact]
    public void BadInputsAreNamed()
    {
        var z = M(new double[,] { { 1, 2 }, { 3, 4 } });
        Assert.Contains("labels", Assert.Throws<ArgumentException>(() => LM.accuracy(z, T.I64(0, 2))).Message);
        Assert.Contains("labels", Assert.Throws<ArgumentException>(() => LM.accuracy(z, T.I64(0))).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => LM.accuracy(T.I64(1, 2), T.I64(0, 1))).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => LM.nll(M(new double[,] { { double.NaN, 1 } }), T.I64(0))).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => LM.nll(M(new double[,] { { double.PositiveInfinity, 1 } }), T.I64(0))).Message);
        Assert.Contains("[0, 1]", Assert.Throws<ArgumentException>(() => LM.brier(M(new double[,] { { 1.5, 1 } }), T.I64(0), MetricInput.Probabilities)).Message);
        Assert.Contains("'k'", Assert.Throws<ArgumentOutOfRangeException>(() => LM.top_k_accuracy(z, T.I64(0, 1), 0)).Message);
        Assert.Contains("at least one sample", Assert.Throws<ArgumentException>(() => LM.accuracy(torch.zeros(0, 3, dtype: ScalarType.Float64), T.I64())).Message);
    }

    [Theory]
    [InlineData("accuracy")]
    [InlineData("error")]
    [InlineData("top_k_accuracy")]
    [InlineData("nll")]
    [InlineData("brier")]
    [InlineData("adaece")]
    [InlineData("classwise_ece")]
    public void RegistryEntriesTakeLogitsOrProbs(string name)
    {
        var def = LossCatalog.GetMetric(name);
        var (z, y) = RandomLogits(11, 30, 5, 3.0);
        var logits = M(z);
        var probs = torch.softmax(logits, 1);
        double a = T.Scalar(def.Compute(new Dictionary<string, Tensor> { ["logits"] = logits, ["labels"] = T.I64(y) }));
        double b = T.Scalar(def.Compute(new Dictionary<string, Tensor> { ["probs"] = probs, ["labels"] = T.I64(y) }));
        Assert.Equal(a, b, 12);
        var both = Assert.Throws<ArgumentException>(() => def.Compute(new Dictionary<string, Tensor> { ["logits"] = logits, ["probs"] = probs, ["labels"] = T.I64(y) }));
        Assert.Contains("exactly one", both.Message);
        Assert.Throws<ArgumentException>(() => def.Compute(new Dictionary<string, Tensor> { ["labels"] = T.I64(y) }));
    }
}
