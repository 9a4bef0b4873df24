using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using LossLab.Benchmarks.Infrastructure;

namespace LossLab.Benchmarks.Columns;

/// <summary>
/// The peak native memory one call of a case adds (<see cref="PeakNativeMemory"/>), measured after the timings in a
/// fresh process per benchmark class (<see cref="PeakChild"/>): for each case a new instance of the class, its global
/// setup, one warm-up call and one measured call. <see cref="PeakChild"/> keeps each case's result (several exporters ask).
/// </summary>
public sealed class PeakNativeMemoryColumn : CaseColumn
{
    /// <summary>The column.</summary>
    public static readonly PeakNativeMemoryColumn Instance = new();

    /// <inheritdoc/>
    public override string Id => "LossLab.PeakNative";
    /// <inheritdoc/>
    public override string ColumnName => "Peak native";
    /// <inheritdoc/>
    public override int PriorityInCategory => 3;
    /// <inheritdoc/>
    public override string Legend => "Peak resident memory added by one call (VmHWM - VmRSS, libtorch's tensors included; one-shot run in a fresh process, 64 KiB mmap threshold)";

    /// <inheritdoc/>
    protected override bool AppliesTo(Type benchmarkType) => PeakNativeMemory.IsSupported;

    /// <inheritdoc/>
    protected override string? Value(Summary summary, BenchmarkCase benchmarkCase) =>
        summary[benchmarkCase]?.ResultStatistics is null ? null
            : PeakNativeMemory.Format(PeakChild.Peak(benchmarkCase, summary.BenchmarksCases.Where(c => summary[c]?.ResultStatistics is not null)));
}
