using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using L = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class MultiMarginLossTests
{
    private static readonly double[] X = { 0.1, 0.2, 0.4, 0.8, -1.0, 0.5, 2.0, 0.0, 0.3 };
    private static readonly long[] Y = { 3, 1, 2 };

    // brute force: sum_{j != y} w[y] max(0, margin - x[y] + x[j])^p / C
    private static double[] Reference(double[] x, long[] y, int c, int p, double margin, double[]? w)
    {
        int n = y.Length;
        var res = new double[n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < c; j++)
            {
                if (j == y[i]) continue;
                double z = Math.Max(0, margin - x[i * c + y[i]] + x[i * c + j]);
                res[i] += (w?[y[i]] ?? 1) * Math.Pow(z, p) / c;
            }
        return res;
    }

    [Fact]
    public void PyTorchsDocumentationExample()
    {
        // torch docs: x = [[0.1, 0.2, 0.4, 0.8]], y = [3] -> 1/4 * ((1-(0.8-0.1)) + (1-(0.8-0.2)) + (1-(0.8-0.4))) = 0.325
        T.Close(0.325, L.multi_margin_loss(T.F64(new[] { 0.1, 0.2, 0.4, 0.8 }, 1, 4), T.I64(3)), 1e-12);
    }

    [Theory]
    [InlineData(1, 1.0, false)]
    [InlineData(2, 1.0, false)]
    [InlineData(1, 0.5, true)]
    [InlineData(2, 2.0, true)]
    public void MatchesBruteForceForEveryReduction(int p, double margin, bool weighted)
    {
        double[]? w = weighted ? new[] { 0.5, 2.0, 1.5 } : null;
        var want = Reference(X, Y.Select(v => v % 3).ToArray(), 3, p, margin, w);
        var x = T.F64(X, 3, 3);
        var y = T.I64(Y.Select(v => v % 3).ToArray());
        var wt = weighted ? T.F64(w!) : null;
        T.Close(want, L.multi_margin_loss(x, y, p, margin, wt, Reduction.None));
        T.Close(want.Sum(), L.multi_margin_loss(x, y, p, margin, wt, Reduction.Sum));
        T.Close(want.Average(), L.multi_margin_loss(x, y, p, margin, wt));
    }

    [Fact]
    public void GradientMatchesTheClosedForm()
    {
        var x = T.F64(X, 3, 3);
        var y = T.I64(0, 1, 2);
        double[] w = { 0.5, 2.0, 1.5 };
        var g = T.Grad(v => L.multi_margin_loss(v, y, 2, 1.0, T.F64(w), Reduction.Sum), x);
        var want = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                if (j == i) continue;
                double z = 1.0 - X[i * 3 + i] + X[i * 3 + j];
                if (z <= 0) continue;
                want[i * 3 + j] += w[i] * 2 * z / 3;
                want[i * 3 + i] -= w[i] * 2 * z / 3;
            }
        T.Close(want, g);
    }

    [Fact]
    public void UnbatchedInputAndAgreementWithLibtorch()
    {
        var single = L.multi_margin_loss(T.F64(new[] { 0.1, 0.2, 0.4, 0.8 }), torch.tensor(3L), reduction: Reduction.None);
        Assert.Equal(0, single.dim());
        T.Close(0.325, single, 1e-12);
        var gen = new Generator(6);
        var x = torch.randn(new long[] { 7, 5 }, dtype: ScalarType.Float64, generator: gen);
        var y = torch.randint(0, 5, new long[] { 7 }, dtype: ScalarType.Int64, generator: gen);
        var w = torch.rand(new long[] { 5 }, dtype: ScalarType.Float64, generator: gen);
        foreach (int p in new[] { 1, 2 })
            T.Close(T.Values(torch.nn.functional.multi_margin_loss(x, y, p, 0.7, w, nn.Reduction.None)), L.multi_margin_loss(x, y, p, 0.7, w, Reduction.None), 1e-12);
    }

    [Fact]
    public void ModuleGivesTheFunctionsValue()
    {
        var x = T.F64(X, 3, 3);
        var y = T.I64(0, 1, 2);
        T.Close(T.Scalar(L.multi_margin_loss(x, y, 2, 0.5)), new MultiMarginLoss(2, 0.5).forward(x, y));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = T.F64(X, 3, 3);
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => L.multi_margin_loss(x, T.I64(0, 1, 2), p: 3));
        Assert.Contains("'p'", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => L.multi_margin_loss(x, T.I64(0, 1, 3)));
        Assert.Contains("target", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => L.multi_margin_loss(x, T.I64(0, 1)));
        Assert.Contains("target", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => L.multi_margin_loss(x, T.I64(0, 1, 2), weight: T.F64(new[] { 1.0 })));
        Assert.Contains("weight", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => L.multi_margin_loss(torch.zeros(2, 2, 2, dtype: ScalarType.Float64), T.I64(0, 1)));
        Assert.Contains("input", e5.Message);
    }
}
