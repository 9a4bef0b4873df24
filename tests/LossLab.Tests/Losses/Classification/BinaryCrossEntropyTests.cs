using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using L = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class BinaryCrossEntropyTests
{
    private static readonly double[] P = { 0.9, 0.2, 0.5, 0.7, 0.05, 0.6 };
    private static readonly double[] Y = { 1, 0, 1, 0.3, 0, 1 };

    private static double[] Reference(double[] p, double[] y, double[]? w = null) =>
        p.Select((x, i) => -(w?[i] ?? 1) * (y[i] * Math.Max(Math.Log(x), -100) + (1 - y[i]) * Math.Max(Math.Log(1 - x), -100))).ToArray();

    [Fact]
    public void MatchesTheFormulaForEveryReduction()
    {
        var want = Reference(P, Y);
        T.Close(want, L.binary_cross_entropy(T.F64(P, 2, 3), T.F64(Y, 2, 3), reduction: Reduction.None));
        T.Close(want.Sum(), L.binary_cross_entropy(T.F64(P, 2, 3), T.F64(Y, 2, 3), reduction: Reduction.Sum));
        T.Close(want.Average(), L.binary_cross_entropy(T.F64(P, 2, 3), T.F64(Y, 2, 3)));
    }

    [Fact]
    public void WeightBroadcastsAndTheMeanIsNotNormalisedByIt()
    {
        double[] wRow = { 2.0, 0.5, 1.0 };
        var w = Enumerable.Range(0, 6).Select(i => wRow[i % 3]).ToArray();
        var want = Reference(P, Y, w);
        T.Close(want.Average(), L.binary_cross_entropy(T.F64(P, 2, 3), T.F64(Y, 2, 3), T.F64(wRow)));
        T.Close(want, L.binary_cross_entropy(T.F64(P, 2, 3), T.F64(Y, 2, 3), T.F64(wRow), Reduction.None));
    }

    [Fact]
    public void LogsAreClampedAtMinus100()
    {
        T.Close(new[] { 100.0, 100.0, 0.0, 0.0 }, L.binary_cross_entropy(T.F64(new[] { 0.0, 1.0, 0.0, 1.0 }), T.F64(new[] { 1.0, 0.0, 0.0, 1.0 }), reduction: Reduction.None));
        T.Close(50.0, L.binary_cross_entropy(T.F64(new[] { 0.0, 1e-300 }), T.F64(new[] { 1.0, 0.0 })));
    }

    [Fact]
    public void GradientsAreWTimesXMinusTOverXOneMinusXAndMinusWLogit()
    {
        var w = T.F64(new[] { 2.0, 1.0, 0.5, 1.0, 3.0, 1.0 }, 2, 3);
        var wv = T.Values(w);
        var g = T.Grad(v => L.binary_cross_entropy(v, T.F64(Y, 2, 3), w), T.F64(P, 2, 3));
        T.Close(P.Select((x, i) => wv[i] * (x - Y[i]) / (x * (1 - x)) / 6).ToArray(), g);
        var gt = T.Grad(v => L.binary_cross_entropy(T.F64(P, 2, 3), v, w, Reduction.Sum), T.F64(Y, 2, 3));
        T.Close(P.Select((x, i) => -wv[i] * Math.Log(x / (1 - x))).ToArray(), gt);
    }

    [Fact]
    public void GradientAtZeroAndOneIsPyTorchsFinite()
    {
        // PyTorch's backward: w * (x - t) / max(x (1 - x), 1e-12) (its 1e-12 is a float constant, hence rtol 1e-8)
        var g = T.Grad(v => L.binary_cross_entropy(v, T.F64(new[] { 1.0, 0.0, 0.0 }), reduction: Reduction.Sum), T.F64(new[] { 0.0, 1.0, 0.0 }));
        T.Close(new[] { -1e12, 1e12, 0.0 }, g, 1e-8);
        var g32 = T.Grad(v => L.binary_cross_entropy(v, T.F32(new[] { 1f, 0f })), T.F32(new[] { 0f, 1f }));
        T.Finite(g32, "float32 gradient");
    }

    [Fact]
    public void ModuleGivesTheFunctionsValue()
    {
        T.Close(T.Scalar(L.binary_cross_entropy(T.F64(P), T.F64(Y))), new BCELoss().forward(T.F64(P), T.F64(Y)));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => L.binary_cross_entropy(T.F64(new[] { 0.5, 1.5 }), T.F64(new[] { 1.0, 0.0 })));
        Assert.Contains("input", e1.Message);
        Assert.Contains("[0, 1]", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => L.binary_cross_entropy(T.F64(new[] { 0.5, 0.5 }), T.F64(new[] { 1.0, 0.0, 1.0 })));
        Assert.Contains("target", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => L.binary_cross_entropy(T.F64(new[] { 0.5, 0.5 }), T.F64(new[] { 2.0, 0.0 })));
        Assert.Contains("target", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => L.binary_cross_entropy(T.F64(P, 2, 3), T.F64(Y, 2, 3), T.F64(new[] { 1.0, 2.0 })));
        Assert.Contains("weight", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => L.binary_cross_entropy(T.F64(P), T.I64(1, 0, 1, 0, 0, 1)));
        Assert.Contains("floating-point", e5.Message);
    }
}
