using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regression;

public class SmoothL1LossTests
{
    private static readonly double[] X = { 1.5, -0.25, 3.0, 0.0, 2.0, -4.0, 0.1, 7.0 };
    private static readonly double[] Y = { 1.0, 0.75, -1.0, 0.5, 2.0, -1.5, -0.2, 6.0 };

    private static double Reference(double x, double y, double beta)
    {
        double z = Math.Abs(x - y);
        return beta == 0 ? z : z < beta ? 0.5 * z * z / beta : z - 0.5 * beta;
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.3)]
    [InlineData(2.5)]
    [InlineData(0.0)]
    public void MatchesThePiecewiseDefinition(double beta)
    {
        var each = X.Zip(Y, (a, b) => Reference(a, b, beta)).ToArray();
        T.Close(each, F.smooth_l1_loss(T.F64(X, 4, 2), T.F64(Y, 4, 2), Reduction.None, beta));
        T.Close(each.Sum(), F.smooth_l1_loss(T.F64(X), T.F64(Y), Reduction.Sum, beta));
        T.Close(each.Average(), F.smooth_l1_loss(T.F64(X), T.F64(Y), beta: beta));
    }

    [Fact]
    public void HandWorkedValues()
    {
        // beta 2: error 1 -> 0.25 (quadratic), error 3 -> 2 (linear, slope 1)
        T.Close(new[] { 0.25, 2.0 }, F.smooth_l1_loss(T.F64(new[] { 1.0, -3.0 }), T.F64(new[] { 0.0, 0.0 }), Reduction.None, beta: 2));
    }

    [Fact]
    public void BetaZeroIsL1IncludingItsGradient()
    {
        var x = torch.randn(4, 3, dtype: ScalarType.Float64, generator: new Generator(1));
        var y = torch.randn(4, 3, dtype: ScalarType.Float64, generator: new Generator(2));
        T.Close(T.Values(F.l1_loss(x, y, Reduction.None)), F.smooth_l1_loss(x, y, Reduction.None, 0));
        T.Close(T.Values((x - y).sign() / 12), T.Grad(v => F.smooth_l1_loss(v, y, beta: 0), x));
    }

    [Fact]
    public void GradientIsTheErrorOverBetaClippedAtOne()
    {
        const double beta = 0.6;
        var g = T.Grad(v => F.smooth_l1_loss(v, T.F64(Y), Reduction.Sum, beta), T.F64(X));
        T.Close(X.Zip(Y, (a, b) => Math.Clamp((a - b) / beta, -1, 1)).ToArray(), g);
    }

    [Fact]
    public void ModuleMatchesFunctionAndLargeFloat32ValuesStayFinite()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0.2f }, 3);
        var y = T.F32(new[] { -1e4f, 1e4f, 0f }, 3);
        T.Close(T.Values(F.smooth_l1_loss(x, y, beta: 0.5)), new SmoothL1Loss(beta: 0.5).forward(x, y));
        T.Finite(F.smooth_l1_loss(x, y), "loss");
        T.Finite(T.Grad(v => F.smooth_l1_loss(v, y), x), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(3, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => F.smooth_l1_loss(x, x, beta: -0.1));
        Assert.Contains("beta", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.smooth_l1_loss(x, torch.zeros(4, dtype: ScalarType.Float64)));
        Assert.Contains("target", e2.Message);
    }
}
