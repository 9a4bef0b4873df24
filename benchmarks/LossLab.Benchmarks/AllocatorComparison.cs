using System.Diagnostics;
using System.Globalization;
using System.Text;
using LossLab.Benchmarks.Infrastructure;
using LossLab.Runtime;

namespace LossLab.Benchmarks;

/// <summary>
/// The native allocator's setting measured: the same cases timed in child processes with glibc's default allocator
/// settings and with <see cref="NativeAllocator.Configure"/> (mallopt settings are process-wide and cannot be undone, so
/// each setting gets processes of its own). Two rounds, alternating default and configured, pooled. Each child also
/// reports its peak resident memory (VmHWM), the price of keeping freed memory.
/// </summary>
public static class AllocatorComparison
{
    /// <summary>The command-line mode of a child process.</summary>
    public const string ChildMode = "--allocator-child";

    /// <summary>Timed calls per case and child.</summary>
    public const int DefaultRepetitions = 10;

    private const int Rounds = 2;

    /// <summary>The cases (name, a factory of the timed call).</summary>
    private static readonly (string Name, Func<(Action Call, Action Cleanup)> Make)[] Cases =
    [
        ("cross_entropy 8192x4096, composite", () => CrossEntropy("8192x4096", fused: false)),
        ("cross_entropy 8192x4096, fused", () => CrossEntropy("8192x4096", fused: true)),
        ("cross_entropy 4096x1000, composite", () => CrossEntropy("4096x1000", fused: false)),
        ("small_cnn SGD step, batch 128, cross_entropy", () =>
        {
            var b = new TrainingStepBenchmarks { Loss = "cross_entropy" };
            b.Setup();
            return (() => b.Step(), b.Cleanup);
        }),
    ];

    private static (Action, Action) CrossEntropy(string size, bool fused)
    {
        var b = new LargeCrossEntropyBenchmarks { Size = size };
        b.Setup();
        return (fused ? () => b.LossLab() : () => b.Composite(), b.Cleanup);
    }

    /// <summary>One row of the comparison: the times (ms) of every call under each setting, the children's peak RSS.</summary>
    public sealed record Row(string Case, List<double> DefaultMs, List<double> ConfiguredMs);

    /// <summary>The comparison's result.</summary>
    public sealed record Table(IReadOnlyList<Row> Rows, long DefaultPeakRss, long ConfiguredPeakRss, int Repetitions)
    {
        /// <summary>A markdown table.</summary>
        public string ToMarkdown()
        {
            var s = new StringBuilder();
            s.AppendLine("| Case | glibc defaults | Configured | Speed-up |");
            s.AppendLine("|------|---------------:|-----------:|---------:|");
            foreach (var r in Rows)
                s.AppendLine(CultureInfo.InvariantCulture, $"| {r.Case} | {Format(r.DefaultMs)} | {Format(r.ConfiguredMs)} | {r.DefaultMs.Average() / r.ConfiguredMs.Average():0.00}x |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| Peak resident memory of a child (all cases) | {PeakNativeMemory.Format(DefaultPeakRss)} | {PeakNativeMemory.Format(ConfiguredPeakRss)} | |");
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture, $"Mean ± standard deviation of {Repetitions * Rounds} calls per cell ({Rounds} child processes per setting, alternating, {Repetitions} timed calls each after 2 warm-up calls).");
            return s.ToString();
        }

        private static string Format(List<double> ms)
        {
            double mean = ms.Average();
            double sd = Math.Sqrt(ms.Sum(x => (x - mean) * (x - mean)) / Math.Max(1, ms.Count - 1));
            return string.Create(CultureInfo.InvariantCulture, $"{mean:0.00} ± {sd:0.00} ms");
        }
    }

    /// <summary>Runs the children (default, configured, default, configured) and pools their times.</summary>
    public static Table Run(int repetitions)
    {
        var rows = Cases.Select(c => new Row(c.Name, [], [])).ToList();
        long peakDefault = 0, peakConfigured = 0;
        for (int round = 0; round < Rounds; round++)
            foreach (bool configured in new[] { false, true })
            {
                var (times, peak) = RunChild(configured, repetitions);
                for (int i = 0; i < rows.Count; i++) (configured ? rows[i].ConfiguredMs : rows[i].DefaultMs).AddRange(times[i]);
                if (configured) peakConfigured = Math.Max(peakConfigured, peak); else peakDefault = Math.Max(peakDefault, peak);
            }
        return new Table(rows, peakDefault, peakConfigured, repetitions);
    }

    private static (List<double>[] Times, long PeakRss) RunChild(bool configured, int repetitions)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(Program).Assembly.Location);
        start.ArgumentList.Add(ChildMode);
        start.ArgumentList.Add(repetitions.ToString(CultureInfo.InvariantCulture));
        start.Environment[Program.AllocatorVariable] = configured ? "configured" : "default";
        using var child = Process.Start(start) ?? throw new InvalidOperationException("cannot start the allocator child process");
        var times = Cases.Select(_ => new List<double>()).ToArray();
        long peak = 0;
        string? line;
        while ((line = child.StandardOutput.ReadLine()) is not null)
        {
            var f = line.Split('\t');
            if (f[0] == "time") times[int.Parse(f[1], CultureInfo.InvariantCulture)].Add(double.Parse(f[2], CultureInfo.InvariantCulture));
            else if (f[0] == "peak") peak = long.Parse(f[1], CultureInfo.InvariantCulture);
        }
        child.WaitForExit();
        if (child.ExitCode != 0 || times.Any(t => t.Count != repetitions))
            throw new InvalidOperationException($"the allocator child ({(configured ? "configured" : "default")}) failed with exit code {child.ExitCode}");
        return (times, peak);
    }

    /// <summary>The child: times every case (2 warm-up calls, then the timed ones) and prints the times and its VmHWM.</summary>
    public static int Child(string[] args)
    {
        int repetitions = int.Parse(args[0], CultureInfo.InvariantCulture);
        bool wantConfigured = Environment.GetEnvironmentVariable(Program.AllocatorVariable) != "default";
        if (wantConfigured != (NativeAllocator.Current is not null))
        {
            Console.Error.WriteLine("the allocator child could not apply its setting");
            return 1;
        }
        for (int i = 0; i < Cases.Length; i++)
        {
            var (call, cleanup) = Cases[i].Make();
            call();
            call();
            for (int r = 0; r < repetitions; r++)
            {
                var clock = Stopwatch.StartNew();
                call();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"time\t{i}\t{clock.Elapsed.TotalMilliseconds:R}"));
            }
            cleanup();
            if (Environment.GetEnvironmentVariable("LOSSLAB_ALLOCATOR_TRACE") == "1")
                Console.Error.WriteLine($"after case {i}: VmHWM {PeakNativeMemory.StatusBytes("VmHWM") >> 20} MiB, VmRSS {PeakNativeMemory.StatusBytes("VmRSS") >> 20} MiB");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak\t{(OperatingSystem.IsLinux() ? PeakNativeMemory.StatusBytes("VmHWM") : 0)}"));
        return 0;
    }
}
