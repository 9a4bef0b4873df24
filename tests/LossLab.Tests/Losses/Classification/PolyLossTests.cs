using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class PolyLossTests
{
    private static readonly double[] X = { 1.0, -0.5, 2.0, /**/ 0.3, 0.1, -1.2, /**/ -2.0, 3.0, 0.5 };
    private static readonly long[] Y = { 2, 0, 0 };

    // -sum_c q_c log p_c + sum_j eps_j (1 - sum_c q_c p_c)^j per row, in plain doubles.
    private static double[] Reference(double[][] q, double[] eps)
    {
        var rows = ClassificationRef.Rows(X, 3);
        return rows.Select((r, i) =>
        {
            var lp = ClassificationRef.LogSoftmax(r);
            double ce = 0, pt = 0;
            for (int c = 0; c < 3; c++) { ce -= q[i][c] * lp[c]; pt += q[i][c] * Math.Exp(lp[c]); }
            double poly = 0;
            for (int j = 0; j < eps.Length; j++) poly += eps[j] * Math.Pow(1 - pt, j + 1);
            return ce + poly;
        }).ToArray();
    }

    private static double[][] OneHot(long[] y, int c, double smoothing = 0) =>
        y.Select(v => Enumerable.Range(0, c).Select(k => (k == v ? 1 - smoothing : 0) + smoothing / c).ToArray()).ToArray();

    [Theory]
    [InlineData(new[] { 1.0 })]
    [InlineData(new[] { 2.0, -0.5, 0.3 })]
    [InlineData(new[] { 0.0, 0.0, 1.0, 4.0 })]
    public void MatchesHandComputedValuesForEachReduction(double[] eps)
    {
        var want = Reference(OneHot(Y, 3), eps);
        T.Close(want, F.poly_loss(T.F64(X, 3, 3), T.I64(Y), eps, reduction: Reduction.None));
        T.Close(want.Average(), F.poly_loss(T.F64(X, 3, 3), T.I64(Y), eps));
        T.Close(want.Sum(), F.poly_loss(T.F64(X, 3, 3), T.I64(Y), eps, reduction: Reduction.Sum));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(2.0)]
    [InlineData(-1.0)]
    public void OneEpsilonIsPoly1CrossEntropy(double epsilon)
    {
        var x = torch.randn(7, 5, dtype: ScalarType.Float64, generator: new Generator(21)) * 2;
        var y = torch.randint(0, 5, new long[] { 7 }, generator: new Generator(22));
        T.Close(T.Values(F.poly1_cross_entropy(x, y, epsilon, Reduction.None)), F.poly_loss(x, y, new[] { epsilon }, reduction: Reduction.None));
        var q = torch.softmax(torch.randn(7, 5, dtype: ScalarType.Float64, generator: new Generator(23)), 1);
        T.Close(T.Scalar(F.poly1_cross_entropy(x, q, epsilon)), F.poly_loss(x, q, new[] { epsilon }));
        T.Close(T.Scalar(F.poly1_cross_entropy(x, y, epsilon)), LossCatalog.Create($"poly_loss:epsilons={epsilon}").forward(x, y));
    }

    [Fact]
    public void MinusTheTaylorCoefficientsLeaveTheTailOfTheSeries()
    {
        // -log p = sum_j (1 - p)^j / j, so epsilon_j = -1/j for j <= N leaves sum_{j > N} (1 - p)^j / j.
        var x = T.F64(new[] { 2.5, 0.0, -1.0 }, 1, 3);
        double p = Math.Exp(ClassificationRef.LogSoftmax(new[] { 2.5, 0.0, -1.0 })[0]);
        const int n = 6;
        double tail = 0;
        for (int j = n + 1; j < 400; j++) tail += Math.Pow(1 - p, j) / j;
        var eps = Enumerable.Range(1, n).Select(j => -1.0 / j).ToArray();
        T.Close(tail, F.poly_loss(x, T.I64(0), eps), rtol: 1e-8, atol: 1e-14);
    }

    [Fact]
    public void LabelSmoothingAndProbabilityTargetsUseTheMixedTargetInBothTerms()
    {
        var eps = new[] { 1.5, 0.5 };
        T.Close(Reference(OneHot(Y, 3, 0.2), eps), F.poly_loss(T.F64(X, 3, 3), T.I64(Y), eps, 0.2, Reduction.None));
        var q = new[] { new[] { 0.2, 0.3, 0.5 }, new[] { 1.0, 0, 0 }, new[] { 0.1, 0.1, 0.8 } };
        T.Close(Reference(q, eps), F.poly_loss(T.F64(X, 3, 3), T.F64(q.SelectMany(r => r).ToArray(), 3, 3), eps, reduction: Reduction.None));
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 3f }, 2, 3);
        var y = T.I64(1, 1);
        var eps = new[] { 2.0, -0.5, 0.25 };
        T.Finite(F.poly_loss(x, y, eps), "loss");
        T.Finite(T.Grad(v => F.poly_loss(v, y, eps), x), "gradient");
        T.Finite(T.Grad(v => F.poly_loss(v, y, eps, 0.1), x), "gradient with smoothing");
        Assert.Equal(2e4 + 2 - 0.5 + 0.25, T.Values(F.poly_loss(x, y, eps, reduction: Reduction.None))[0], 0);   // p_t = 0
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(3, 3, dtype: ScalarType.Float64);
        Assert.Contains("epsilons", Assert.Throws<ArgumentOutOfRangeException>(() => F.poly_loss(x, T.I64(Y), Array.Empty<double>())).Message);
        Assert.Contains("epsilons", Assert.Throws<ArgumentOutOfRangeException>(() => F.poly_loss(x, T.I64(Y), new[] { 1.0, double.NaN })).Message);
        Assert.Contains("label_smoothing", Assert.Throws<ArgumentOutOfRangeException>(() => F.poly_loss(x, T.I64(Y), label_smoothing: -0.1)).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.poly_loss(x, T.I64(0, 3, 1))).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.poly_loss(x, torch.zeros(3, 2, dtype: ScalarType.Float64))).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.poly_loss(torch.zeros(3, dtype: ScalarType.Float64), T.I64(Y))).Message);
        Assert.Contains("epsilons", Assert.Throws<ArgumentException>(() => LossCatalog.Create("poly_loss:epsilons=1;x")).Message);
    }
}
