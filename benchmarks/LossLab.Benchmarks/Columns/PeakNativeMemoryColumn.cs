using System.Collections.Concurrent;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using LossLab.Benchmarks.Infrastructure;

namespace LossLab.Benchmarks.Columns;

/// <summary>
/// The peak native memory one call of a case adds, measured in a separate one-shot run after the timings
/// (<see cref="PeakNativeMemory"/>): a fresh instance of the benchmark class, its global setup, one warm-up call and one
/// measured call. Computed once per case and cached (several exporters ask).
/// </summary>
public sealed class PeakNativeMemoryColumn : CaseColumn
{
    private readonly ConcurrentDictionary<string, string?> cache = new();

    /// <summary>The column.</summary>
    public static readonly PeakNativeMemoryColumn Instance = new();

    /// <inheritdoc/>
    public override string Id => "LossLab.PeakNative";
    /// <inheritdoc/>
    public override string ColumnName => "Peak native";
    /// <inheritdoc/>
    public override int PriorityInCategory => 3;
    /// <inheritdoc/>
    public override string Legend => "Peak resident memory added by one call (VmHWM - VmRSS, libtorch's tensors included; one-shot run, 64 KiB mmap threshold)";

    /// <inheritdoc/>
    protected override bool AppliesTo(Type benchmarkType) => PeakNativeMemory.IsSupported;

    /// <inheritdoc/>
    protected override string? Value(Summary summary, BenchmarkCase benchmarkCase) =>
        summary[benchmarkCase]?.ResultStatistics is null ? null
            : cache.GetOrAdd(benchmarkCase.FolderInfo + "/" + benchmarkCase.Job.Id, _ => PeakNativeMemory.Format(Measure(benchmarkCase)));

    /// <summary>Measures one case (a fresh instance, setup, warm-up call, measured call, cleanup).</summary>
    public static long? Measure(BenchmarkCase benchmarkCase)
    {
        using var c = new CaseInstance(benchmarkCase, setUp: true);
        return PeakNativeMemory.Measure(c.Invoke);
    }
}
