using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using L = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class HingeEmbeddingLossTests
{
    private static readonly double[] X = { 0.3, 1.7, 0.4, 2.5, 0.0, 0.9 };
    private static readonly double[] Y = { 1, 1, -1, -1, -1, 1 };

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    public void IsTheDistanceForSimilarAndTheHingeForDissimilarPairs(double margin)
    {
        var want = X.Select((x, i) => Y[i] == 1 ? x : Math.Max(0, margin - x)).ToArray();
        T.Close(want, L.hinge_embedding_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3), margin, Reduction.None));
        T.Close(want.Sum(), L.hinge_embedding_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3), margin, Reduction.Sum));
        T.Close(want.Average(), L.hinge_embedding_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3), margin));
        T.Close(want.Average(), L.hinge_embedding_loss(T.F64(X, 2, 3), T.I64(1, 1, -1, -1, -1, 1).reshape(2, 3), margin));
    }

    [Fact]
    public void OtherTargetValuesGetBothTermsAsPyTorch()
    {
        T.Close(0.3 + 0.7, L.hinge_embedding_loss(T.F64(new[] { 0.3 }), T.F64(new[] { 0.0 }), 1.0, Reduction.Sum));
    }

    [Fact]
    public void GradientMatchesLibtorchIncludingAtTheKink()
    {
        var x = T.F64(new[] { 0.3, 1.7, 1.0, 2.5, 0.0, 1.0 });
        var y = T.F64(new[] { 1.0, 1.0, -1.0, -1.0, -1.0, 1.0 });
        var want = T.Grad(v => torch.nn.functional.hinge_embedding_loss(v, y, 1.0, nn.Reduction.Sum), x);
        var got = T.Grad(v => L.hinge_embedding_loss(v, y, 1.0, Reduction.Sum), x);
        T.Close(T.Values(want), got);
        T.Close(new[] { 1.0, 1.0, T.Values(want)[2], 0.0, -1.0, 1.0 }, got);
        T.Close(T.Scalar(new HingeEmbeddingLoss(1.0).forward(x, y)), L.hinge_embedding_loss(x, y));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => L.hinge_embedding_loss(T.F64(X, 2, 3), T.F64(Y, 3, 2)));
        Assert.Contains("target", e1.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => L.hinge_embedding_loss(T.F64(X), T.F64(Y), double.NaN));
        Assert.Contains("margin", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => L.hinge_embedding_loss(T.I64(1, 2), T.F64(new[] { 1.0, -1.0 })));
        Assert.Contains("input", e3.Message);
    }
}
