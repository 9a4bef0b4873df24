using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using L = LossLab.Losses;
using R = LossLab.Tests.Losses.Classification.ClassificationRef;

namespace LossLab.Tests.Losses.Classification;

public class BinaryCrossEntropyWithLogitsTests
{
    private static readonly double[] X = { 2.0, -1.0, 0.5, -3.0, 0.0, 4.0 };
    private static readonly double[] Y = { 1, 0, 0.3, 1, 0, 1 };

    // the textbook form, fine for moderate logits
    private static double[] Reference(double[] x, double[] y, double[]? w = null, double[]? pw = null) =>
        x.Select((v, i) => -(w?[i] ?? 1) * ((pw?[i] ?? 1) * y[i] * Math.Log(R.Sigmoid(v)) + (1 - y[i]) * Math.Log(1 - R.Sigmoid(v)))).ToArray();

    [Fact]
    public void MatchesTheTextbookFormulaForEveryReduction()
    {
        var want = Reference(X, Y);
        T.Close(want, L.binary_cross_entropy_with_logits(T.F64(X, 2, 3), T.F64(Y, 2, 3), reduction: Reduction.None));
        T.Close(want.Sum(), L.binary_cross_entropy_with_logits(T.F64(X, 2, 3), T.F64(Y, 2, 3), reduction: Reduction.Sum));
        T.Close(want.Average(), L.binary_cross_entropy_with_logits(T.F64(X, 2, 3), T.F64(Y, 2, 3)));
    }

    [Fact]
    public void PosWeightBroadcastsOverTheLastDimensionAndWeightScales()
    {
        double[] pwRow = { 3.0, 0.5, 1.5 };
        double[] w = { 1.0, 2.0, 0.5, 0.25, 1.0, 3.0 };
        var pw = Enumerable.Range(0, 6).Select(i => pwRow[i % 3]).ToArray();
        var want = Reference(X, Y, w, pw);
        T.Close(want, L.binary_cross_entropy_with_logits(T.F64(X, 2, 3), T.F64(Y, 2, 3), T.F64(w, 2, 3), Reduction.None, T.F64(pwRow)));
        T.Close(want.Average(), L.binary_cross_entropy_with_logits(T.F64(X, 2, 3), T.F64(Y, 2, 3), T.F64(w, 2, 3), pos_weight: T.F64(pwRow)));
        // 3-D input (2, 1, 3): pos_weight (3) still applies per class
        T.Close(want, L.binary_cross_entropy_with_logits(T.F64(X, 2, 1, 3), T.F64(Y, 2, 1, 3), T.F64(w, 2, 1, 3), Reduction.None, T.F64(pwRow)));
    }

    [Fact]
    public void GradientsMatchTheClosedForms()
    {
        double[] pwRow = { 3.0, 0.5, 1.5 };
        var pw = Enumerable.Range(0, 6).Select(i => pwRow[i % 3]).ToArray();
        var g = T.Grad(v => L.binary_cross_entropy_with_logits(v, T.F64(Y, 2, 3), pos_weight: T.F64(pwRow)), T.F64(X, 2, 3));
        T.Close(X.Select((x, i) => ((1 + (pw[i] - 1) * Y[i]) * R.Sigmoid(x) - pw[i] * Y[i]) / 6).ToArray(), g);
        // d/dt = log sigmoid(-x) - pos_weight * log sigmoid(x)
        var gt = T.Grad(v => L.binary_cross_entropy_with_logits(T.F64(X, 2, 3), v, reduction: Reduction.Sum, pos_weight: T.F64(pwRow)), T.F64(Y, 2, 3));
        T.Close(X.Select((x, i) => Math.Log(R.Sigmoid(-x)) - pw[i] * Math.Log(R.Sigmoid(x))).ToArray(), gt);
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 1e4f, -1e4f });
        var y = T.F32(new[] { 0f, 1f, 1f, 0f });
        var pw = T.F32(new[] { 2f, 2f, 2f, 2f });
        var none = L.binary_cross_entropy_with_logits(x, y, reduction: Reduction.None, pos_weight: pw);
        T.Close(new[] { 1e4, 2e4, 0, 0 }, none, 1e-6);
        T.Finite(T.Grad(v => L.binary_cross_entropy_with_logits(v, y, pos_weight: pw), x), "gradient");
    }

    [Fact]
    public void AgreesWithLibtorchsKernel()
    {
        var gen = new Generator(4);
        var x = torch.randn(new long[] { 5, 4 }, dtype: ScalarType.Float64, generator: gen) * 3;
        var y = torch.rand(new long[] { 5, 4 }, dtype: ScalarType.Float64, generator: gen);
        var w = torch.rand(new long[] { 4 }, dtype: ScalarType.Float64, generator: gen);
        var pw = torch.rand(new long[] { 4 }, dtype: ScalarType.Float64, generator: gen) * 3;
        T.Close(T.Values(torch.nn.functional.binary_cross_entropy_with_logits(x, y, w, nn.Reduction.None, pw)),
            L.binary_cross_entropy_with_logits(x, y, w, Reduction.None, pw), 1e-12);
    }

    [Fact]
    public void ModuleGivesTheFunctionsValue()
    {
        T.Close(T.Scalar(L.binary_cross_entropy_with_logits(T.F64(X), T.F64(Y), pos_weight: T.F64(new[] { 2.0 }))),
            new BCEWithLogitsLoss(pos_weight: T.F64(new[] { 2.0 })).forward(T.F64(X), T.F64(Y)));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => L.binary_cross_entropy_with_logits(T.F64(X, 2, 3), T.F64(Y, 3, 2)));
        Assert.Contains("target", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => L.binary_cross_entropy_with_logits(T.F64(X, 2, 3), T.F64(Y, 2, 3), pos_weight: T.F64(new[] { 1.0, 2.0 })));
        Assert.Contains("pos_weight", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => L.binary_cross_entropy_with_logits(T.F64(X, 2, 3), T.F64(Y, 2, 3), T.F64(new[] { 1.0, 2.0 })));
        Assert.Contains("weight", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => L.binary_cross_entropy_with_logits(T.I64(1, 2), T.F64(new[] { 1.0, 0.0 })));
        Assert.Contains("floating-point", e4.Message);
    }
}
