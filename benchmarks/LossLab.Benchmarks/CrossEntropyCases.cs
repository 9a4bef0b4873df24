using BenchmarkDotNet.Attributes;
using LossLab.Benchmarks.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Benchmarks;

/// <summary>
/// Cross-entropy forward plus backward on float32 logits (N, C) with class-index targets: LossLab's
/// <see cref="Losses.cross_entropy"/> as the libtorch composite (fused kernels off: log_softmax, the NLL gather,
/// log_softmax backward; the baseline), the same function with its fused kernel, and
/// <c>torch.nn.functional.cross_entropy</c>. The floor is one read of the logits and one write of the gradient.
/// The sizes (and the job) are the subclasses'.
/// </summary>
public abstract class CrossEntropyCases : IBandwidthBound
{
    /// <summary>N x C, e.g. <c>4096x1000</c>.</summary>
    public abstract string Size { get; set; }

    /// <summary>Label smoothing (0 unless a subclass makes it a parameter).</summary>
    public virtual double Smoothing { get; set; }

    private Tensor logits = null!;
    private Tensor target = null!;

    /// <inheritdoc/>
    public double? BytesMoved
    {
        get
        {
            var (n, c) = LossStep.ParseSize(Size);
            return 2.0 * n * c * sizeof(float) + n * sizeof(long);
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        var (n, c) = LossStep.ParseSize(Size);
        torch.manual_seed(0);
        logits = torch.randn(n, c, dtype: ScalarType.Float32);
        target = torch.randint(0, c, new long[] { n });
        if ((long)n * c >= 1_000_000) QuietGate.Wait();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        logits.Dispose();
        target.Dispose();
    }

    /// <summary>The libtorch composite (LossLab with fused kernels off).</summary>
    [Benchmark(Baseline = true)]
    public float Composite() => LossStep.Run(logits, fused: false, x => Losses.cross_entropy(x, target, label_smoothing: Smoothing));

    /// <summary>LossLab with its fused kernel.</summary>
    [Benchmark]
    public float LossLab() => LossStep.Run(logits, fused: true, x => Losses.cross_entropy(x, target, label_smoothing: Smoothing));

    /// <summary>torch.nn.functional.cross_entropy.</summary>
    [Benchmark]
    public float Torch() => LossStep.Run(logits, fused: false, x => torch.nn.functional.cross_entropy(x, target, label_smoothing: Smoothing));
}
