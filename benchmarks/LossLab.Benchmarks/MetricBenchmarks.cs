using BenchmarkDotNet.Attributes;
using LossLab.Benchmarks.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Benchmarks;

/// <summary>
/// ECE and AUROC over 10 million samples on the CPU: ECE of (N, 10) float32 softmax probabilities (the input a test
/// set gives), AUROC of N float64 scores with 0/1 labels. The data are made once per run with a fixed seed. In process:
/// TorchSharp's native libraries are laid out for this project's own output, not for a generated one.
/// </summary>
[LossLabJob(2, 10)]
public class MetricBenchmarks
{
    public const long N = 10_000_000;
    public const int Classes = 10;

    private Tensor probs = null!;
    private Tensor labels = null!;
    private Tensor scores = null!;
    private Tensor binary = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.manual_seed(0);
        probs = torch.softmax(torch.randn(N, Classes, dtype: ScalarType.Float32) * 3, 1);
        labels = torch.randint(0, Classes, new[] { N }, dtype: ScalarType.Int64);
        scores = torch.randn(N, dtype: ScalarType.Float64);
        binary = torch.randint(0, 2, new[] { N }, dtype: ScalarType.Int64);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        probs.Dispose();
        labels.Dispose();
        scores.Dispose();
        binary.Dispose();
    }

    [Benchmark]
    public double Ece()
    {
        using var scope = NewDisposeScope();
        return Metrics.ece(probs, labels).item<double>();
    }

    [Benchmark]
    public double AdaEce()
    {
        using var scope = NewDisposeScope();
        return Metrics.adaece(probs, labels).item<double>();
    }

    [Benchmark]
    public double Auroc()
    {
        using var scope = NewDisposeScope();
        return Metrics.auroc(scores, binary).item<double>();
    }
}
