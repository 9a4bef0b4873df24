using System.Globalization;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using LossLab.Benchmarks.Infrastructure;

namespace LossLab.Benchmarks.Columns;

/// <summary>
/// The bandwidth floor of a memory-bound case: the bytes it must move (<see cref="IBandwidthBound"/>) over the
/// machine's bandwidth (<see cref="Bandwidth"/>), in ms; or the ratio of the measured mean to that floor.
/// </summary>
public sealed class BandwidthFloorColumn(bool ratio) : CaseColumn
{
    /// <summary>The floor in milliseconds.</summary>
    public static readonly BandwidthFloorColumn Floor = new(false);

    /// <summary>The measured mean over the floor.</summary>
    public static readonly BandwidthFloorColumn MeanOverFloor = new(true);

    /// <inheritdoc/>
    public override string Id => ratio ? "LossLab.MeanOverFloor" : "LossLab.BandwidthFloor";
    /// <inheritdoc/>
    public override string ColumnName => ratio ? "Mean/Floor" : "Floor";
    /// <inheritdoc/>
    public override int PriorityInCategory => ratio ? 1 : 0;
    /// <inheritdoc/>
    public override string Legend => ratio
        ? "Measured mean over the bandwidth floor (1 would be a kernel that only streams its bytes once)"
        : "Bandwidth floor: bytes that must move (read inputs, write the gradient) / the machine's copy bandwidth";

    /// <inheritdoc/>
    protected override bool AppliesTo(Type benchmarkType) => typeof(IBandwidthBound).IsAssignableFrom(benchmarkType);

    /// <summary>The floor of a case in nanoseconds, or null.</summary>
    public static double? FloorNs(BenchmarkCase benchmarkCase)
    {
        if (!typeof(IBandwidthBound).IsAssignableFrom(benchmarkCase.Descriptor.Type)) return null;
        using var c = new CaseInstance(benchmarkCase, setUp: false);
        return ((IBandwidthBound)c.Instance).BytesMoved is { } bytes ? bytes / Bandwidth.BytesPerSecond * 1e9 : null;
    }

    /// <inheritdoc/>
    protected override string? Value(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (FloorNs(benchmarkCase) is not { } floor) return null;
        if (!ratio) return (floor / 1e6).ToString(floor < 1e5 ? "0.0000" : "0.000", CultureInfo.InvariantCulture) + " ms";
        return MeanNs(summary, benchmarkCase) is { } mean ? (mean / floor).ToString("0.0", CultureInfo.InvariantCulture) : null;
    }
}
