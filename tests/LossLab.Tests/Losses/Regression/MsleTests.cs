using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regression;

public class MsleTests
{
    private static readonly double[] X = { 0.0, Math.E - 1, 9.0, -0.5, 99.0, 1e-9 };
    private static readonly double[] Y = { Math.E - 1, 0.0, 99.0, 0.0, 9.0, 0.0 };

    [Fact]
    public void HandWorkedValues()
    {
        // log1p values: 0, 1 | 1, 0 | log 10, log 100 | log 0.5, 0 | log 100, log 10 | ~1e-9, 0
        double l10 = Math.Log(10);
        var want = new[] { 1.0, 1.0, l10 * l10, Math.Log(0.5) * Math.Log(0.5), l10 * l10, 1e-18 };
        T.Close(want, F.msle_loss(T.F64(X), T.F64(Y), Reduction.None), rtol: 1e-9, atol: 1e-24);
        T.Close(want.Average(), F.msle_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3)));
        T.Close(want.Sum(), F.msle_loss(T.F64(X), T.F64(Y), Reduction.Sum));
    }

    [Fact]
    public void IsTheMseOfTheLog1pValues()
    {
        var x = torch.rand(4, 5, dtype: ScalarType.Float64, generator: new Generator(2)) * 30;
        var y = torch.rand(4, 5, dtype: ScalarType.Float64, generator: new Generator(3)) * 30;
        var want = T.Values(x).Zip(T.Values(y), (a, b) => Math.Pow(Math.Log(1 + a) - Math.Log(1 + b), 2)).Average();
        T.Close(want, F.msle_loss(x, y));
    }

    [Fact]
    public void GradientsOfInputAndTarget()
    {
        var x = T.F64(X).requires_grad_(true);
        var y = T.F64(Y).requires_grad_(true);
        var g = torch.autograd.grad(new List<Tensor> { F.msle_loss(x, y, Reduction.Sum) }, new List<Tensor> { x, y });
        var d = X.Zip(Y, (a, b) => 2 * (Math.Log(1 + a) - Math.Log(1 + b))).ToArray();
        T.Close(d.Select((v, i) => v / (1 + X[i])).ToArray(), g[0], rtol: 1e-8, atol: 1e-15);
        T.Close(d.Select((v, i) => -v / (1 + Y[i])).ToArray(), g[1], rtol: 1e-8, atol: 1e-15);
    }

    [Fact]
    public void Float32LargeValuesStayFiniteAndModuleMatches()
    {
        var x = T.F32(new[] { 1e4f, 0f, 3e7f }, 3);
        var y = T.F32(new[] { 0f, 1e4f, 0.5f }, 3);
        T.Finite(F.msle_loss(x, y), "loss");
        T.Finite(T.Grad(v => F.msle_loss(v, y), x), "gradient");
        T.Close(T.Values(F.msle_loss(x, y, Reduction.Sum)), new MsleLoss(Reduction.Sum).forward(x, y));
    }

    [Fact]
    public void ValuesAtOrBelowMinusOneAreRejected()
    {
        var ok = T.F64(new[] { 0.0, 1.0 });
        var e1 = Assert.Throws<ArgumentException>(() => F.msle_loss(T.F64(new[] { -1.0, 1.0 }), ok));
        Assert.Contains("input", e1.Message);
        Assert.Contains("> -1", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.msle_loss(ok, T.F64(new[] { 0.0, -3.0 })));
        Assert.Contains("target", e2.Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => F.msle_loss(T.F64(new[] { double.NaN, 1.0 }), ok)).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.msle_loss(ok, T.F64(new[] { 0.0, 1.0, 2.0 }))).Message);
    }
}
