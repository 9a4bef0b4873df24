using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using L = LossLab.Losses;
using R = LossLab.Tests.Losses.Classification.ClassificationRef;
using V = LossLab.Tests.Losses.Classification.LargeVocabularyRef;

namespace LossLab.Tests.Losses.Classification;

public class LinearCrossEntropyTests
{
    private const int N = 7, D = 3, C = 6;
    private static readonly long[] Y = { 5, 0, -100, 2, 2, 1, 3 };

    private static (Tensor H, Tensor W, Tensor B) Inputs(int seed, int n = N, int d = D, int c = C)
    {
        var g = new Generator((ulong)seed);
        return (torch.randn(new long[] { n, d }, dtype: ScalarType.Float64, generator: g) * 1.5,
            torch.randn(new long[] { c, d }, dtype: ScalarType.Float64, generator: g),
            torch.randn(new long[] { c }, dtype: ScalarType.Float64, generator: g));
    }

    /// <summary>The composite: materialised logits (soft-capped when asked), then the reference cross-entropy.</summary>
    private static Tensor Composite(Tensor h, Tensor w, Tensor? b, Tensor y, long ignore, double eps, Reduction r, double softcap = 0)
    {
        var z = h.mm(w.t());
        if (b is not null) z = z + b;
        if (softcap > 0) z = (z / softcap).tanh() * softcap;
        return V.CrossEntropy(z, y, null, ignore, eps, r);
    }

    /// <summary>The logits in plain doubles, row by row.</summary>
    private static double[][] PlainLogits(Tensor h, Tensor w, Tensor? b, double softcap)
    {
        double[] hv = T.Values(h), wv = T.Values(w), bv = b is null ? new double[C] : T.Values(b);
        int n = (int)h.shape[0], d = (int)h.shape[1], c = (int)w.shape[0];
        var rows = new double[n][];
        for (int i = 0; i < n; i++)
        {
            rows[i] = new double[c];
            for (int j = 0; j < c; j++)
            {
                double z = bv[j];
                for (int k = 0; k < d; k++) z += hv[i * d + k] * wv[j * d + k];
                rows[i][j] = softcap > 0 ? softcap * Math.Tanh(z / softcap) : z;
            }
        }
        return rows;
    }

    public static TheoryData<string, bool, double, long, double> Options()
    {
        var d = new TheoryData<string, bool, double, long, double>();
        foreach (var red in new[] { "mean", "sum", "none" })
            foreach (var bias in new[] { false, true })
                foreach (var (eps, chunk, cap) in new[] { (0.0, 3L, 0.0), (0.2, 1L, 0.0), (0.1, 0L, 2.0), (1.0, 100L, 0.0) })
                    d.Add(red, bias, eps, chunk, cap);
        return d;
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void ValuesMatchPyTorchsFormulaInPlainDoubles(string red, bool withBias, double eps, long chunk, double softcap)
    {
        var reduction = ReductionExtensions.Parse(red);
        var (h, w, b) = Inputs(1);
        var bias = withBias ? b : null;
        var (per, den) = R.CrossEntropy(PlainLogits(h, w, bias, softcap), Y, null, -100, eps);
        var got = L.linear_cross_entropy(h, w, T.I64(Y), bias, label_smoothing: eps, reduction: reduction, chunk_size: chunk, softcap: softcap);
        switch (reduction)
        {
            case Reduction.None: T.Close(per, got, 1e-12, 1e-14); break;
            case Reduction.Sum: T.Close(per.Sum(), got, 1e-12); break;
            default: T.Close(per.Sum() / den, got, 1e-12); break;
        }
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void EveryGradientMatchesTheCompositeOnMaterialisedLogits(string red, bool withBias, double eps, long chunk, double softcap)
    {
        var reduction = ReductionExtensions.Parse(red);
        var (h, w, b) = Inputs(2);
        var y = T.I64(Y);
        Tensor hw = V.Leaf(h), ww = V.Leaf(w), bw = V.Leaf(b);
        var want = Composite(hw, ww, withBias ? bw : null, y, -100, eps, reduction, softcap);
        var v = V.Upstream(want, 3);
        var gWant = withBias ? V.Grads(() => Composite(hw, ww, bw, y, -100, eps, reduction, softcap), v, hw, ww, bw)
                             : V.Grads(() => Composite(hw, ww, null, y, -100, eps, reduction, softcap), v, hw, ww);
        Tensor hg = V.Leaf(h), wg = V.Leaf(w), bg = V.Leaf(b);
        var got = L.linear_cross_entropy(hg, wg, y, withBias ? bg : null, label_smoothing: eps, reduction: reduction, chunk_size: chunk, softcap: softcap);
        T.Close(T.Values(want), got, 1e-12, 1e-14);
        var gGot = withBias ? V.Grads(() => got, v, hg, wg, bg) : V.Grads(() => got, v, hg, wg);
        for (int k = 0; k < gWant.Length; k++) T.Close(T.Values(gWant[k]), gGot[k], 1e-11, 1e-14);
    }

    [Fact]
    public void GradientsFlowOnlyToTheInputsThatRequireThem()
    {
        var (h, w, b) = Inputs(4);
        var y = T.I64(Y);
        Tensor hw = V.Leaf(h), ww = V.Leaf(w), bw = V.Leaf(b);
        var all = V.Grads(() => Composite(hw, ww, bw, y, -100, 0.1, Reduction.Mean), torch.ones(1, dtype: ScalarType.Float64), hw, ww, bw);

        // frozen projection: only the hidden states learn
        var hOnly = V.Leaf(h);
        L.linear_cross_entropy(hOnly, w, y, b, label_smoothing: 0.1, chunk_size: 2).backward();
        T.Close(T.Values(all[0]), hOnly.grad!, 1e-12, 1e-14);
        // frozen inputs (e.g. cached features): only the head learns
        Tensor wOnly = V.Leaf(w), bOnly = V.Leaf(b);
        L.linear_cross_entropy(h, wOnly, y, bOnly, label_smoothing: 0.1, chunk_size: 2).backward();
        T.Close(T.Values(all[1]), wOnly.grad!, 1e-12, 1e-14);
        T.Close(T.Values(all[2]), bOnly.grad!, 1e-12, 1e-14);
        // a bias that does not learn
        Tensor h2 = V.Leaf(h), w2 = V.Leaf(w);
        L.linear_cross_entropy(h2, w2, y, b, label_smoothing: 0.1, reduction: Reduction.None, chunk_size: 2).sum().backward();
        Assert.False(b.requires_grad);
        // none: the same gradients as the composite's sum
        var sum = V.Grads(() => Composite(hw, ww, bw, y, -100, 0.1, Reduction.Sum), torch.ones(1, dtype: ScalarType.Float64), hw, ww);
        T.Close(T.Values(sum[0]), h2.grad!, 1e-12, 1e-14);
        T.Close(T.Values(sum[1]), w2.grad!, 1e-12, 1e-14);
    }

    [Fact]
    public void SavedGradientsAreScaledByTheIncomingGradientAndSurviveASecondBackward()
    {
        var (h, w, b) = Inputs(5);
        var y = T.I64(Y);
        Tensor hw = V.Leaf(h), ww = V.Leaf(w);
        var want = V.Grads(() => Composite(hw, ww, b, y, -100, 0.0, Reduction.Mean) * -2.5, torch.ones(1, dtype: ScalarType.Float64), hw, ww);
        Tensor hg = V.Leaf(h), wg = V.Leaf(w);
        var loss = L.linear_cross_entropy(hg, wg, y, b, chunk_size: 4) * -2.5;
        loss.backward(retain_graph: true);
        T.Close(T.Values(want[0]), hg.grad!, 1e-12, 1e-14);
        T.Close(T.Values(want[1]), wg.grad!, 1e-12, 1e-14);
        loss.backward();
        T.Close(T.Values(want[0] * 2), hg.grad!, 1e-12, 1e-14);
    }

    [Fact]
    public void EveryRowIgnoredGivesNaNForMeanWithZeroGradients()
    {
        var (h, w, b) = Inputs(6, 3);
        var y = T.I64(-100, -100, -100);
        Tensor hg = V.Leaf(h), wg = V.Leaf(w), bg = V.Leaf(b);
        var loss = L.linear_cross_entropy(hg, wg, y, bg, label_smoothing: 0.1);
        Assert.True(double.IsNaN(T.Scalar(loss)));
        loss.backward();
        foreach (var g in new[] { hg.grad!, wg.grad!, bg.grad! }) Assert.All(T.Values(g), x => Assert.Equal(0.0, x));
        Assert.Equal(0.0, T.Scalar(L.linear_cross_entropy(h, w, y, b, reduction: Reduction.Sum)));
    }

    [Fact]
    public void SingleRowMatchesAHandWorkedValue()
    {
        // h = (1), W = (0, ln 3)^T: logits (0, ln 3), target 0 -> ln 4; d/dh = sum_j (p_j - onehot_j) W_j = 3/4 ln 3
        var h = T.F64(new[] { 1.0 }, 1, 1);
        var w = T.F64(new[] { 0.0, Math.Log(3) }, 2, 1);
        T.Close(Math.Log(4), L.linear_cross_entropy(h, w, T.I64(0)));
        var hg = V.Leaf(h);
        L.linear_cross_entropy(hg, w, T.I64(0)).backward();
        T.Close(0.75 * Math.Log(3), hg.grad!);
    }

    [Fact]
    public void Float32AgreesWithTheCompositeAndExtremeLogitsStayFinite()
    {
        var (h, w, b) = Inputs(7, 40, 16, 300);
        var y = torch.randint(0, 300, new long[] { 40 }, generator: new Generator(8));
        Tensor hw = V.Leaf(h), ww = V.Leaf(w), bw = V.Leaf(b);
        var one = torch.ones(1, dtype: ScalarType.Float64);
        var want = V.Grads(() => Composite(hw, ww, bw, y, -100, 0.1, Reduction.Mean), one, hw, ww, bw);
        Tensor hf = V.Leaf(h.to_type(ScalarType.Float32)), wf = V.Leaf(w.to_type(ScalarType.Float32)), bf = V.Leaf(b.to_type(ScalarType.Float32));
        var loss = L.linear_cross_entropy(hf, wf, y, bf, label_smoothing: 0.1, chunk_size: 7);
        Assert.Equal(ScalarType.Float32, loss.dtype);
        T.Close(T.Scalar(Composite(h, w, b, y, -100, 0.1, Reduction.Mean)), loss, 1e-5);
        loss.backward();
        T.Close(T.Values(want[0]), hf.grad!, 1e-4, 1e-6);
        T.Close(T.Values(want[1]), wf.grad!, 1e-4, 1e-6);
        T.Close(T.Values(want[2]), bf.grad!, 1e-4, 1e-6);

        // logits of magnitude 1e4: h = 100 * (1, -1), rows of W = 100 * (+-1, +-1)
        var hb = T.F32(new[] { 100f, -100f, -100f, 100f }, 2, 2);
        var wb = T.F32(new[] { 100f, 100f, 100f, -100f, -100f, 100f }, 3, 2);
        var yb = T.I64(2, 0);
        foreach (var red in new[] { Reduction.Mean, Reduction.None })
        {
            Tensor hl = V.Leaf(hb), wl = V.Leaf(wb);
            var value = L.linear_cross_entropy(hl, wl, yb, label_smoothing: 0.1, reduction: red, chunk_size: 1);
            T.Finite(value, "value");
            value.sum().backward();
            T.Finite(hl.grad!, "hidden gradient");
            T.Finite(wl.grad!, "weight gradient");
        }
        // row 0: logits (0, 2e4, -2e4), target 2 -> 4e4
        T.Close(4e4, L.linear_cross_entropy(hb, wb, yb, reduction: Reduction.None).narrow(0, 0, 1), 1e-6);
    }

    [Fact]
    public void BFloat16IsComputedInFloat32AndGivesBFloat16Gradients()
    {
        var (h, w, b) = Inputs(12, 9, 8, 50);
        var y = torch.randint(0, 50, new long[] { 9 }, generator: new Generator(13));
        Tensor hb = V.Leaf(h.to_type(ScalarType.BFloat16)), wb = V.Leaf(w.to_type(ScalarType.BFloat16)), bb = V.Leaf(b.to_type(ScalarType.BFloat16));
        // the reference on the same (rounded) inputs in float64
        Tensor hr = V.Leaf(hb.to_type(ScalarType.Float64)), wr = V.Leaf(wb.to_type(ScalarType.Float64)), br = V.Leaf(bb.to_type(ScalarType.Float64));
        var want = V.Grads(() => Composite(hr, wr, br, y, -100, 0.1, Reduction.Mean), torch.ones(1, dtype: ScalarType.Float64), hr, wr, br);
        var loss = L.linear_cross_entropy(hb, wb, y, bb, label_smoothing: 0.1, chunk_size: 4);
        Assert.Equal(ScalarType.BFloat16, loss.dtype);
        T.Close(T.Scalar(Composite(hr, wr, br, y, -100, 0.1, Reduction.Mean)), loss, 2e-2);
        loss.backward();
        Assert.Equal(ScalarType.BFloat16, hb.grad!.dtype);
        T.Close(T.Values(want[0]), hb.grad!, 5e-2, 5e-3);
        T.Close(T.Values(want[1]), wb.grad!, 5e-2, 5e-3);
        T.Close(T.Values(want[2]), bb.grad!, 5e-2, 5e-3);
    }

    [Fact]
    public void NoGradComputesTheValueOnly()
    {
        var (h, w, b) = Inputs(9);
        var y = T.I64(Y);
        double want = T.Scalar(Composite(h, w, b, y, -100, 0.3, Reduction.Mean));
        using (torch.no_grad())
        {
            var got = L.linear_cross_entropy(V.Leaf(h), V.Leaf(w), y, V.Leaf(b), label_smoothing: 0.3, chunk_size: 2);
            T.Close(want, got, 1e-12);
            Assert.False(got.requires_grad);
        }
        T.Close(want, L.linear_cross_entropy(h, w, y, b, label_smoothing: 0.3), 1e-12);
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        var (h, w, b) = Inputs(10);
        var y = T.I64(Y);
        string Arg(Action a) => Assert.ThrowsAny<ArgumentException>(a).ParamName!;
        Assert.Equal("hidden", Arg(() => L.linear_cross_entropy(h.select(0, 0), w, y)));
        Assert.Equal("hidden", Arg(() => L.linear_cross_entropy(y.unsqueeze(1), w, y)));
        Assert.Equal("weight", Arg(() => L.linear_cross_entropy(h, w.narrow(1, 0, 2), y)));
        Assert.Equal("weight", Arg(() => L.linear_cross_entropy(h, w.select(1, 0), y)));
        Assert.Equal("weight", Arg(() => L.linear_cross_entropy(h, w.to_type(ScalarType.Float32), y)));
        Assert.Equal("bias", Arg(() => L.linear_cross_entropy(h, w, y, b.narrow(0, 0, 4))));
        Assert.Equal("bias", Arg(() => L.linear_cross_entropy(h, w, y, b.to_type(ScalarType.Float32))));
        Assert.Equal("target", Arg(() => L.linear_cross_entropy(h, w, y.narrow(0, 0, 3))));
        Assert.Equal("target", Arg(() => L.linear_cross_entropy(h, w, y.to_type(ScalarType.Float64))));
        Assert.Equal("target", Arg(() => L.linear_cross_entropy(h, w, T.I64(0, 1, 2, 3, 4, 6, 0))));
        Assert.Equal("label_smoothing", Arg(() => L.linear_cross_entropy(h, w, y, label_smoothing: -0.1)));
        Assert.Equal("chunk_size", Arg(() => L.linear_cross_entropy(h, w, y, chunk_size: -2)));
        Assert.Equal("softcap", Arg(() => L.linear_cross_entropy(h, w, y, softcap: -1)));
        Assert.Equal("reduction", Arg(() => L.linear_cross_entropy(h, w, y, reduction: Reduction.BatchMean)));
        var e = Assert.ThrowsAny<ArgumentException>(() => L.linear_cross_entropy(h, w.narrow(1, 0, 2), y));
        Assert.Contains("linear_cross_entropy", e.Message);
        Assert.Contains("hidden size D", e.Message);
    }

    [Fact]
    public void ModuleAndRegistryGiveTheFunctionsValue()
    {
        var (h, w, b) = Inputs(11);
        var y = T.I64(Y);
        double want = T.Scalar(L.linear_cross_entropy(h, w, y, b, label_smoothing: 0.1, chunk_size: 2, softcap: 3));
        var module = new LinearCrossEntropyLoss(label_smoothing: 0.1, chunk_size: 2, softcap: 3);
        T.Close(want, module.forward(h, w, y, b));
        T.Close(T.Scalar(L.linear_cross_entropy(h, w, y, label_smoothing: 0.1, chunk_size: 2, softcap: 3)), module.forward(h, w, y));
        Assert.NotNull(LossCatalog.Create("linear_cross_entropy:chunk_size=1024,label_smoothing=0.1,softcap=30"));
        T.Close(want, LossCatalog.GetLoss("linear_cross_entropy").Compute(new Dictionary<string, Tensor> { ["hidden"] = h, ["weight"] = w, ["target"] = y, ["bias"] = b },
            new Dictionary<string, string> { ["label_smoothing"] = "0.1", ["chunk_size"] = "2", ["softcap"] = "3" }));
    }
}
