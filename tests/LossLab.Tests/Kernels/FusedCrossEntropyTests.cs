using LossLab.Kernels;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static LossLab.Tests.Kernels.FusedAgreement;

namespace LossLab.Tests.Kernels;

/// <summary>The fused kernel against libtorch's composite cross-entropy (log_softmax + NLL), values and gradients.</summary>
[Collection(FusedKernelSwitchCollection.Name)]
public class FusedCrossEntropyTests
{
    public static TheoryData<ScalarType, string, double, int, int> Cases()
    {
        var d = new TheoryData<ScalarType, string, double, int, int>();
        foreach (var dt in new[] { ScalarType.Float32, ScalarType.Float64 })
            foreach (var red in new[] { "mean", "sum", "none" })
                foreach (var eps in new[] { 0.0, 0.1 })
                    d.Add(dt, red, eps, 37, 11);
        d.Add(ScalarType.Float32, "mean", 0.0, 300, 1000);
        d.Add(ScalarType.Float32, "mean", 0.2, 1, 5);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AgreesWithTheCompositeForm(ScalarType dtype, string red, double smoothing, int n, int c)
    {
        Assert.True(FusedKernels.Enabled);
        var x = (torch.randn(new long[] { n, c }, generator: new Generator(5)) * 4).to_type(dtype);
        var y = torch.randint(0, c, new long[] { n }, generator: new Generator(6));
        var reduction = ReductionExtensions.Parse(red);
        var tr = reduction switch { Reduction.None => nn.Reduction.None, Reduction.Sum => nn.Reduction.Sum, _ => nn.Reduction.Mean };
        double rtol = dtype == ScalarType.Float32 ? 2e-5 : 1e-12, atol = dtype == ScalarType.Float32 ? 1e-6 : 1e-14;
        var want = torch.nn.functional.cross_entropy(x, y, reduction: tr, label_smoothing: smoothing);
        var got = LossLab.Losses.cross_entropy(x, y, reduction: reduction, label_smoothing: smoothing);
        T.Close(T.Values(want), got, rtol, atol);
        // d sum(output * v) / dx, so that reduction none is checked with a non-uniform incoming gradient
        var v = torch.rand(want.shape, generator: new Generator(7)).to_type(dtype) + 0.5;
        var gWant = T.Grad(t => torch.nn.functional.cross_entropy(t, y, reduction: tr, label_smoothing: smoothing) * v, x);
        var gGot = T.Grad(t => LossLab.Losses.cross_entropy(t, y, reduction: reduction, label_smoothing: smoothing) * v, x);
        T.Close(T.Values(gWant), gGot, rtol * 10, atol);
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = T.F32(new float[] { 1e4f, -1e4f, 0f, -1e4f, -1e4f, 1e4f }, 2, 3);
        var y = T.I64(1, 0);
        T.Finite(LossLab.Losses.cross_entropy(x, y), "value");
        T.Finite(T.Grad(t => LossLab.Losses.cross_entropy(t, y, label_smoothing: 0.1), x), "gradient");
        T.Close(2e4, LossLab.Losses.cross_entropy(x, y), 1e-6); // both rows: logsumexp 1e4 minus a target logit of -1e4
    }

    [Fact]
    public void DoubleBackwardThroughASecondUseStillWorks()
    {
        // the saved gradient is returned without a copy when grad_output is 1; a second backward must not see it changed
        var x = torch.randn(new long[] { 4, 5 }, generator: new Generator(1)).requires_grad_(true);
        var y = T.I64(0, 1, 2, 3);
        var loss = LossLab.Losses.cross_entropy(x, y);
        var g1 = torch.autograd.grad(new List<Tensor> { loss }, new List<Tensor> { x }, retain_graph: true)[0].clone();
        var g2 = torch.autograd.grad(new List<Tensor> { loss * 2 }, new List<Tensor> { x })[0];
        T.Close(T.Values(g1).Select(v => 2 * v).ToArray(), g2, 1e-6, 1e-7);
    }

    public static TheoryData<ScalarType, string, double, bool, bool, bool> OptionCases()
    {
        var d = new TheoryData<ScalarType, string, double, bool, bool, bool>();
        foreach (var dt in FloatTypes)
            foreach (var red in Reductions)
                foreach (var eps in new[] { 0.0, 0.15 })
                    foreach (var weighted in new[] { false, true })
                        foreach (var ignore in new[] { false, true })
                            foreach (var consistent in new[] { false, true })
                                if (!consistent || (weighted && eps > 0))
                                    d.Add(dt, red, eps, weighted, ignore, consistent);
        return d;
    }

    [Theory]
    [MemberData(nameof(OptionCases))]
    public void ClassIndicesWithWeightsIgnoredTargetsAndSmoothing(ScalarType dtype, string red, double eps, bool weighted, bool ignore, bool consistent)
    {
        var x = Logits(37, 11, 3, dtype);
        var y = Labels(37, 11);
        var w = weighted ? Uniform([11], 0.3, 2.5) : null;
        long ignoreIndex = ignore ? 4 : -100; // a class value: its rows are skipped
        Assert.True(FusedCrossEntropy.Applies(x, y, w, probabilities: false));
        Agree(t => LossLab.Losses.cross_entropy(t, y, w, ignoreIndex, ReductionExtensions.Parse(red), eps, consistent), x,
            $"{dtype} {red} eps={eps} weighted={weighted} ignore={ignore} consistent={consistent}");
    }

    public static TheoryData<ScalarType, string, double, bool, bool> ProbabilityCases()
    {
        var d = new TheoryData<ScalarType, string, double, bool, bool>();
        foreach (var dt in FloatTypes)
            foreach (var red in Reductions)
                foreach (var eps in new[] { 0.0, 0.2 })
                    foreach (var weighted in new[] { false, true })
                        foreach (var consistent in new[] { false, true })
                            d.Add(dt, red, eps, weighted, consistent);
        return d;
    }

    [Theory]
    [MemberData(nameof(ProbabilityCases))]
    public void ClassProbabilities(ScalarType dtype, string red, double eps, bool weighted, bool consistent)
    {
        var x = Logits(37, 11, 3, dtype);
        var q = torch.softmax(Logits(37, 11, 2, ScalarType.Float64, 8), 1).to_type(dtype);
        var w = weighted ? Uniform([11], 0.3, 2.5) : null;
        Assert.True(FusedCrossEntropy.Applies(x, q, w, probabilities: true));
        Agree(t => LossLab.Losses.cross_entropy(t, q, w, reduction: ReductionExtensions.Parse(red), label_smoothing: eps, consistent_smoothing_weights: consistent), x,
            $"{dtype} {red} eps={eps} weighted={weighted} consistent={consistent}");
    }

    [Fact]
    public void WideRowsAndASingleRowWithEveryOption()
    {
        foreach (var (n, c) in new[] { (1L, 7L), (64L, 1000L) })
        {
            var x = Logits(n, c, 4, ScalarType.Float32);
            var y = Labels(n, c);
            var w = Uniform([c], 0.3, 2.5);
            Agree(t => LossLab.Losses.cross_entropy(t, y, w, label_smoothing: 0.1), x, $"({n},{c}) weighted smoothing");
            Agree(t => LossLab.Losses.cross_entropy(t, torch.softmax(Logits(n, c, 2, ScalarType.Float64, 8), 1), w, reduction: Reduction.None, label_smoothing: 0.1), x, $"({n},{c}) probabilities");
        }
    }

    [Fact]
    public void ExtremeLogitsStayFiniteWithEveryOption()
    {
        var x = Extreme(5);
        var y = T.I64(0, -100, 4);
        var w = Uniform([5], 0.5, 2).to_type(ScalarType.Float32);
        var q = torch.softmax(Logits(3, 5, 2, ScalarType.Float32, 8), 1);
        foreach (var consistent in new[] { false, true })
        {
            Finite(t => LossLab.Losses.cross_entropy(t, y, w, label_smoothing: 0.1, consistent_smoothing_weights: consistent), x, "indices");
            Finite(t => LossLab.Losses.cross_entropy(t, q, w, label_smoothing: 0.1, consistent_smoothing_weights: consistent), x, "probabilities");
        }
    }

    [Fact]
    public void EveryTargetIgnoredGivesTheCompositesNaNMeanAndZeroGradient()
    {
        var x = Logits(4, 5, 2, ScalarType.Float64);
        var y = T.I64(-100, -100, -100, -100);
        var (value, grad, _) = Evaluate(t => LossLab.Losses.cross_entropy(t, y, Uniform([5], 0.5, 2), label_smoothing: 0.1), x, fused: true, null);
        Assert.True(double.IsNaN(value[0]));
        Assert.All(grad, g => Assert.Equal(0.0, g));
    }

    [Fact]
    public void FallsBackWhereItMust()
    {
        var x = Logits(6, 4, 2, ScalarType.Float64);
        var y = Labels(6, 4);
        var q = torch.softmax(x, 1);
        Assert.False(FusedCrossEntropy.Applies(x.reshape(2, 4, 3), y.reshape(2, 3), null, false)); // K-dimensional
        Assert.False(FusedCrossEntropy.Applies(x[0], y[0], null, false));                       // unbatched
        Assert.False(FusedCrossEntropy.Applies(x, y, Uniform([4], 0.5, 2).requires_grad_(true), false));
        Assert.False(FusedCrossEntropy.Applies(x, q.detach().requires_grad_(true), null, true));
        Assert.False(FusedCrossEntropy.Applies(x.to_type(ScalarType.Float16), y, null, false));
        Assert.False(FusedCrossEntropy.Applies(Logits(6, 1, 2, ScalarType.Float64), torch.zeros(6, dtype: ScalarType.Int64), null, false));
        FusedKernels.Enabled = false;
        try { Assert.False(FusedCrossEntropy.Applies(x, y, null, false)); }
        finally { FusedKernels.Enabled = true; }
    }
}
