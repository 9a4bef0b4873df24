using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class MmceTests
{
    // 6 samples, 3 classes: rows 0-2 predicted right, rows 3-5 wrong.
    private static readonly double[] X = { 2.0, 0.1, -1.0, /**/ 0.2, 1.1, 0.3, /**/ -0.4, 0.0, 0.9, /**/ 1.5, 0.2, 0.1, /**/ 0.3, -0.2, 0.25, /**/ -1.0, 2.5, 0.0 };
    private static readonly long[] Y = { 0, 1, 2, 1, 2, 0 };

    private static (double[] r, double[] c, double[] ce) Stats(double[] x)
    {
        var rows = ClassificationRef.Rows(x, 3);
        var r = new double[rows.Length];
        var c = new double[rows.Length];
        var ce = new double[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            var lp = ClassificationRef.LogSoftmax(rows[i]);
            int arg = Array.IndexOf(lp, lp.Max());
            r[i] = Math.Exp(lp[arg]);
            c[i] = arg == Y[i] ? 1 : 0;
            ce[i] = -lp[Y[i]];
        }
        return (r, c, ce);
    }

    private static double K(double a, double b, double bw) => Math.Exp(-Math.Abs(a - b) / bw);

    // The paper's estimators as double loops.
    private static double Mmce2(double[] x, bool weighted, double bw = 0.4)
    {
        var (r, c, _) = Stats(x);
        int n = r.Length;
        double s = 0;
        if (!weighted)
        {
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) s += (c[i] - r[i]) * (c[j] - r[j]) * K(r[i], r[j], bw);
            return s / (n * n);
        }
        double m = c.Sum(), k = n - m;
        if (m == 0 || k == 0) return 0;
        double cc = 0, ii = 0, ci = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (c[i] == 1 && c[j] == 1) cc += (1 - r[i]) * (1 - r[j]) * K(r[i], r[j], bw);
                if (c[i] == 0 && c[j] == 0) ii += r[i] * r[j] * K(r[i], r[j], bw);
                if (c[i] == 1 && c[j] == 0) ci += (1 - r[i]) * r[j] * K(r[i], r[j], bw);
            }
        return cc / (m * m) + ii / (k * k) - 2 * ci / (m * k);
    }

    [Theory]
    [InlineData(false, 1.0)]
    [InlineData(true, 1.0)]
    [InlineData(true, 3.5)]
    [InlineData(false, 0.0)]
    public void MatchesThePapersEstimatorForEachReduction(bool weighted, double lambda)
    {
        var (_, c, ce) = Stats(X);
        Assert.Equal(3, c.Sum());
        double mmce = Math.Sqrt(Mmce2(X, weighted) + 1e-10);
        var per = ce.Select(v => v + lambda * mmce).ToArray();
        var x = T.F64(X, 6, 3);
        T.Close(per, F.mmce_loss(x, T.I64(Y), weighted, lambda, reduction: Reduction.None));
        T.Close(per.Average(), F.mmce_loss(x, T.I64(Y), weighted, lambda));
        T.Close(per.Sum(), F.mmce_loss(x, T.I64(Y), weighted, lambda, reduction: Reduction.Sum));
        var spec = LossCatalog.Create($"mmce:weighted={(weighted ? "true" : "false")},lambda={lambda}");
        T.Close(per.Average(), spec.forward(x, T.I64(Y)));
    }

    [Fact]
    public void SquaredAloneAndBandwidthOptions()
    {
        var x = T.F64(X, 6, 3);
        T.Close(Mmce2(X, false, 0.2), F.mmce_loss(x, T.I64(Y), bandwidth: 0.2, squared: true, with_cross_entropy: false));
        T.Close(2 * Mmce2(X, true), F.mmce_loss(x, T.I64(Y), weighted: true, @lambda: 2, squared: true, with_cross_entropy: false));
        Assert.True(Mmce2(X, true) > 0 && Mmce2(X, false) > 0);
    }

    [Fact]
    public void WeightedTermVanishesWhenEverySampleIsRightOrEveryOneWrong()
    {
        var x = T.F64(X, 6, 3);
        var argmax = x.argmax(1);
        T.Close(T.Scalar(F.cross_entropy(x, argmax)), F.mmce_loss(x, argmax, weighted: true));
        T.Close(0.0, F.mmce_loss(x, (argmax + 1) % 3, weighted: true, with_cross_entropy: false));
        T.Finite(T.Grad(v => F.mmce_loss(v, argmax, weighted: true), x), "gradient with one group empty");
    }

    [Fact]
    public void GradientFlowsThroughTheConfidencesOnly()
    {
        const double h = 1e-6;
        foreach (bool weighted in new[] { false, true })
        {
            var g = T.Values(T.Grad(v => F.mmce_loss(v, T.I64(Y), weighted, 2.0, squared: true, with_cross_entropy: false), T.F64(X, 6, 3)));
            for (int i = 0; i < X.Length; i++)
            {
                var up = (double[])X.Clone(); up[i] += h;
                var dn = (double[])X.Clone(); dn[i] -= h;
                double numeric = 2 * (Mmce2(up, weighted) - Mmce2(dn, weighted)) / (2 * h);
                Assert.True(Math.Abs(numeric - g[i]) < 1e-7, $"weighted={weighted} entry {i}: autograd {g[i]}, numeric {numeric}");
            }
        }
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 3f, 0f, 0f, 1e4f, 5f, 5f, 5f }, 4, 3);
        var y = T.I64(0, 0, 2, 1);
        foreach (bool weighted in new[] { false, true })
            foreach (bool squared in new[] { false, true })
            {
                T.Finite(F.mmce_loss(x, y, weighted, squared: squared), "loss");
                T.Finite(T.Grad(v => F.mmce_loss(v, y, weighted, squared: squared), x), "gradient");
            }
        // a perfectly confident, perfectly right batch is calibrated: MMCE^2 = 0 and the square root's gradient stays finite
        var sure = T.F32(new[] { 1e4f, -1e4f, -1e4f, 1e4f }, 2, 2);
        T.Close(0.0, F.mmce_loss(sure, T.I64(0, 1), squared: true, with_cross_entropy: false), atol: 1e-12);
        T.Finite(T.Grad(v => F.mmce_loss(v, T.I64(0, 1)), sure), "gradient at MMCE = 0");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(3, 3, dtype: ScalarType.Float64);
        var y = T.I64(0, 1, 2);
        Assert.Contains("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => F.mmce_loss(x, y, @lambda: -1)).Message);
        Assert.Contains("bandwidth", Assert.Throws<ArgumentOutOfRangeException>(() => F.mmce_loss(x, y, bandwidth: 0)).Message);
        Assert.Contains("at least one sample", Assert.Throws<ArgumentException>(() => F.mmce_loss(torch.zeros(0, 3, dtype: ScalarType.Float64), T.I64())).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.mmce_loss(x, T.I64(0, 1, 5))).Message);
        Assert.Contains("batch size", Assert.Throws<ArgumentException>(() => F.mmce_loss(x, T.I64(0, 1))).Message);
    }
}
