using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regression;

public class AsymmetricHuberTests
{
    private static readonly double[] X = { 1.5, -0.25, 3.0, 0.0, 2.0, -4.0, 0.1, 7.0 };
    private static readonly double[] Y = { 1.0, 0.75, -1.0, 0.5, 2.0, -1.5, -0.2, 6.0 };

    private static double Reference(double x, double y, double du, double dov, double su, double so)
    {
        double e = x - y, z = Math.Abs(e);
        double d = e < 0 ? du : dov, s = e < 0 ? su : so;
        return s * (z < d ? 0.5 * z * z : d * (z - 0.5 * d));
    }

    [Theory]
    [InlineData(1.0, 1.0, 1.0, 1.0)]
    [InlineData(0.5, 2.0, 3.0, 1.0)]
    [InlineData(4.0, 0.3, 0.5, 2.0)]
    public void MatchesThePiecewiseDefinitionForEachReduction(double du, double dov, double su, double so)
    {
        var each = X.Zip(Y, (a, b) => Reference(a, b, du, dov, su, so)).ToArray();
        T.Close(each, F.asymmetric_huber_loss(T.F64(X, 2, 4), T.F64(Y, 2, 4), du, dov, su, so, Reduction.None));
        T.Close(each.Sum(), F.asymmetric_huber_loss(T.F64(X), T.F64(Y), du, dov, su, so, Reduction.Sum));
        T.Close(each.Average(), F.asymmetric_huber_loss(T.F64(X), T.F64(Y), du, dov, su, so));
    }

    [Fact]
    public void HandWorkedValues()
    {
        // delta_under 0.5, scale_under 2: error -2 (under) -> 2 * 0.5 * (2 - 0.25) = 1.75; error +0.5 (over, delta 1) -> 0.125
        var loss = F.asymmetric_huber_loss(T.F64(new[] { 0.0, 1.5 }), T.F64(new[] { 2.0, 1.0 }), delta_under: 0.5, scale_under: 2.0, reduction: Reduction.None);
        T.Close(new[] { 1.75, 0.125 }, loss);
    }

    [Fact]
    public void SymmetricSettingsAreTheHuberLoss()
    {
        var x = torch.randn(5, 3, dtype: ScalarType.Float64, generator: new Generator(7)) * 2;
        var y = torch.randn(5, 3, dtype: ScalarType.Float64, generator: new Generator(8));
        T.Close(T.Values(F.huber_loss(x, y, Reduction.None, 0.7)), F.asymmetric_huber_loss(x, y, 0.7, 0.7, reduction: Reduction.None));
    }

    [Fact]
    public void GradientIsTheScaledClippedErrorOfEachSide()
    {
        const double du = 0.5, dov = 2.0, su = 3.0, so = 0.5;
        var g = T.Grad(v => F.asymmetric_huber_loss(v, T.F64(Y), du, dov, su, so, Reduction.Sum), T.F64(X));
        var want = X.Zip(Y, (a, b) => { double e = a - b; return e < 0 ? su * Math.Max(e, -du) : so * Math.Min(e, dov); }).ToArray();
        T.Close(want, g);
    }

    [Fact]
    public void Float32LargeErrorsStayFiniteAndModuleMatches()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0.2f }, 3);
        var y = T.F32(new[] { -1e4f, 1e4f, 0f }, 3);
        var m = new AsymmetricHuberLoss(delta_under: 2, scale_over: 3);
        T.Close(T.Values(F.asymmetric_huber_loss(x, y, delta_under: 2, scale_over: 3)), m.forward(x, y));
        T.Finite(m.forward(x, y), "loss");
        T.Close(new[] { 3.0, -2.0, 0.6 }, T.Grad(v => F.asymmetric_huber_loss(v, y, delta_under: 2, scale_over: 3, reduction: Reduction.Sum), x), rtol: 1e-6);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(3, dtype: ScalarType.Float64);
        Assert.Contains("delta_under", Assert.Throws<ArgumentOutOfRangeException>(() => F.asymmetric_huber_loss(x, x, delta_under: 0)).Message);
        Assert.Contains("delta_over", Assert.Throws<ArgumentOutOfRangeException>(() => F.asymmetric_huber_loss(x, x, delta_over: double.PositiveInfinity)).Message);
        Assert.Contains("scale_over", Assert.Throws<ArgumentOutOfRangeException>(() => new AsymmetricHuberLoss(scale_over: -1)).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.asymmetric_huber_loss(x, torch.zeros(1, 3, dtype: ScalarType.Float64))).Message);
        Assert.Contains("batchmean", Assert.Throws<ArgumentException>(() => F.asymmetric_huber_loss(x, x, reduction: Reduction.BatchMean)).Message);
    }
}
