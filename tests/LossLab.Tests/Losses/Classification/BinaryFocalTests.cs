using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class BinaryFocalTests
{
    private static readonly double[] P = { 0.9, 0.2, 0.6, 0.05, 0.5, 0.999 };
    private static readonly double[] Y = { 1, 0, 0, 1, 1, 1 };

    // Keras's binary_focal_crossentropy, element by element, in plain doubles (probabilities clipped to [1e-7, 1 - 1e-7] in the BCE).
    private static double Keras(double p, double y, bool balance, double alpha, double gamma, double smoothing)
    {
        double t = y * (1 - smoothing) + 0.5 * smoothing;
        double pc = Math.Clamp(p, 1e-7, 1 - 1e-7);
        double bce = -(t * Math.Log(pc) + (1 - t) * Math.Log(1 - pc));
        double pt = t * p + (1 - t) * (1 - p);
        double loss = Math.Pow(1 - pt, gamma) * bce;
        return balance ? (alpha * t + (1 - alpha) * (1 - t)) * loss : loss;
    }

    [Theory]
    [InlineData(false, 0.25, 2.0, 0.0)]
    [InlineData(true, 0.25, 2.0, 0.0)]
    [InlineData(true, 0.7, 0.5, 0.1)]
    [InlineData(false, 0.25, 0.0, 0.3)]
    [InlineData(false, 0.25, 3.0, 1.0)]
    public void ProbabilitiesMatchKerasFormulaForEachReduction(bool balance, double alpha, double gamma, double smoothing)
    {
        var each = P.Zip(Y, (p, y) => Keras(p, y, balance, alpha, gamma, smoothing)).ToArray();
        T.Close(each, F.binary_focal_crossentropy(T.F64(P, 2, 3), T.F64(Y, 2, 3), balance, alpha, gamma, false, smoothing, Reduction.None));
        T.Close(each.Average(), F.binary_focal_crossentropy(T.F64(P), T.F64(Y), balance, alpha, gamma, false, smoothing));
        T.Close(each.Sum(), F.binary_focal_crossentropy(T.F64(P), T.F64(Y), balance, alpha, gamma, false, smoothing, Reduction.Sum));
    }

    [Theory]
    [InlineData(false, 2.0, 0.0)]
    [InlineData(true, 2.0, 0.2)]
    [InlineData(true, 0.5, 0.0)]
    public void LogitsMatchTheFormulaOnTheSigmoid(bool balance, double gamma, double smoothing)
    {
        var x = new[] { 2.2, -1.4, 0.4, -3.0, 0.0, 6.9 };
        var each = x.Zip(Y, (v, y) => Keras(ClassificationRef.Sigmoid(v), y, balance, 0.25, gamma, smoothing)).ToArray();
        T.Close(each, F.binary_focal_crossentropy(T.F64(x), T.F64(Y), balance, 0.25, gamma, true, smoothing, Reduction.None), rtol: 1e-9, atol: 1e-12);
    }

    [Fact]
    public void KerasDocumentationExample()
    {
        // keras.losses.BinaryFocalCrossentropy docs: y_true [0, 1, 0, 0], logits [-18.6, 0.51, 2.94, -12.8], gamma 2: 0.691; with balancing: 0.51.
        var yt = T.F64(new double[] { 0, 1, 0, 0 });
        var yp = T.F64(new[] { -18.6, 0.51, 2.94, -12.8 });
        Assert.Equal(0.691, T.Scalar(F.binary_focal_crossentropy(yp, yt, gamma: 2, from_logits: true)), 3);
        Assert.Equal(0.51, T.Scalar(F.binary_focal_crossentropy(yp, yt, apply_class_balancing: true, gamma: 2, from_logits: true)), 2);
    }

    [Fact]
    public void GammaZeroWithoutBalancingIsBinaryCrossEntropy()
    {
        var x = torch.randn(4, 5, dtype: ScalarType.Float64, generator: new Generator(3)) * 3;
        var y = torch.randint(0, 2, new long[] { 4, 5 }, dtype: ScalarType.Float64, generator: new Generator(4));
        T.Close(T.Values(F.binary_cross_entropy_with_logits(x, y, reduction: Reduction.None)), F.binary_focal_crossentropy(x, y, gamma: 0, from_logits: true, reduction: Reduction.None));
        var p = torch.sigmoid(x).clamp(0.01, 0.99);
        T.Close(T.Scalar(F.binary_cross_entropy(p, y)), F.binary_focal_crossentropy(p, y, gamma: 0));
        // and with smoothing, BCE against the smoothed target
        var ts = y * 0.8 + 0.1;
        T.Close(T.Scalar(F.binary_cross_entropy_with_logits(x, ts)), F.binary_focal_crossentropy(x, y, gamma: 0, from_logits: true, label_smoothing: 0.2));
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 1e4f, -1e4f, 0f, 30f }, 6);
        var y = T.F32(new[] { 1f, 0f, 0f, 1f, 1f, 1f }, 6);
        foreach (double gamma in new[] { 0.0, 0.5, 2.0 })
            foreach (double s in new[] { 0.0, 0.1 })
            {
                var loss = F.binary_focal_crossentropy(x, y, true, 0.25, gamma, true, s, Reduction.None);
                T.Finite(loss, "loss");
                T.Finite(T.Grad(v => F.binary_focal_crossentropy(v, y, true, 0.25, gamma, true, s), x), "gradient");
                if (s == 0) Assert.Equal(0.75 * 1e4, T.Values(loss)[2], 0);   // confidently wrong: BCE 1e4, factor 1
            }
        var p = T.F32(new[] { 1f, 0f, 0f, 1f, 0.5f, 1f }, 6);   // saturated probabilities
        T.Finite(F.binary_focal_crossentropy(p, y), "loss on probabilities 0 and 1");
        T.Finite(T.Grad(v => F.binary_focal_crossentropy(v, y, gamma: 0.5), p), "gradient on probabilities 0 and 1");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var p = T.F64(P);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.binary_focal_crossentropy(T.F64(new[] { 0.5, 1.5, 0.2, 0.1, 0.3, 0.4 }), T.F64(Y))).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.binary_focal_crossentropy(p, T.F64(new[] { 0, 2.0, 0, 1, 1, 0 }))).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.binary_focal_crossentropy(p, T.F64(new[] { 1.0, 0 }))).Message);
        Assert.Contains("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => F.binary_focal_crossentropy(p, T.F64(Y), alpha: 1.5)).Message);
        Assert.Contains("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => F.binary_focal_crossentropy(p, T.F64(Y), gamma: -1)).Message);
        Assert.Contains("label_smoothing", Assert.Throws<ArgumentOutOfRangeException>(() => F.binary_focal_crossentropy(p, T.F64(Y), label_smoothing: 2)).Message);
        Assert.Contains("floating-point", Assert.Throws<ArgumentException>(() => F.binary_focal_crossentropy(p, torch.ones(6, dtype: ScalarType.Int64))).Message);
    }
}
