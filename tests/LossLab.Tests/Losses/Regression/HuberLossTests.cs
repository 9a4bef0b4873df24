using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regression;

public class HuberLossTests
{
    private static readonly double[] X = { 1.5, -0.25, 3.0, 0.0, 2.0, -4.0, 0.1, 7.0 };
    private static readonly double[] Y = { 1.0, 0.75, -1.0, 0.5, 2.0, -1.5, -0.2, 6.0 };

    private static double Reference(double x, double y, double delta)
    {
        double z = Math.Abs(x - y);
        return z < delta ? 0.5 * z * z : delta * (z - 0.5 * delta);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.3)]
    [InlineData(2.5)]
    public void MatchesThePiecewiseDefinition(double delta)
    {
        var each = X.Zip(Y, (a, b) => Reference(a, b, delta)).ToArray();
        T.Close(each, F.huber_loss(T.F64(X, 2, 4), T.F64(Y, 2, 4), Reduction.None, delta));
        T.Close(each.Sum(), F.huber_loss(T.F64(X), T.F64(Y), Reduction.Sum, delta));
        T.Close(each.Average(), F.huber_loss(T.F64(X), T.F64(Y), delta: delta));
    }

    [Fact]
    public void HandWorkedValues()
    {
        // delta 1: errors 0.5 -> 0.125 (quadratic), 4 -> 3.5 (linear), exactly 1 -> 0.5 (both pieces agree)
        T.Close(new[] { 0.125, 3.5, 0.5 }, F.huber_loss(T.F64(new[] { 0.5, 4.0, 1.0 }), T.F64(new[] { 0.0, 0.0, 0.0 }), Reduction.None));
    }

    [Fact]
    public void GradientIsTheErrorClippedAtDelta()
    {
        const double delta = 0.8;
        var g = T.Grad(v => F.huber_loss(v, T.F64(Y), Reduction.Sum, delta), T.F64(X));
        T.Close(X.Zip(Y, (a, b) => Math.Clamp(a - b, -delta, delta)).ToArray(), g);
    }

    [Fact]
    public void IsDeltaTimesSmoothL1WithBetaDelta()
    {
        var x = torch.randn(5, 3, dtype: ScalarType.Float64, generator: new Generator(7)) * 2;
        var y = torch.randn(5, 3, dtype: ScalarType.Float64, generator: new Generator(8));
        T.Close(T.Values(F.smooth_l1_loss(x, y, Reduction.None, 0.7) * 0.7), F.huber_loss(x, y, Reduction.None, 0.7));
    }

    [Fact]
    public void ModuleMatchesFunctionAndLargeFloat32ValuesStayFinite()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0.2f }, 3);
        var y = T.F32(new[] { -1e4f, 1e4f, 0f }, 3);
        T.Close(T.Values(F.huber_loss(x, y, delta: 2)), new HuberLoss(delta: 2).forward(x, y));
        T.Finite(F.huber_loss(x, y), "loss");
        T.Close(new[] { 1.0, -1.0, 0.2 }, T.Grad(v => F.huber_loss(v, y, Reduction.Sum), x), rtol: 1e-6);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(3, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => F.huber_loss(x, x, delta: 0));
        Assert.Contains("delta", e1.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HuberLoss(delta: -1));
        var e2 = Assert.Throws<ArgumentException>(() => F.huber_loss(x, torch.zeros(1, 3, dtype: ScalarType.Float64)));
        Assert.Contains("target", e2.Message);
    }
}
