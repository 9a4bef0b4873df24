using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;

namespace LossLab.Benchmarks.Infrastructure;

/// <summary>
/// The job of a benchmark class: in process (TorchSharp's native libraries are laid out for this project's own output,
/// not for a project BenchmarkDotNet would generate), the given warm-up and measured iterations, and the managed-memory
/// diagnoser without GC columns.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class LossLabJobAttribute : Attribute, IConfigSource
{
    /// <summary>The job.</summary>
    /// <param name="warmup">Warm-up iterations.</param>
    /// <param name="iterations">Measured iterations.</param>
    /// <param name="iterationTimeMs">Target time of one iteration (0: BenchmarkDotNet's 500 ms).</param>
    /// <param name="oneCallPerIteration">One call per iteration, no pilot (for calls of a second or more).</param>
    public LossLabJobAttribute(int warmup, int iterations, int iterationTimeMs = 0, bool oneCallPerIteration = false)
    {
        var job = Job.InProcess.WithWarmupCount(warmup).WithIterationCount(iterations);
        if (iterationTimeMs > 0) job = job.WithIterationTime(TimeInterval.FromMilliseconds(iterationTimeMs));
        if (oneCallPerIteration) job = job.WithInvocationCount(1).WithUnrollFactor(1);
        Config = ManualConfig.CreateEmpty().AddJob(job).AddDiagnoser(new MemoryDiagnoser(new MemoryDiagnoserConfig(displayGenColumns: false)));
    }

    /// <inheritdoc/>
    public IConfig Config { get; }
}
