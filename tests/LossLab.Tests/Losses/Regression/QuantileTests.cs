using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regression;

public class QuantileTests
{
    private static double Pinball(double prediction, double target, double q)
    {
        double r = target - prediction;
        return r >= 0 ? q * r : (q - 1) * r;
    }

    [Fact]
    public void HandWorkedValues()
    {
        // q = 0.9: under-prediction by 2 costs 0.9 * 2 = 1.8, over-prediction by 2 costs 0.1 * 2 = 0.2, exact costs 0.
        var loss = F.quantile_loss(T.F64(new[] { 1.0, 3.0, 2.0 }), T.F64(new[] { 3.0, 1.0, 2.0 }), [0.9], Reduction.None);
        T.Close(new[] { 1.8, 0.2, 0.0 }, loss, rtol: 1e-12, atol: 1e-15);
    }

    [Fact]
    public void SeveralQuantilesAgainstABruteForceLoop()
    {
        double[] q = { 0.1, 0.5, 0.9 };
        double[] x = { 0.3, 1.2, -0.5, 2.0, 0.0, 1.1, -1.0, -0.2, 0.7, 3.0, 2.5, 1.9 };   // (4, 3)
        double[] y = { 1.0, -0.4, 0.2, 2.2 };
        var each = new double[12];
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < 3; k++) each[i * 3 + k] = Pinball(x[i * 3 + k], y[i], q[k]);
        T.Close(each, F.quantile_loss(T.F64(x, 4, 3), T.F64(y, 4), q, Reduction.None));
        T.Close(each, F.quantile_loss(T.F64(x, 4, 3), T.F64(y, 4, 1), q, Reduction.None));
        T.Close(each.Sum(), F.quantile_loss(T.F64(x, 4, 3), T.F64(y, 4), q, Reduction.Sum));
        T.Close(each.Average(), F.quantile_loss(T.F64(x, 4, 3), T.F64(y, 4), q));
        // a target per quantile (the (N, Q) form)
        var yFull = Enumerable.Range(0, 12).Select(j => y[j / 3]).ToArray();
        T.Close(each, F.quantile_loss(T.F64(x, 4, 3), T.F64(yFull, 4, 3), q, Reduction.None));
    }

    [Fact]
    public void MedianIsHalfTheAbsoluteError()
    {
        var x = torch.randn(5, 4, dtype: ScalarType.Float64, generator: new Generator(3));
        var y = torch.randn(5, 4, dtype: ScalarType.Float64, generator: new Generator(4));
        T.Close(0.5 * T.Scalar(F.l1_loss(x, y)), F.quantile_loss(x, y));
    }

    [Fact]
    public void TheMinimiserOverConstantsIsTheEmpiricalQuantile()
    {
        // For targets 1..10 and q = 0.7, a constant prediction c minimises sum_i pinball(c, y_i) at the 7th smallest value.
        var y = T.F64(Enumerable.Range(1, 10).Select(i => (double)i).ToArray());
        double best = double.PositiveInfinity, argBest = 0;
        for (double c = 0; c <= 11; c += 0.25)
        {
            double v = T.Scalar(F.quantile_loss(torch.full(10, c, dtype: ScalarType.Float64), y, [0.7], Reduction.Sum));
            if (v < best - 1e-12) { best = v; argBest = c; }
        }
        Assert.Equal(7.0, argBest);
    }

    [Fact]
    public void GradientIsMinusQForUnderPredictionAndOneMinusQForOver()
    {
        double[] x = { 0.0, 2.0, 1.0 };
        double[] y = { 1.0, 1.0, 1.0 };   // under, over, exact (r = 0 counts as under)
        var g = T.Grad(v => F.quantile_loss(v, T.F64(y), [0.25], Reduction.Sum), T.F64(x));
        T.Close(new[] { -0.25, 0.75, -0.25 }, g);
    }

    [Fact]
    public void RegistryParsesTheQuantileList()
    {
        var loss = LossCatalog.Create("quantile:quantiles=0.2;0.8,reduction=sum");
        var x = T.F64(new[] { 0.0, 0.0, 2.0, 2.0 }, 2, 2);
        var y = T.F64(new[] { 1.0, 1.0 }, 2);
        // rows: r = 1 (q*r: 0.2 + 0.8), r = -1 ((1-q): 0.8 + 0.2)
        T.Close(2.0, loss.forward(x, y));
    }

    [Fact]
    public void Float32LargeValuesStayFiniteAndModuleMatches()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, 3e4f }, 2, 2);
        var y = T.F32(new[] { -1e4f, 1e4f }, 2);
        double[] q = { 0.3, 0.6 };
        T.Finite(F.quantile_loss(x, y, q), "loss");
        T.Finite(T.Grad(v => F.quantile_loss(v, y, q), x), "gradient");
        T.Close(T.Values(F.quantile_loss(x, y, q)), new QuantileLoss(q).forward(x, y));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(4, 3, dtype: ScalarType.Float64);
        var y = torch.zeros(4, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => F.quantile_loss(x, y, [0.1, 1.5, 0.9]));
        Assert.Contains("quantiles", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.quantile_loss(x, y, [0.1, 0.9]));
        Assert.Contains("input", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.quantile_loss(x, torch.zeros(3, dtype: ScalarType.Float64), [0.1, 0.5, 0.9]));
        Assert.Contains("target", e3.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => F.quantile_loss(x, x, []));
        var e4 = Assert.Throws<ArgumentException>(() => F.quantile_loss(torch.zeros(4, dtype: ScalarType.Int64), y));
        Assert.Contains("input", e4.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new QuantileLoss([-0.1]));
        Assert.Throws<ArgumentException>(() => LossCatalog.Create("quantile:quantiles=0.5;2"));
    }
}
