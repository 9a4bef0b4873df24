using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using L = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class SoftMarginLossTests
{
    private static readonly double[] X = { 2.0, -1.0, 0.5, -3.0, 0.0, 4.0 };
    private static readonly double[] Y = { 1, 1, -1, -1, 1, -1 };

    [Fact]
    public void MatchesLogOnePlusExpForEveryReduction()
    {
        var want = X.Select((x, i) => Math.Log(1 + Math.Exp(-Y[i] * x))).ToArray();
        T.Close(want, L.soft_margin_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3), Reduction.None));
        T.Close(want.Sum(), L.soft_margin_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3), Reduction.Sum));
        T.Close(want.Average(), L.soft_margin_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3)));
        T.Close(want.Average(), L.soft_margin_loss(T.F64(X, 2, 3), T.I64(1, 1, -1, -1, 1, -1).reshape(2, 3)));
    }

    [Fact]
    public void GradientIsMinusTSigmoidOfMinusTX()
    {
        var g = T.Grad(v => L.soft_margin_loss(v, T.F64(Y), Reduction.Sum), T.F64(X));
        T.Close(X.Select((x, i) => -Y[i] / (1 + Math.Exp(Y[i] * x))).ToArray(), g);
    }

    [Fact]
    public void ExtremeScoresStayFiniteInFloat32()
    {
        var x = T.F32(new[] { -1e4f, 1e4f });
        var y = T.F32(new[] { 1f, 1f });
        T.Close(new[] { 1e4, 0.0 }, L.soft_margin_loss(x, y, Reduction.None), 1e-6);
        T.Close(new[] { -1.0, 0.0 }, T.Grad(v => L.soft_margin_loss(v, y, Reduction.Sum), x), 1e-6);
    }

    [Fact]
    public void AgreesWithLibtorchForModerateScores()
    {
        var gen = new Generator(9);
        var x = torch.randn(new long[] { 4, 6 }, dtype: ScalarType.Float64, generator: gen) * 5;
        var y = torch.randint(0, 2, new long[] { 4, 6 }, dtype: ScalarType.Float64, generator: gen) * 2 - 1;
        T.Close(T.Values(torch.nn.functional.soft_margin_loss(x, y, nn.Reduction.None)), L.soft_margin_loss(x, y, Reduction.None), 1e-12);
        T.Close(T.Scalar(new SoftMarginLoss().forward(x, y)), L.soft_margin_loss(x, y));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => L.soft_margin_loss(T.F64(X, 2, 3), T.F64(Y, 3, 2)));
        Assert.Contains("target", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => L.soft_margin_loss(T.I64(1, 2), T.F64(new[] { 1.0, -1.0 })));
        Assert.Contains("input", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => L.soft_margin_loss(T.F64(X), T.F64(Y), Reduction.BatchMean));
        Assert.Contains("batchmean", e3.Message);
    }
}
