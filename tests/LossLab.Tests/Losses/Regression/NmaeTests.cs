using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regression;

public class NmaeTests
{
    private static readonly double[] X = { 2.0, 5.0, 1.0, 9.0 };
    private static readonly double[] Y = { 1.0, 4.0, 3.0, 8.0 };   // range 7, mean 4; |errors| 1, 1, 2, 1

    [Fact]
    public void RangeAndMeanNormalisationHandWorked()
    {
        T.Close(new[] { 1 / 7.0, 1 / 7.0, 2 / 7.0, 1 / 7.0 }, F.nmae_loss(T.F64(X), T.F64(Y), reduction: Reduction.None));
        T.Close(5 / 4.0 / 7.0, F.nmae_loss(T.F64(X, 2, 2), T.F64(Y, 2, 2)));
        T.Close(5 / 7.0, F.nmae_loss(T.F64(X), T.F64(Y), reduction: Reduction.Sum));
        T.Close(5 / 4.0 / 4.0, F.nmae_loss(T.F64(X), T.F64(Y), NmaeNormalization.Mean));
        // a negative mean normalises by its magnitude
        T.Close(5 / 4.0 / 4.0, F.nmae_loss(T.F64(X.Select(v => -v).ToArray()), T.F64(Y.Select(v => -v).ToArray()), NmaeNormalization.Mean));
    }

    [Fact]
    public void IsTheL1LossOverTheNormaliser()
    {
        var x = torch.randn(6, 3, dtype: ScalarType.Float64, generator: new Generator(5));
        var y = torch.randn(6, 3, dtype: ScalarType.Float64, generator: new Generator(6)) + 2;
        double[] yv = T.Values(y);
        double range = yv.Max() - yv.Min(), mean = Math.Abs(yv.Average());
        T.Close(T.Scalar(F.l1_loss(x, y)) / range, F.nmae_loss(x, y));
        T.Close(T.Scalar(F.l1_loss(x, y)) / mean, F.nmae_loss(x, y, NmaeNormalization.Mean));
    }

    [Fact]
    public void InputGradientIsTheSignOverNTimesTheNormaliser()
    {
        var g = T.Grad(v => F.nmae_loss(v, T.F64(Y)), T.F64(X));
        T.Close(X.Zip(Y, (a, b) => Math.Sign(a - b) / (4 * 7.0)).ToArray(), g);
    }

    [Fact]
    public void AZeroNormaliserIsAClearError()
    {
        var constant = T.F64(new[] { 3.0, 3.0, 3.0 });
        var e1 = Assert.Throws<ArgumentException>(() => F.nmae_loss(T.F64(new[] { 1.0, 2.0, 3.0 }), constant));
        Assert.Contains("target", e1.Message);
        Assert.Contains("range", e1.Message);
        var zeroMean = T.F64(new[] { -1.0, 0.0, 1.0 });
        var e2 = Assert.Throws<ArgumentException>(() => F.nmae_loss(T.F64(new[] { 1.0, 2.0, 3.0 }), zeroMean, NmaeNormalization.Mean));
        Assert.Contains("mean", e2.Message);
        // a single element has range 0
        Assert.Throws<ArgumentException>(() => LossCatalog.Create("nmae").forward(T.F64(new[] { 1.0 }), T.F64(new[] { 2.0 })));
        // the other normalisation works on the same data
        T.Finite(F.nmae_loss(T.F64(new[] { 1.0, 2.0, 3.0 }), constant, NmaeNormalization.Mean));
    }

    [Fact]
    public void Float32LargeValuesStayFiniteAndModuleMatches()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0.2f }, 3);
        var y = T.F32(new[] { -1e4f, 1e4f, 5f }, 3);
        T.Finite(F.nmae_loss(x, y), "loss");
        T.Finite(T.Grad(v => F.nmae_loss(v, y), x), "gradient");
        T.Close(T.Values(F.nmae_loss(x, y, NmaeNormalization.Mean, Reduction.None)), new NmaeLoss(NmaeNormalization.Mean, Reduction.None).forward(x, y));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(3, dtype: ScalarType.Float64);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.nmae_loss(x, torch.zeros(2, dtype: ScalarType.Float64))).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.nmae_loss(torch.zeros(0, dtype: ScalarType.Float64), torch.zeros(0, dtype: ScalarType.Float64))).Message);
        Assert.Throws<ArgumentException>(() => LossCatalog.Create("nmae:normalization=median"));
    }
}
