using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using LossLab.Benchmarks.Columns;

namespace LossLab.Benchmarks.Infrastructure;

/// <summary>The BenchmarkDotNet configuration of every run: the default one plus LossLab's columns.</summary>
public static class BenchmarkConfig
{
    /// <summary>Default config plus the median, and the bandwidth-floor, peak-native-memory and images-per-second columns
    /// (the default exporters include GitHub markdown).</summary>
    public static IConfig Create() => DefaultConfig.Instance
        .AddColumn(StatisticColumn.Median, StatisticColumn.Min)
        .AddColumn(BandwidthFloorColumn.Floor, BandwidthFloorColumn.MeanOverFloor, BandwidthFloorColumn.MedianOverFloor, BandwidthFloorColumn.MinOverFloor, PeakNativeMemoryColumn.Instance, ImagesPerSecondColumn.Instance, StepShareColumn.Instance)
        .WithOptions(ConfigOptions.DisableLogFile);
}
