using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class SampledSoftmaxTests
{
    private static Tensor Logits(long n, long c, int seed) => torch.randn(n, c, dtype: ScalarType.Float64, generator: new Generator((ulong)seed)) * 2;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AllOtherClassesOnceWithUniformQIsTheFullCrossEntropy(int seed)
    {
        // n = C - 1 without replacement, uniform q, target removed: every negative drawn once and n q~ = 1.
        var x = Logits(5, 6, 10 + seed);
        var y = T.I64(0, 5, 2, 2, 3);
        var sampled = F.sampled_softmax_loss(x, y, 5, generator: new Generator((ulong)seed), reduction: Reduction.None);
        T.Close(T.Values(torch.nn.functional.cross_entropy(x, y, reduction: nn.Reduction.None)), sampled, rtol: 1e-12);
        var gs = T.Grad(v => F.sampled_softmax_loss(v, y, 5, generator: new Generator((ulong)seed)), x);
        var gf = T.Grad(v => F.cross_entropy(v, y), x);
        T.Close(T.Values(gf), gs, rtol: 1e-10, atol: 1e-14);
    }

    [Fact]
    public void HiddenAndWeightsGiveTheSameLossAsTheirFullLogits()
    {
        var g = new Generator(5);
        var h = torch.randn(4, 3, dtype: ScalarType.Float64, generator: g);
        var w = torch.randn(7, 3, dtype: ScalarType.Float64, generator: g);
        var b = torch.randn(7, dtype: ScalarType.Float64, generator: g);
        var y = T.I64(6, 0, 3, 3);
        var full = torch.matmul(h, w.t()) + b;
        foreach (bool replacement in new[] { false, true })
        {
            var a = F.sampled_softmax_loss(full, y, 4, replacement: replacement, generator: new Generator(9), reduction: Reduction.None);
            var c = F.sampled_softmax_loss(h, w, y, 4, bias: b, replacement: replacement, generator: new Generator(9), reduction: Reduction.None);
            T.Close(T.Values(a), c, rtol: 1e-12);
        }
        // and with n = C - 1 it is the full cross-entropy, gradients to hidden, weights and bias included
        var spec = LossCatalog.Create("sampled_softmax:n_samples=6,seed=3");
        var hv = h.detach().clone().requires_grad_(true);
        var wv = w.detach().clone().requires_grad_(true);
        var bv = b.detach().clone().requires_grad_(true);
        var loss = spec.Forward(new Dictionary<string, Tensor> { ["hidden"] = hv, ["weights"] = wv, ["bias"] = bv, ["target"] = y });
        var hf = h.detach().clone().requires_grad_(true);
        var wf = w.detach().clone().requires_grad_(true);
        var bf = b.detach().clone().requires_grad_(true);
        var lf = torch.nn.functional.cross_entropy(torch.matmul(hf, wf.t()) + bf, y);
        T.Close(T.Scalar(lf), loss, rtol: 1e-12);
        var g1 = torch.autograd.grad(new List<Tensor> { loss }, new List<Tensor> { hv, wv, bv });
        var g2 = torch.autograd.grad(new List<Tensor> { lf }, new List<Tensor> { hf, wf, bf });
        for (int k = 0; k < 3; k++) T.Close(T.Values(g2[k]), g1[k], rtol: 1e-10, atol: 1e-14);
    }

    [Fact]
    public void LogQCorrectionOnAKnownNegativeSet()
    {
        // q puts mass on {0, 1, 3} only; for target 4 (q = 0) with n = 3 without replacement the negatives are {0, 1, 3}.
        var o = new[] { 0.5, -1.0, 2.0, 1.5, 0.3, -0.2 };
        var q = new[] { 0.5, 0.2, 0.0, 0.3, 0.0, 0.0 };
        double Want(long y, int[] negs, double[] qt, int n)
        {
            double z = Math.Exp(o[y]);
            foreach (var j in negs) z += Math.Exp(o[j]) / (n * qt[j]);
            return Math.Log(z) - o[y];
        }
        var x = T.F64(o, 1, 6);
        T.Close(Want(4, new[] { 0, 1, 3 }, q, 3), F.sampled_softmax_loss(x, T.I64(4), 3, T.F64(q), generator: new Generator(1)));
        // target 0 is in q's support: removed and renormalised, q~ = (0.2, 0.3) / 0.5 on {1, 3}
        var renorm = new[] { 0.0, 0.4, 0.0, 0.6, 0.0, 0.0 };
        T.Close(Want(0, new[] { 1, 3 }, renorm, 2), F.sampled_softmax_loss(x, T.I64(0), 2, T.F64(q), generator: new Generator(2)));
        // with replacement, target removed: q = (0.6, 0, 0.4) and target 0 leave only class 2, q~_2 = 1, three draws of it:
        // log(e^o0 + 3 e^o2 / 3) - o0
        var q3 = T.F64(new[] { 0.6, 0.0, 0.4, 0.0, 0.0, 0.0 });
        T.Close(Math.Log(Math.Exp(o[0]) + Math.Exp(o[2])) - o[0], F.sampled_softmax_loss(x, T.I64(0), 3, q3, replacement: true, generator: new Generator(5)));
        // q is normalised: scaling it changes nothing
        T.Close(Want(4, new[] { 0, 1, 3 }, q, 3), F.sampled_softmax_loss(x, T.I64(4), 3, T.F64(q.Select(v => 10 * v).ToArray()), generator: new Generator(3)));
    }

    [Fact]
    public void AccidentalHitsAreCountedWhenKept()
    {
        // q = (0, 0, 1): every draw is class 2; with target 2 kept as a negative twice: log(e^o + 2 e^o / 2) - o = log 2.
        var x = T.F64(new[] { 0.1, 0.7, -0.4 }, 1, 3);
        var q = T.F64(new[] { 0.0, 0.0, 1.0 });
        T.Close(Math.Log(2), F.sampled_softmax_loss(x, T.I64(2), 2, q, replacement: true, remove_accidental_hits: false, generator: new Generator(4)));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.sampled_softmax_loss(x, T.I64(2), 2, q, replacement: true));
    }

    [Fact]
    public void TheSameSeedGivesTheSameNegatives()
    {
        var x = Logits(8, 20, 7);
        var y = torch.randint(0, 20, new long[] { 8 }, generator: new Generator(8));
        var spec = LossCatalog.Create("sampled_softmax:n_samples=3,seed=11,reduction=none");
        var a = T.Values(spec.forward(x, y));
        Assert.Equal(a, T.Values(spec.forward(x, y)));
        var other = T.Values(LossCatalog.Create("sampled_softmax:n_samples=3,seed=12,reduction=none").forward(x, y));
        Assert.NotEqual(a, other);
        // a module's own generator advances: successive calls draw new negatives
        var module = new SampledSoftmaxLoss(3, seed: 11, reduction: Reduction.None);
        Assert.Equal(a, T.Values(module.forward(x, y)));
        Assert.NotEqual(a, T.Values(module.forward(x, y)));
    }

    [Fact]
    public void TheExpectedSampledGradientApproachesTheFullOne()
    {
        // One row repeated: every copy draws its own negatives, so the mean gradient over the copies estimates the expectation.
        var row = T.F64(new[] { 1.2, -0.3, 0.5, 2.0, -1.0, 0.0, 0.7, -0.6 }, 1, 8);
        const int copies = 4000;
        var x = row.expand(copies, 8).contiguous();
        var y = torch.full(new long[] { copies }, 3L);
        var full = T.Values(T.Grad(v => F.cross_entropy(v, T.I64(3)), row));
        double Error(long n, bool replacement)
        {
            var g = T.Grad(v => F.sampled_softmax_loss(v, y, n, replacement: replacement, generator: new Generator(17), reduction: Reduction.Sum), x);
            var mean = T.Values(g.mean(new long[] { 0 }));
            return mean.Zip(full, (a, b) => Math.Abs(a - b)).Max();
        }
        double e2 = Error(2, true), e5 = Error(5, true), e7 = Error(7, false);
        Assert.True(e5 < e2, $"error with 5 samples {e5} should be below that with 2 {e2}");
        Assert.True(e5 < 0.05, $"error with 5 samples {e5}");
        Assert.True(e7 < 1e-12, $"error with all 7 negatives {e7}");
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, 5f, -1e4f, 1e4f, 3f, 0f }, 2, 4);
        var y = T.I64(1, 0);
        foreach (bool replacement in new[] { false, true })
        {
            T.Finite(F.sampled_softmax_loss(x, y, 3, replacement: replacement, generator: new Generator(1)), "loss");
            T.Finite(T.Grad(v => F.sampled_softmax_loss(v, y, 3, replacement: replacement, generator: new Generator(1)), x), "gradient");
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(2, 4, dtype: ScalarType.Float64);
        var y = T.I64(0, 3);
        Assert.Contains("n_samples", Assert.Throws<ArgumentOutOfRangeException>(() => F.sampled_softmax_loss(x, y, 4)).Message);
        Assert.Contains("n_samples", Assert.Throws<ArgumentOutOfRangeException>(() => F.sampled_softmax_loss(x, y, 0)).Message);
        Assert.Contains("q", Assert.Throws<ArgumentException>(() => F.sampled_softmax_loss(x, y, 2, T.F64(new[] { 1.0, 1.0 }))).Message);
        Assert.Contains("q", Assert.Throws<ArgumentException>(() => F.sampled_softmax_loss(x, y, 2, T.F64(new[] { 1.0, -1.0, 1.0, 1.0 }))).Message);
        Assert.Contains("q", Assert.Throws<ArgumentException>(() => F.sampled_softmax_loss(x, y, 2, T.F64(new[] { 0.0, 0.0, 0.0, 0.0 }), replacement: true)).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.sampled_softmax_loss(x, T.I64(0, 4), 2)).Message);
        Assert.Contains("weights", Assert.Throws<ArgumentException>(() => F.sampled_softmax_loss(torch.zeros(2, 3, dtype: ScalarType.Float64), torch.zeros(4, 2, dtype: ScalarType.Float64), y, 2)).Message);
        Assert.Contains("bias", Assert.Throws<ArgumentException>(() => F.sampled_softmax_loss(torch.zeros(2, 3, dtype: ScalarType.Float64), torch.zeros(4, 3, dtype: ScalarType.Float64), y, 2, bias: torch.zeros(3, dtype: ScalarType.Float64))).Message);
        var spec = LossCatalog.Create("sampled_softmax:n_samples=2");
        Assert.Contains("not both", Assert.Throws<ArgumentException>(() => spec.Forward(new Dictionary<string, Tensor> { ["input"] = x, ["hidden"] = x, ["weights"] = x, ["target"] = y })).Message);
        Assert.Contains("hidden", Assert.Throws<ArgumentException>(() => spec.Forward(new Dictionary<string, Tensor> { ["weights"] = x, ["target"] = y })).Message);
    }
}
