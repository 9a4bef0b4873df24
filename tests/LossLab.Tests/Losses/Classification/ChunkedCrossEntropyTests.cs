using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using L = LossLab.Losses;
using R = LossLab.Tests.Losses.Classification.ClassificationRef;
using V = LossLab.Tests.Losses.Classification.LargeVocabularyRef;

namespace LossLab.Tests.Losses.Classification;

public class ChunkedCrossEntropyTests
{
    private const int N = 7, C = 5;
    private static readonly long[] Y = { 4, 0, -100, 2, 2, 1, 3 };
    private static readonly double[] W = { 0.5, 2.0, 1.5, 1.0, 0.25 };

    private static Tensor Logits(int seed, int n = N, int c = C, double scale = 2) =>
        torch.randn(new long[] { n, c }, dtype: ScalarType.Float64, generator: new Generator((ulong)seed)) * scale;

    public static TheoryData<string, bool, double, long> Options()
    {
        var d = new TheoryData<string, bool, double, long>();
        foreach (var red in new[] { "mean", "sum", "none" })
            foreach (var weighted in new[] { false, true })
                foreach (var (eps, chunk) in new[] { (0.0, 3L), (0.1, 1L), (0.3, 0L), (1.0, 100L) })
                    d.Add(red, weighted, eps, chunk);
        return d;
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void ValuesMatchPyTorchsFormulaInPlainDoubles(string red, bool weighted, double eps, long chunk)
    {
        var reduction = ReductionExtensions.Parse(red);
        var x = Logits(1);
        var (per, den) = R.CrossEntropy(R.Rows(T.Values(x), C), Y, weighted ? W : null, -100, eps);
        var got = L.chunked_cross_entropy(x, T.I64(Y), weighted ? T.F64(W) : null, reduction: reduction, label_smoothing: eps, chunk_size: chunk);
        switch (reduction)
        {
            case Reduction.None: T.Close(per, got); break;
            case Reduction.Sum: T.Close(per.Sum(), got); break;
            default: T.Close(per.Sum() / den, got); break;
        }
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void GradientsMatchTheCompositeOnTheSameLogits(string red, bool weighted, double eps, long chunk)
    {
        var reduction = ReductionExtensions.Parse(red);
        var x = Logits(2);
        var y = T.I64(Y);
        var w = weighted ? T.F64(W) : null;
        var want = V.CrossEntropy(x, y, w, -100, eps, reduction);
        var v = V.Upstream(want, 3);
        var reference = V.Leaf(x);
        var gWant = V.Grads(() => V.CrossEntropy(reference, y, w, -100, eps, reduction), v, reference);
        var leaf = V.Leaf(x);
        var got = L.chunked_cross_entropy(leaf, y, w, reduction: reduction, label_smoothing: eps, chunk_size: chunk);
        T.Close(T.Values(want), got, 1e-12, 1e-14);
        var gGot = torch.autograd.grad(new List<Tensor> { (got * v).sum() }, new List<Tensor> { leaf })[0];
        T.Close(T.Values(gWant[0]), gGot, 1e-11, 1e-14);
    }

    [Fact]
    public void GradientForAnIncomingGradientOtherThanOneIsScaled()
    {
        var x = Logits(4);
        var y = T.I64(Y);
        var leaf = V.Leaf(x);
        var g = T.Grad(t => V.CrossEntropy(t, y, null, -100, 0.2, Reduction.Mean) * 3.0, x);
        var got = L.chunked_cross_entropy(leaf, y, label_smoothing: 0.2, chunk_size: 2) * 3.0;
        got.backward();
        T.Close(T.Values(g), leaf.grad!, 1e-12, 1e-14);
    }

    [Fact]
    public void IgnoredRowsCostNothingAndGetAZeroGradient()
    {
        var x = Logits(5);
        var g = T.Grad(t => L.chunked_cross_entropy(t, T.I64(Y), T.F64(W), reduction: Reduction.None, label_smoothing: 0.2, chunk_size: 2), x);
        Assert.Equal(0.0, T.Values(L.chunked_cross_entropy(x, T.I64(Y), reduction: Reduction.None))[2]);
        Assert.All(T.Values(g.select(0, 2)), v => Assert.Equal(0.0, v));
        // an ignore_index that is a real class
        var y = T.I64(1, 0, 1, 2);
        var (per, den) = R.CrossEntropy(R.Rows(T.Values(x.narrow(0, 0, 4)), C), new long[] { 1, 0, 1, 2 }, null, 1, 0.1);
        T.Close(per.Sum() / den, L.chunked_cross_entropy(x.narrow(0, 0, 4), y, ignore_index: 1, label_smoothing: 0.1, chunk_size: 3));
    }

    [Fact]
    public void EveryRowIgnoredGivesNaNForMeanWithAZeroGradientAndZeroForSum()
    {
        var x = Logits(6, 3, 4);
        var y = T.I64(-100, -100, -100);
        Assert.True(double.IsNaN(T.Scalar(L.chunked_cross_entropy(x, y))));
        var g = T.Grad(t => L.chunked_cross_entropy(t, y, label_smoothing: 0.1), x);
        Assert.All(T.Values(g), v => Assert.Equal(0.0, v));
        Assert.Equal(0.0, T.Scalar(L.chunked_cross_entropy(x, y, reduction: Reduction.Sum)));
    }

    [Fact]
    public void SingleRowAndSingleClass()
    {
        // logits (0, ln 3): p = (1/4, 3/4); target 0 -> ln 4; gradient p - onehot = (-3/4, 3/4)
        var x = T.F64(new[] { 0.0, Math.Log(3) }, 1, 2);
        T.Close(Math.Log(4), L.chunked_cross_entropy(x, T.I64(0)));
        T.Close(new[] { -0.75, 0.75 }, T.Grad(t => L.chunked_cross_entropy(t, T.I64(0)), x));
        // one class: loss 0, gradient 0
        var one = T.F64(new[] { 3.0, -1.0 }, 2, 1);
        T.Close(0.0, L.chunked_cross_entropy(one, T.I64(0, 0)));
        T.Close(new[] { 0.0, 0.0 }, T.Grad(t => L.chunked_cross_entropy(t, T.I64(0, 0)), one));
    }

    [Fact]
    public void Float32AgreesWithTheCompositeAndExtremeLogitsStayFinite()
    {
        var x = (Logits(7, 33, 300, 4)).to_type(ScalarType.Float32);
        var y = torch.randint(0, 300, new long[] { 33 }, generator: new Generator(8));
        var want = V.CrossEntropy(x.to_type(ScalarType.Float64), y, null, -100, 0.1, Reduction.Mean);
        T.Close(T.Scalar(want), L.chunked_cross_entropy(x, y, label_smoothing: 0.1, chunk_size: 8), 1e-5);
        var gWant = T.Grad(t => V.CrossEntropy(t, y, null, -100, 0.1, Reduction.Mean), x.to_type(ScalarType.Float64));
        var gGot = T.Grad(t => L.chunked_cross_entropy(t, y, label_smoothing: 0.1, chunk_size: 8), x);
        Assert.Equal(ScalarType.Float32, gGot.dtype);
        T.Close(T.Values(gWant), gGot, 1e-4, 1e-7);

        var big = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 1e4f }, 2, 3);
        var yb = T.I64(1, 2);
        foreach (var red in new[] { Reduction.Mean, Reduction.None })
        {
            var value = L.chunked_cross_entropy(big, yb, reduction: red, label_smoothing: 0.1, chunk_size: 1);
            T.Finite(value, "value");
            T.Finite(T.Grad(t => L.chunked_cross_entropy(t, yb, reduction: red, label_smoothing: 0.1, chunk_size: 1), big), "gradient");
        }
        // row 0: -log p[1] = 2e4 (the target is 2e4 below the max)
        T.Close(2e4, L.chunked_cross_entropy(big, yb, reduction: Reduction.None).narrow(0, 0, 1), 1e-6);
    }

    [Fact]
    public void NonContiguousInputNoGradAndAnInputWithoutGradientWork()
    {
        var xt = Logits(9, C, N);               // (C, N): its transpose is a non-contiguous (N, C)
        var x = xt.t();
        var y = T.I64(Y);
        var want = V.CrossEntropy(x.contiguous(), y, null, -100, 0.2, Reduction.Sum);
        T.Close(T.Scalar(want), L.chunked_cross_entropy(x, y, reduction: Reduction.Sum, label_smoothing: 0.2, chunk_size: 3), 1e-12);
        var gWant = T.Grad(t => V.CrossEntropy(t, y, null, -100, 0.2, Reduction.Sum), x.contiguous());
        var leaf = V.Leaf(xt);
        var got = L.chunked_cross_entropy(leaf.t(), y, reduction: Reduction.Sum, label_smoothing: 0.2, chunk_size: 3);
        got.backward();
        T.Close(T.Values(gWant.t()), leaf.grad!, 1e-12, 1e-14);
        using (torch.no_grad())
            T.Close(T.Scalar(want), L.chunked_cross_entropy(V.Leaf(x), y, reduction: Reduction.Sum, label_smoothing: 0.2), 1e-12);
        Assert.False(L.chunked_cross_entropy(x, y).requires_grad);
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        var x = Logits(10);
        var y = T.I64(Y);
        Assert.Equal("input", Assert.ThrowsAny<ArgumentException>(() => L.chunked_cross_entropy(x.select(0, 0), y)).ParamName);
        Assert.Equal("input", Assert.ThrowsAny<ArgumentException>(() => L.chunked_cross_entropy(y.unsqueeze(1), y)).ParamName);
        Assert.Equal("target", Assert.ThrowsAny<ArgumentException>(() => L.chunked_cross_entropy(x, y.to_type(ScalarType.Float64))).ParamName);
        Assert.Equal("target", Assert.ThrowsAny<ArgumentException>(() => L.chunked_cross_entropy(x, y.narrow(0, 0, 3))).ParamName);
        Assert.Equal("target", Assert.ThrowsAny<ArgumentException>(() => L.chunked_cross_entropy(x, T.I64(0, 1, 2, 3, 4, 5, 0))).ParamName);
        Assert.Equal("weight", Assert.ThrowsAny<ArgumentException>(() => L.chunked_cross_entropy(x, y, T.F64(new[] { 1.0, 2.0 }))).ParamName);
        Assert.Equal("label_smoothing", Assert.ThrowsAny<ArgumentException>(() => L.chunked_cross_entropy(x, y, label_smoothing: 1.5)).ParamName);
        Assert.Equal("chunk_size", Assert.ThrowsAny<ArgumentException>(() => L.chunked_cross_entropy(x, y, chunk_size: -1)).ParamName);
        Assert.Equal("reduction", Assert.ThrowsAny<ArgumentException>(() => L.chunked_cross_entropy(x, y, reduction: Reduction.BatchMean)).ParamName);
        var e = Assert.ThrowsAny<ArgumentException>(() => L.chunked_cross_entropy(x, T.I64(0, 1, 2, 3, 4, 5, 0)));
        Assert.Contains("chunked_cross_entropy", e.Message);
    }

    [Fact]
    public void ModuleAndRegistryGiveTheFunctionsValue()
    {
        var x = Logits(11);
        var y = T.I64(Y);
        double want = T.Scalar(L.chunked_cross_entropy(x, y, T.F64(W), label_smoothing: 0.1, chunk_size: 2));
        T.Close(want, new ChunkedCrossEntropyLoss(T.F64(W), label_smoothing: 0.1, chunk_size: 2).forward(x, y));
        var spec = LossCatalog.Create("chunked_cross_entropy:label_smoothing=0.1,chunk_size=2");
        Assert.Equal("classification", LossCatalog.GetLoss("chunked_cross_entropy").Family);
        T.Close(want, LossCatalog.GetLoss("chunked_cross_entropy").Compute(new Dictionary<string, Tensor> { ["input"] = x, ["target"] = y, ["weight"] = T.F64(W) },
            new Dictionary<string, string> { ["label_smoothing"] = "0.1", ["chunk_size"] = "2" }));
        Assert.NotNull(spec);
    }
}
