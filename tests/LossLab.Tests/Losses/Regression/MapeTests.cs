using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regression;

public class MapeTests
{
    private static readonly double[] X = { 110.0, 45.0, -3.0, 0.5 };
    private static readonly double[] Y = { 100.0, 50.0, -2.0, 0.0 };

    [Fact]
    public void KerasFormHandWorked()
    {
        // 10/100, 5/50, 1/2, 0.5/1e-7 (target 0: the denominator is eps), times 100
        var want = new[] { 10.0, 10.0, 50.0, 100 * 0.5 / 1e-7 };
        T.Close(want, F.mape_loss(T.F64(X), T.F64(Y), reduction: Reduction.None));
        T.Close(want.Average(), F.mape_loss(T.F64(X, 2, 2), T.F64(Y, 2, 2)));
        T.Close(want.Sum(), F.mape_loss(T.F64(X), T.F64(Y), reduction: Reduction.Sum));
    }

    [Fact]
    public void ScikitLearnFormHasNoFactor100()
    {
        double eps = 2.220446049250313e-16;
        var want = X.Zip(Y, (a, b) => Math.Abs(a - b) / Math.Max(Math.Abs(b), eps)).Take(3).Average();
        T.Close(want, F.mape_loss(T.F64(X.Take(3).ToArray()), T.F64(Y.Take(3).ToArray()), eps, percent: false));
    }

    [Fact]
    public void InputGradientIsTheSignOverTheDenominator()
    {
        var g = T.Grad(v => F.mape_loss(v, T.F64(Y), eps: 0.25, reduction: Reduction.Sum), T.F64(X));
        T.Close(X.Zip(Y, (a, b) => 100 * Math.Sign(a - b) / Math.Max(Math.Abs(b), 0.25)).ToArray(), g);
    }

    [Fact]
    public void Float32LargeValuesStayFiniteAndModuleMatches()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0.2f }, 3);
        var y = T.F32(new[] { -1e4f, 1e4f, 0f }, 3);
        T.Finite(F.mape_loss(x, y), "loss");
        T.Finite(T.Grad(v => F.mape_loss(v, y), x), "gradient");
        T.Close(T.Values(F.mape_loss(x, y, 1e-3, false)), new MapeLoss(1e-3, false).forward(x, y));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(3, dtype: ScalarType.Float64);
        Assert.Contains("eps", Assert.Throws<ArgumentOutOfRangeException>(() => F.mape_loss(x, x, eps: 0)).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.mape_loss(x, torch.zeros(3, dtype: ScalarType.Int64))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MapeLoss(eps: -1));
    }
}
