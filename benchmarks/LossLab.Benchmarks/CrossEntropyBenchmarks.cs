using BenchmarkDotNet.Attributes;
using LossLab.Benchmarks.Infrastructure;

namespace LossLab.Benchmarks;

/// <summary>Cross-entropy (<see cref="CrossEntropyCases"/>) at a small and a mid size, without and with label smoothing.</summary>
[LossLabJob(3, 20, iterationTimeMs: 100)]
public class CrossEntropyBenchmarks : CrossEntropyCases
{
    /// <inheritdoc/>
    [Params("128x10", "4096x1000")]
    public override string Size { get; set; } = "128x10";

    /// <inheritdoc/>
    [Params(0.0, 0.1)]
    public override double Smoothing { get; set; }
}
