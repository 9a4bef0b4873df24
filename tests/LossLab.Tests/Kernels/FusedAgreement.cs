using LossLab.Kernels;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Kernels;

/// <summary>
/// Tests that switch <see cref="FusedKernels.Enabled"/> (a process-wide static) run alone, never beside a test that
/// could see the switch flipped.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FusedKernelSwitchCollection
{
    public const string Name = "FusedKernelSwitch";
}

/// <summary>
/// Compares a fused kernel with the composite form it replaces (the same loss function with fused kernels off):
/// the value and the gradient of <c>sum(output * v)</c>, with v = 3 for a reduced output and random weights in
/// [0.5, 1.5] for reduction none, so that the incoming gradient is never 1. float64 kernels are compared with the
/// float64 composite; float32 kernels with the composite evaluated in float64 on the same (float32) inputs, so that the
/// composite's own float32 rounding does not count against the kernel.
/// </summary>
internal static class FusedAgreement
{
    /// <summary>Asserts that the fused form of <paramref name="loss"/> at <paramref name="x"/> (its dtype) agrees with the
    /// composite form: relative error <c>rtol</c> plus <c>atol</c> times the largest reference magnitude.</summary>
    public static void Agree(Func<Tensor, Tensor> loss, Tensor x, string label, double? rtol = null, double? atol = null)
    {
        bool f32 = x.dtype == ScalarType.Float32;
        double rt = rtol ?? (f32 ? 1e-5 : 1e-12), at = atol ?? (f32 ? 1e-6 : 1e-13);
        var (value, grad, output) = Evaluate(loss, x, fused: true, null);
        Assert.Equal(x.dtype, output.dtype);
        var v = output.dim() == 0 ? torch.tensor(3.0, dtype: ScalarType.Float64) : torch.rand(output.shape, dtype: ScalarType.Float64, generator: new Generator(99)) + 0.5;
        (value, grad, output) = Evaluate(loss, x, fused: true, v);
        var (wantValue, wantGrad, wantOutput) = Evaluate(loss, x.to_type(ScalarType.Float64), fused: false, v);
        Assert.Equal(wantOutput.shape, output.shape);
        Close(wantValue, value, rt, at, label + " value");
        Close(wantGrad, grad, rt, at, label + " gradient");
    }

    /// <summary>The output, its values and the gradient of <c>sum(output * v)</c> (v = 1 when null), with fused kernels
    /// on or off.</summary>
    public static (double[] Value, double[] Grad, Tensor Output) Evaluate(Func<Tensor, Tensor> loss, Tensor x, bool fused, Tensor? v)
    {
        bool was = FusedKernels.Enabled;
        FusedKernels.Enabled = fused;
        try
        {
            var leaf = x.detach().clone().requires_grad_(true);
            var output = loss(leaf);
            var s = v is null ? output.sum() : (output * v.to_type(output.dtype)).sum();
            var grad = torch.autograd.grad(new List<Tensor> { s }, new List<Tensor> { leaf })[0];
            return (T.Values(output), T.Values(grad), output.detach());
        }
        finally
        {
            FusedKernels.Enabled = was;
        }
    }

    /// <summary>Asserts that second derivatives agree: the gradient of <c>sum(u * d sum(output * v) / dx)</c>, the
    /// first gradient taken with <c>create_graph</c> and <c>retain_graph</c> (PyTorch's default with create_graph; the
    /// composite form needs it), fused kernels on against off (float64).</summary>
    public static void AgreeSecondOrder(Func<Tensor, Tensor> loss, Tensor x, string label)
    {
        double[] Hessian(bool fused)
        {
            bool was = FusedKernels.Enabled;
            FusedKernels.Enabled = fused;
            try
            {
                var leaf = x.detach().clone().requires_grad_(true);
                var output = loss(leaf);
                var v = output.dim() == 0 ? torch.tensor(3.0, dtype: output.dtype) : torch.rand(output.shape, dtype: output.dtype, generator: new Generator(99)) + 0.5;
                var g = torch.autograd.grad(new List<Tensor> { (output * v).sum() }, new List<Tensor> { leaf }, retain_graph: true, create_graph: true)[0];
                var u = torch.rand(g.shape, dtype: g.dtype, generator: new Generator(98)) - 0.5;
                return T.Values(torch.autograd.grad(new List<Tensor> { (g * u).sum() }, new List<Tensor> { leaf })[0]);
            }
            finally
            {
                FusedKernels.Enabled = was;
            }
        }
        Close(Hessian(false), Hessian(true), 1e-12, 1e-13, label + " second derivatives");
    }

    /// <summary>Asserts that the value and the gradient are finite (fused kernels on).</summary>
    public static void Finite(Func<Tensor, Tensor> loss, Tensor x, string label)
    {
        var (value, grad, _) = Evaluate(loss, x, fused: true, null);
        Assert.True(value.All(double.IsFinite), $"{label}: value not finite");
        Assert.True(grad.All(double.IsFinite), $"{label}: gradient not finite");
    }

    private static void Close(double[] want, double[] got, double rtol, double atol, string label)
    {
        Assert.Equal(want.Length, got.Length);
        double scale = want.Length == 0 ? 0 : want.Max(Math.Abs);
        for (int i = 0; i < got.Length; i++)
        {
            if (double.IsNaN(want[i]) && double.IsNaN(got[i])) continue;
            Assert.True(Math.Abs(got[i] - want[i]) <= rtol * Math.Abs(want[i]) + atol * scale,
                $"{label}, entry {i}: got {got[i]:R}, want {want[i]:R}");
        }
    }

    /// <summary>Seeded (n, c) normal logits times <paramref name="scale"/>, in <paramref name="dtype"/>.</summary>
    public static Tensor Logits(long n, long c, double scale, ScalarType dtype, ulong seed = 5) =>
        (torch.randn(new[] { n, c }, dtype: ScalarType.Float64, generator: new Generator(seed)) * scale).to_type(dtype);

    /// <summary>Seeded class indices in [0, c).</summary>
    public static Tensor Labels(long n, long c, ulong seed = 6) => torch.randint(0, c, new[] { n }, generator: new Generator(seed));

    /// <summary>Seeded values uniform in [lo, hi), float64.</summary>
    public static Tensor Uniform(long[] shape, double lo, double hi, ulong seed = 7) =>
        torch.rand(shape, dtype: ScalarType.Float64, generator: new Generator(seed)) * (hi - lo) + lo;

    /// <summary>Logits with entries of magnitude 1e4 (and 0), float32: (3, c).</summary>
    public static Tensor Extreme(long c)
    {
        var data = new float[3 * c];
        for (int i = 0; i < data.Length; i++) data[i] = (i % 3) switch { 0 => 1e4f, 1 => -1e4f, _ => 0f };
        return torch.tensor(data).reshape(3, c);
    }

    /// <summary>The reductions' names, for theory data.</summary>
    public static readonly string[] Reductions = ["mean", "sum", "none"];

    /// <summary>float32 and float64.</summary>
    public static readonly ScalarType[] FloatTypes = [ScalarType.Float32, ScalarType.Float64];
}
