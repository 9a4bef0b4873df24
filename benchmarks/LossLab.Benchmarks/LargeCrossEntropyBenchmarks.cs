using BenchmarkDotNet.Attributes;
using LossLab.Benchmarks.Infrastructure;

namespace LossLab.Benchmarks;

/// <summary>
/// Cross-entropy (<see cref="CrossEntropyCases"/>) at a language-model size, 8192 x 32000 float32 logits (1 GB per
/// tensor): one call per iteration and few iterations, so that the whole suite stays within minutes.
/// </summary>
[LossLabJob(1, 3, oneCallPerIteration: true)]
public class LargeCrossEntropyBenchmarks : CrossEntropyCases
{
    /// <inheritdoc/>
    [Params("8192x32000")]
    public override string Size { get; set; } = "8192x32000";
}
