using BenchmarkDotNet.Attributes;
using LossLab.Benchmarks.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Benchmarks;

/// <summary>
/// Cross-entropy over a large vocabulary (V = 32000) from hidden states (N, D = 512) and an output projection (V, D),
/// forward plus backward with gradients for both: the composite (the logits <c>hidden @ W.T</c> made in full, then
/// LossLab's cross-entropy with fused kernels off; the baseline), <c>Losses.chunked_cross_entropy</c> on the same full
/// logits, and <c>Losses.linear_cross_entropy</c>, which never makes the (N, V) logits. The measurement that matters
/// is the Peak native column against N x V.
/// </summary>
[LossLabJob(1, 3, oneCallPerIteration: true)]
public class LargeVocabularyBenchmarks
{
    /// <summary>Vocabulary size.</summary>
    public const int V = 32000;

    /// <summary>Hidden size.</summary>
    public const int D = 512;

    /// <summary>Tokens (rows).</summary>
    [Params(1024, 2048, 4096)]
    public int N { get; set; } = 1024;

    private Tensor hidden = null!;
    private Tensor weight = null!;
    private Tensor target = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.manual_seed(0);
        hidden = torch.randn(N, D);
        weight = torch.randn(V, D) / Math.Sqrt(D);
        target = torch.randint(0, V, new long[] { N });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        hidden.Dispose();
        weight.Dispose();
        target.Dispose();
    }

    private float Run(bool fused, Func<Tensor, Tensor, Tensor> loss)
    {
        Kernels.FusedKernels.Enabled = fused;
        using var scope = NewDisposeScope();
        var h = hidden.detach().requires_grad_(true);
        var w = weight.detach().requires_grad_(true);
        var value = loss(h, w);
        value.backward();
        return value.item<float>();
    }

    /// <summary>Full logits, then LossLab's cross-entropy as the libtorch composite.</summary>
    [Benchmark(Baseline = true)]
    public float Composite() => Run(false, (h, w) => Losses.cross_entropy(h.matmul(w.t()), target));

    /// <summary>Full logits, then <c>Losses.chunked_cross_entropy</c>.</summary>
    [Benchmark]
    public float ChunkedCe() => Run(true, (h, w) => Losses.chunked_cross_entropy(h.matmul(w.t()), target));

    /// <summary><c>Losses.linear_cross_entropy</c>: no (N, V) logits.</summary>
    [Benchmark]
    public float LinearCe() => Run(true, (h, w) => Losses.linear_cross_entropy(h, w, target));
}
