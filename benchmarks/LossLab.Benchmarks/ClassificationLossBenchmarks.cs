using BenchmarkDotNet.Attributes;
using LossLab.Benchmarks.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Benchmarks;

/// <summary>
/// Forward plus backward of the classification losses that have fused kernels, each through its LossLab function:
/// with fused kernels off (the libtorch composite, the baseline) and on. Multi-class losses take float32 logits (N, C)
/// and class indices; the sigmoid ones take (N, C) logits and 0/1 float targets (10% positives). Mean reduction
/// everywhere. The floor is one read of the logits (and of float targets) and one write of the gradient.
/// </summary>
[LossLabJob(3, 20, iterationTimeMs: 100)]
public class ClassificationLossBenchmarks : IBandwidthBound
{
    /// <summary>The loss (IQ with the divergence after the colon).</summary>
    [Params("focal", "poly1", "iq:chi", "iq:kl", "iq:js", "iq:hellinger", "sigmoid_focal", "bce_with_logits")]
    public string Loss { get; set; } = "focal";

    /// <summary>N x C.</summary>
    [Params("128x10", "4096x1000")]
    public string Size { get; set; } = "128x10";

    private Tensor logits = null!;
    private Tensor target = null!;
    private Func<Tensor, Tensor> loss = null!;

    private bool MultiLabel => Loss is "sigmoid_focal" or "bce_with_logits";

    /// <inheritdoc/>
    public double? BytesMoved
    {
        get
        {
            var (n, c) = LossStep.ParseSize(Size);
            return MultiLabel ? 3.0 * n * c * sizeof(float) : 2.0 * n * c * sizeof(float) + n * sizeof(long);
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        var (n, c) = LossStep.ParseSize(Size);
        torch.manual_seed(0);
        logits = torch.randn(n, c, dtype: ScalarType.Float32);
        target = MultiLabel ? torch.rand(n, c).lt(0.1).to_type(ScalarType.Float32) : torch.randint(0, c, new long[] { n });
        loss = Of(Loss, target);
        if ((long)n * c >= 1_000_000) QuietGate.Wait();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        logits.Dispose();
        target.Dispose();
    }

    /// <summary>The loss function of a benchmark name, bound to its target.</summary>
    public static Func<Tensor, Tensor> Of(string name, Tensor target) => name switch
    {
        "focal" => x => Losses.focal_loss(x, target),
        "poly1" => x => Losses.poly1_cross_entropy(x, target),
        "sigmoid_focal" => x => Losses.sigmoid_focal_loss(x, target, reduction: Reduction.Mean),
        "bce_with_logits" => x => Losses.binary_cross_entropy_with_logits(x, target),
        _ when name.StartsWith("iq:", StringComparison.Ordinal) => IqOf(DivergenceNames.Parse(name[3..]), target),
        _ => throw new ArgumentException($"unknown benchmark loss '{name}'", nameof(name)),
    };

    private static Func<Tensor, Tensor> IqOf(Divergence divergence, Tensor target) => x => Losses.iq_loss(x, target, divergence);

    /// <summary>The libtorch composite (fused kernels off).</summary>
    [Benchmark(Baseline = true)]
    public float Composite() => LossStep.Run(logits, fused: false, loss);

    /// <summary>LossLab with fused kernels on (its fused kernel where one applies).</summary>
    [Benchmark]
    public float LossLab() => LossStep.Run(logits, fused: true, loss);
}
