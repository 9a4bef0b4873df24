using BenchmarkDotNet.Attributes;
using LossLab.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Benchmarks;

/// <summary>
/// Cross-entropy forward plus backward on float32 logits: libtorch's composite (<c>torch.nn.functional.cross_entropy</c>:
/// log_softmax, the NLL gather, a zero-filled gradient, log_softmax backward) as the baseline, against LossLab's
/// fused kernel (<see cref="Losses.cross_entropy"/> with fused kernels on). The memory-bandwidth floor is one read of
/// the logits and one write of the gradient: <c>2 * N * C * 4</c> bytes (printed by <c>--quick</c>).
/// </summary>
[InProcess]
[WarmupCount(3)]
[IterationCount(15)]
[MemoryDiagnoser(displayGenColumns: false)]
public class CrossEntropyBenchmarks
{
    [Params(128, 4096)]
    public int N { get; set; }

    [Params(10, 1000)]
    public int C { get; set; }

    private Tensor logits = null!;
    private Tensor target = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.manual_seed(0);
        logits = torch.randn(N, C, dtype: ScalarType.Float32);
        target = torch.randint(0, C, new long[] { N });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        logits.Dispose();
        target.Dispose();
    }

    private double Step(Func<Tensor, Tensor> loss)
    {
        using var scope = NewDisposeScope();
        var x = logits.detach().requires_grad_(true);
        var value = loss(x);
        value.backward();
        return x.grad!.sum().item<float>();
    }

    /// <summary>libtorch's composite cross-entropy, forward and backward.</summary>
    [Benchmark(Baseline = true)]
    public double Libtorch() => Step(x => torch.nn.functional.cross_entropy(x, target));

    /// <summary>LossLab's fused kernel, forward and backward.</summary>
    [Benchmark]
    public double Fused()
    {
        FusedKernels.Enabled = true;
        return Step(x => Losses.cross_entropy(x, target));
    }
}
