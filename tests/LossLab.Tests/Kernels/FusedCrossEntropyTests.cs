using LossLab.Kernels;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Kernels;

/// <summary>The fused kernel against libtorch's composite cross-entropy (log_softmax + NLL), values and gradients.</summary>
[Collection("FusedKernelSwitch")]
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
}
