using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using LossLab.Benchmarks.Columns;
using LossLab.Benchmarks.Infrastructure;

namespace LossLab.Benchmarks;

/// <summary>
/// The smoke mode (<c>--quick</c>): every benchmark case but the largest, outside BenchmarkDotNet's engine, with a
/// stopwatch (one warm-up call, then a few timed ones), its bandwidth floor and its peak native memory; plus the
/// bandwidth measurement and the check of the peak-memory method. Proves that everything runs; its times are not
/// measurements.
/// </summary>
public static class QuickCheck
{
    private const int Repetitions = 3;

    /// <summary>Runs it; returns the exit code.</summary>
    public static int Run(bool allocatorConfigured)
    {
        var total = Stopwatch.StartNew();
        Console.WriteLine($"native allocator: {(allocatorConfigured ? "configured" : "glibc defaults")}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bandwidth: {Bandwidth.BytesPerSecond / 1e9:0.0} GB/s ({Bandwidth.Source})"));
        Console.WriteLine($"peak-memory method on a 256 MiB tensor of ones: {PeakNativeMemory.Format(PeakNativeMemory.Validate())}");
        var config = BenchmarkConfig.Create();
        int failures = 0;
        foreach (var type in Report.BenchmarkTypes())
        {
            if (type == typeof(LargeCrossEntropyBenchmarks)) continue;   // 1 GB tensors: the full run only
            var cases = BenchmarkConverter.TypeToBenchmarks(type, config).BenchmarksCases.Where(c => !IsLarge(c)).ToList();
            foreach (var c in cases)
            {
                try
                {
                    Console.WriteLine(Line(c, cases));
                }
                catch (Exception e)
                {
                    failures++;
                    Console.WriteLine($"{Name(c)}: FAILED {(e.InnerException ?? e).Message}");
                }
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"quick check: {total.Elapsed.TotalSeconds:0} s, {failures} failure(s)"));
        return failures == 0 ? 0 : 1;
    }

    private static bool IsLarge(BenchmarkCase c) =>
        c.Parameters.Items.Any(p => p.Name == "N" && p.Value is int n && n > 1024);

    private static string Name(BenchmarkCase c) => $"{c.Descriptor.Type.Name}.{c.Descriptor.WorkloadMethod.Name}({c.Parameters.DisplayInfo})";

    private static string Line(BenchmarkCase c, IReadOnlyList<BenchmarkCase> siblings)
    {
        bool metric = c.Descriptor.Type == typeof(MetricBenchmarks);
        using var instance = new CaseInstance(c, setUp: true);
        var warm = Stopwatch.StartNew();
        instance.Invoke();
        int reps = warm.Elapsed.TotalMilliseconds < 100 ? Repetitions : 1;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++) instance.Invoke();
        double ms = clock.Elapsed.TotalMilliseconds / reps;
        string floor = BandwidthFloorColumn.FloorNs(c) is { } f ? string.Create(CultureInfo.InvariantCulture, $", floor {f / 1e6:0.000} ms ({ms / (f / 1e6):0.0}x)") : "";
        string peak = metric ? "" : $", peak native {PeakNativeMemory.Format(PeakChild.Peak(c, siblings.Where(s => s.Descriptor.Type != typeof(MetricBenchmarks))))}";
        return string.Create(CultureInfo.InvariantCulture, $"{Name(c)}: {ms:0.000} ms{floor}{peak}");
    }
}
