using System.Globalization;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using LossLab.Benchmarks.Infrastructure;

namespace LossLab.Benchmarks.Columns;

/// <summary>
/// The bandwidth floor of a memory-bound case: the bytes it must move (<see cref="IBandwidthBound"/>) over the
/// machine's bandwidth (<see cref="Bandwidth"/>), in ms; or the ratio of the measured mean, or median, to that floor.
/// </summary>
public sealed class BandwidthFloorColumn : CaseColumn
{
    private readonly FloorColumnKind kind;

    private BandwidthFloorColumn(FloorColumnKind kind) => this.kind = kind;

    /// <summary>The floor in milliseconds.</summary>
    public static readonly BandwidthFloorColumn Floor = new(FloorColumnKind.Floor);

    /// <summary>The measured mean over the floor.</summary>
    public static readonly BandwidthFloorColumn MeanOverFloor = new(FloorColumnKind.Mean);

    /// <summary>The measured median over the floor.</summary>
    public static readonly BandwidthFloorColumn MedianOverFloor = new(FloorColumnKind.Median);

    /// <summary>The fastest iteration's time per call over the floor.</summary>
    public static readonly BandwidthFloorColumn MinOverFloor = new(FloorColumnKind.Min);

    /// <inheritdoc/>
    public override string Id => kind switch
    {
        FloorColumnKind.Mean => "LossLab.MeanOverFloor",
        FloorColumnKind.Median => "LossLab.MedianOverFloor",
        FloorColumnKind.Min => "LossLab.MinOverFloor",
        _ => "LossLab.BandwidthFloor",
    };
    /// <inheritdoc/>
    public override string ColumnName => kind switch
    {
        FloorColumnKind.Mean => "Mean/Floor",
        FloorColumnKind.Median => "Median/Floor",
        FloorColumnKind.Min => "Min/Floor",
        _ => "Floor",
    };
    /// <inheritdoc/>
    public override int PriorityInCategory => (int)kind;
    /// <inheritdoc/>
    public override string Legend => kind switch
    {
        FloorColumnKind.Mean => "Measured mean over the bandwidth floor (1 would be a kernel that only streams its bytes once)",
        FloorColumnKind.Median => "Measured median over the bandwidth floor (less moved than the mean by the machine's bursts of slowness)",
        FloorColumnKind.Min => "The fastest iteration over the bandwidth floor (best against best: the floor's bandwidth is the fastest of its copies)",
        _ => "Bandwidth floor: bytes that must move (read inputs, write the gradient) / the machine's copy bandwidth",
    };

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
        if (kind == FloorColumnKind.Floor) return (floor / 1e6).ToString(floor < 1e5 ? "0.0000" : "0.000", CultureInfo.InvariantCulture) + " ms";
        var time = kind switch
        {
            FloorColumnKind.Mean => MeanNs(summary, benchmarkCase),
            FloorColumnKind.Median => MedianNs(summary, benchmarkCase),
            _ => summary[benchmarkCase]?.ResultStatistics?.Min,
        };
        return time is { } t ? (t / floor).ToString("0.00", CultureInfo.InvariantCulture) : null;
    }

    private enum FloorColumnKind { Floor, Mean, Median, Min }
}
