using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Contrastive;

/// <summary>
/// The chunked path of supcon_loss (a custom autograd function that recomputes each block of logits in backward)
/// against the unchunked form (ordinary autograd operations, itself tested against a brute-force loop in
/// <see cref="SupConTests"/>): values, gradients with an incoming gradient that is not 1, second derivatives, and
/// finiteness at small temperatures.
/// </summary>
public class SupConChunkedTests
{
    // (N, V, D) features and their labels: a singleton label (with V = 1 its anchor has no positive), a label seen often.
    private static (Tensor X, Tensor Y) Inputs(long n, long v, long d, ulong seed, ScalarType dtype = ScalarType.Float64)
    {
        var x = torch.randn(new[] { n, v, d }, dtype: ScalarType.Float64, generator: new Generator(seed)).to_type(dtype);
        var y = torch.tensor(Enumerable.Range(0, (int)n).Select(i => i == n - 1 ? 99L : i % 3).ToArray());
        return (x, y);
    }

    // The output and the gradient of sum(output * w): w = 3 for a scalar, seeded weights in [0.5, 1.5) for reduction none.
    private static (double[] Value, double[] Grad) Evaluate(Func<Tensor, Tensor> loss, Tensor x)
    {
        var leaf = x.detach().clone().requires_grad_(true);
        var output = loss(leaf);
        Assert.Equal(x.dtype, output.dtype);
        var w = output.dim() == 0 ? torch.tensor(3.0, dtype: ScalarType.Float64)
            : torch.rand(output.shape, dtype: ScalarType.Float64, generator: new Generator(17)) + 0.5;
        var s = (output * w.to_type(output.dtype)).sum();
        var grad = torch.autograd.grad(new List<Tensor> { s }, new List<Tensor> { leaf })[0];
        return (T.Values(output), T.Values(grad));
    }

    // The gradient of sum(u * d sum(output * w) / dx), the first gradient taken with create_graph (float64).
    private static double[] SecondOrder(Func<Tensor, Tensor> loss, Tensor x)
    {
        var leaf = x.detach().clone().requires_grad_(true);
        var output = loss(leaf);
        var w = output.dim() == 0 ? torch.tensor(3.0, dtype: output.dtype) : torch.rand(output.shape, dtype: output.dtype, generator: new Generator(17)) + 0.5;
        var g = torch.autograd.grad(new List<Tensor> { (output * w).sum() }, new List<Tensor> { leaf }, retain_graph: true, create_graph: true)[0];
        Assert.True(g.requires_grad, "the first gradient is not differentiable");
        var u = torch.rand(g.shape, dtype: g.dtype, generator: new Generator(18)) - 0.5;
        return T.Values(torch.autograd.grad(new List<Tensor> { (g * u).sum() }, new List<Tensor> { leaf })[0]);
    }

    // |got - want| <= rtol |want| + atol max|want|, entry by entry.
    private static void Close(double[] want, double[] got, double rtol, double atol, string label)
    {
        Assert.Equal(want.Length, got.Length);
        double scale = want.Length == 0 ? 0 : want.Max(Math.Abs);
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= rtol * Math.Abs(want[i]) + atol * scale, $"{label}, entry {i}: got {got[i]:R}, want {want[i]:R}");
    }

    public static TheoryData<long, long, bool, SupConMode, Reduction> Settings()
    {
        var data = new TheoryData<long, long, bool, SupConMode, Reduction>();
        foreach (var (n, v) in new[] { (7L, 3L), (6L, 1L) })
            foreach (bool labelled in v == 1 ? new[] { true } : new[] { true, false })   // one view, no labels: no positives at all
                foreach (var mode in new[] { SupConMode.All, SupConMode.One })
                    foreach (var r in new[] { Reduction.None, Reduction.Mean, Reduction.Sum })
                        data.Add(n, v, labelled, mode, r);
        return data;
    }

    // Anchors: 21 or 7 (V = 3), 6 (V = 1); chunks of 1, 4 and 5 (dividing none of them), the anchor count, more.
    private static long[] ChunkSizes(long anchors) => [1, 4, 5, anchors, anchors + 3];

    [Theory]
    [MemberData(nameof(Settings))]
    public void ChunkedEqualsUnchunkedInFloat64(long n, long v, bool labelled, SupConMode mode, Reduction reduction)
    {
        var (x, y) = Inputs(n, v, 5, (ulong)(100 + n * v));
        var labels = labelled ? y : null;
        var (want, wantGrad) = Evaluate(f => F.supcon_loss(f, labels, 0.2, 0.1, mode, 0, reduction), x);
        Assert.Contains(wantGrad, g => g != 0);
        foreach (long chunk in ChunkSizes(mode == SupConMode.All ? n * v : n))
        {
            var (got, gotGrad) = Evaluate(f => F.supcon_loss(f, labels, 0.2, 0.1, mode, chunk, reduction), x);
            Close(want, got, 1e-10, 1e-12, $"chunk {chunk} value");
            Close(wantGrad, gotGrad, 1e-10, 1e-12, $"chunk {chunk} gradient");
        }
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void ChunkedFloat32AgreesWithTheUnchunkedFormInFloat64(long n, long v, bool labelled, SupConMode mode, Reduction reduction)
    {
        var (x, y) = Inputs(n, v, 5, (ulong)(200 + n * v), ScalarType.Float32);
        var labels = labelled ? y : null;
        var (want, wantGrad) = Evaluate(f => F.supcon_loss(f, labels, 0.1, 0.07, mode, 0, reduction), x.to_type(ScalarType.Float64));
        foreach (long chunk in ChunkSizes(mode == SupConMode.All ? n * v : n))
        {
            var (got, gotGrad) = Evaluate(f => F.supcon_loss(f, labels, 0.1, 0.07, mode, chunk, reduction), x);
            Close(want, got, 1e-5, 1e-6, $"chunk {chunk} value");
            Close(wantGrad, gotGrad, 1e-5, 1e-5, $"chunk {chunk} gradient");
        }
    }

    [Theory]
    [InlineData(true, SupConMode.All, Reduction.Mean)]
    [InlineData(false, SupConMode.All, Reduction.None)]
    [InlineData(true, SupConMode.One, Reduction.Sum)]
    [InlineData(true, SupConMode.One, Reduction.None)]
    [InlineData(false, SupConMode.One, Reduction.Mean)]
    public void SecondDerivativesAreThoseOfTheUnchunkedForm(bool labelled, SupConMode mode, Reduction reduction)
    {
        var (x, y) = Inputs(5, 2, 3, 300);
        var labels = labelled ? y : null;
        var want = SecondOrder(f => F.supcon_loss(f, labels, 0.3, 0.2, mode, 0, reduction), x);
        Assert.Contains(want, h => h != 0);
        foreach (long chunk in new long[] { 1, 3, 10 })
            Close(want, SecondOrder(f => F.supcon_loss(f, labels, 0.3, 0.2, mode, chunk, reduction), x), 1e-10, 1e-12, $"chunk {chunk} second derivatives");
    }

    [Theory]
    [InlineData(ScalarType.Float64, 0.05)]
    [InlineData(ScalarType.Float32, 0.05)]
    [InlineData(ScalarType.Float32, 1e-3)]
    public void SmallTemperaturesWithLargeSimilaritiesStayFinite(ScalarType dtype, double t)
    {
        // Every view near one of two directions: similarities close to 1 (logits near 1 / t) between most rows.
        var noise = torch.randn(new long[] { 8, 2, 4 }, dtype: ScalarType.Float64, generator: new Generator(400)) * 1e-2;
        var centre = torch.tensor(new double[] { 1, 2, -1, 0.5, 1, 2, -1, 0.6 }).reshape(2, 1, 1, 4).expand(2, 4, 2, 4).reshape(8, 2, 4);
        var x = ((centre + noise) * 1e3).to_type(dtype);
        var y = T.I64(0, 1, 0, 1, 2, 2, 0, 3);
        var (want, wantGrad) = Evaluate(f => F.supcon_loss(f, y, t, 0.07, chunk_size: 0), x.to_type(ScalarType.Float64));
        foreach (long chunk in new long[] { 1, 3 })
        {
            var (got, gotGrad) = Evaluate(f => F.supcon_loss(f, y, t, 0.07, chunk_size: chunk), x);
            Assert.True(got.All(double.IsFinite) && gotGrad.All(double.IsFinite), $"chunk {chunk}: not finite");
            if (dtype == ScalarType.Float64)
            {
                Close(want, got, 1e-10, 1e-12, $"chunk {chunk} value");
                Close(wantGrad, gotGrad, 1e-9, 1e-12, $"chunk {chunk} gradient");
            }
        }
    }

    [Fact]
    public void ExtremeFloat32InputsStayFinite()
    {
        var x = torch.tensor(new float[] { 1e4f, -1e4f, 0f, 1e4f, 1e4f, 1e4f, 0f, 0f, -1e4f, 3f, 2f, 1e4f }).reshape(3, 2, 2);
        foreach (double t in new[] { 0.07, 1e-3 })
            foreach (long chunk in new long[] { 1, 4 })
            {
                T.Finite(F.supcon_loss(x, T.I64(0, 1, 0), t, chunk_size: chunk), "loss");
                T.Finite(T.Grad(v => F.supcon_loss(v, T.I64(0, 1, 0), t, chunk_size: chunk), x), "gradient");
            }
    }

    [Fact]
    public void WorksWithoutGradientAndOnASingleView()
    {
        var (x, y) = Inputs(6, 2, 3, 500);
        double want = T.Scalar(F.supcon_loss(x, y, 0.5));
        using (torch.no_grad()) T.Close(want, F.supcon_loss(x, y, 0.5, chunk_size: 5), 1e-12, 1e-14);
        // one sample, one view: loss 0, gradient 0, chunked or not
        T.Close(0.0, F.supcon_loss(x.narrow(0, 0, 1).narrow(1, 0, 1), chunk_size: 1));
        T.Close(new double[3], T.Grad(v => F.supcon_loss(v, chunk_size: 1), x.narrow(0, 0, 1).narrow(1, 0, 1)));
    }
}
