using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class SigmoidFocalLossTests
{
    private static readonly double[] X = { 1.5, -0.7, 3.0, -2.2, 0.0, 0.4 };
    private static readonly double[] Y = { 1, 0, 0, 1, 1, 0 };

    // torchvision's formula, step by step, in plain doubles.
    private static double Reference(double x, double t, double alpha, double gamma)
    {
        double p = 1 / (1 + Math.Exp(-x));
        double ce = -(t * Math.Log(p) + (1 - t) * Math.Log(1 - p));
        double pt = p * t + (1 - p) * (1 - t);
        double loss = ce * Math.Pow(1 - pt, gamma);
        if (alpha >= 0) loss *= alpha * t + (1 - alpha) * (1 - t);
        return loss;
    }

    [Theory]
    [InlineData(0.25, 2.0)]
    [InlineData(-1.0, 2.0)]
    [InlineData(0.5, 0.0)]
    [InlineData(0.75, 3.5)]
    [InlineData(0.0, 0.5)]
    public void MatchesTorchvisionsFormulaForEachReduction(double alpha, double gamma)
    {
        var each = X.Zip(Y, (a, b) => Reference(a, b, alpha, gamma)).ToArray();
        var none = F.sigmoid_focal_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3), alpha, gamma);
        Assert.Equal(new long[] { 2, 3 }, none.shape);   // torchvision's default reduction is none
        T.Close(each, none);
        T.Close(each.Sum(), F.sigmoid_focal_loss(T.F64(X), T.F64(Y), alpha, gamma, Reduction.Sum));
        T.Close(each.Average(), F.sigmoid_focal_loss(T.F64(X), T.F64(Y), alpha, gamma, Reduction.Mean));
    }

    [Fact]
    public void SoftTargetsFollowTheSameFormula()
    {
        var t = new[] { 0.1, 0.9, 0.5, 0.0, 1.0, 0.3 };
        T.Close(X.Zip(t, (a, b) => Reference(a, b, 0.25, 2.0)).ToArray(), F.sigmoid_focal_loss(T.F64(X), T.F64(t)));
    }

    [Fact]
    public void NoAlphaAndGammaZeroIsBinaryCrossEntropyWithLogits()
    {
        var x = torch.randn(4, 5, dtype: ScalarType.Float64, generator: new Generator(5)) * 3;
        var y = torch.randint(0, 2, new long[] { 4, 5 }, dtype: ScalarType.Float64, generator: new Generator(6));
        T.Close(T.Scalar(torch.nn.functional.binary_cross_entropy_with_logits(x, y)), F.sigmoid_focal_loss(x, y, -1, 0, Reduction.Mean));
    }

    [Fact]
    public void GradientMatchesCentralDifferencesOfTheReference()
    {
        const double h = 1e-6;
        var g = T.Values(T.Grad(v => F.sigmoid_focal_loss(v, T.F64(Y), 0.3, 1.7), T.F64(X)));
        for (int i = 0; i < X.Length; i++)
        {
            double numeric = (Reference(X[i] + h, Y[i], 0.3, 1.7) - Reference(X[i] - h, Y[i], 0.3, 1.7)) / (2 * h);
            Assert.True(Math.Abs(numeric - g[i]) < 1e-7, $"entry {i}: autograd {g[i]}, numeric {numeric}");
        }
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32ForEveryGamma()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 1e4f, -1e4f, 0f, 30f }, 6);
        var y = T.F32(new[] { 1f, 0f, 0f, 1f, 1f, 1f }, 6);
        foreach (double gamma in new[] { 0.0, 0.5, 2.0 })
        {
            var loss = F.sigmoid_focal_loss(x, y, 0.25, gamma);
            T.Finite(loss, "loss");
            T.Finite(T.Grad(v => F.sigmoid_focal_loss(v, y, 0.25, gamma), x), "gradient");
            var l = T.Values(loss);
            Assert.Equal(0.0, l[0], 6);                // confidently right
            Assert.Equal(0.75 * 1e4, l[2], 0);          // confidently wrong: ce = 1e4, (1 - p_t)^gamma = 1
        }
        T.Close(T.Values(F.sigmoid_focal_loss(x, y, 0.5, 1.0, Reduction.Sum)), new SigmoidFocalLoss(0.5, 1.0, Reduction.Sum).forward(x, y));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => F.sigmoid_focal_loss(T.F64(X), T.F64(new[] { 1.0, 0, 2, 0, 1, 0 })));
        Assert.Contains("target", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.sigmoid_focal_loss(T.F64(X), T.F64(Y, 3, 2)));
        Assert.Contains("target", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => F.sigmoid_focal_loss(T.F64(X), T.F64(Y), gamma: -1));
        Assert.Contains("gamma", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => F.sigmoid_focal_loss(T.F64(X), T.F64(Y), alpha: 1.5));
        Assert.Contains("alpha", e4.Message);
    }
}
