using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using LossLab.Runtime;

namespace LossLab.Benchmarks.Infrastructure;

/// <summary>
/// Peak native memory measured in a fresh process, one per benchmark class: the child (<see cref="Mode"/>) sets glibc's
/// mmap and trim thresholds to 64 KiB before anything is allocated and measures each asked case with
/// <see cref="PeakNativeMemory.Measure"/>.
/// </summary>
/// <remarks>
/// Why a child: after the timings (which run with the 1 GiB thresholds of <see cref="NativeAllocator.Configure"/>), the
/// heap holds large free blocks; glibc serves new requests from them before it considers mmap, and a block freed
/// during the measured call stays resident while the next request of another size takes fresh pages. Measured in the
/// benchmark process, the fused linear cross-entropy at N = 4096 came out at 257 MiB; measured here, 143 MiB, which is
/// what it holds (the weight's gradient, the hidden states' gradient and one block of logits).
/// </remarks>
public static class PeakChild
{
    /// <summary>The command-line mode of the child: <c>--peak-child TYPE KEY...</c>.</summary>
    public const string Mode = "--peak-child";

    private const long ThresholdBytes = 64 << 10;

    private static readonly ConcurrentDictionary<string, long?> Peaks = new();
    private static readonly object Gate = new();

    /// <summary>The key of a case (class, method and parameters, not the job: the parent may run under other job
    /// options than the child's default configuration), the same in both processes.</summary>
    public static string Key(BenchmarkCase c) => $"{c.Descriptor.Type.Name}.{c.Descriptor.WorkloadMethod.Name}({c.Parameters.FolderInfo})";

    /// <summary>The peak native bytes of <paramref name="c"/>, measuring it together with <paramref name="siblings"/>
    /// (cases of the same class) in one child process the first time one of them is asked for; null where it cannot be
    /// measured (unsupported platform, or the child failed: the reason goes to standard error).</summary>
    public static long? Peak(BenchmarkCase c, IEnumerable<BenchmarkCase> siblings)
    {
        if (!PeakNativeMemory.IsSupported) return null;
        lock (Gate)
        {
            if (Peaks.TryGetValue(Key(c), out var known)) return known;
            var cases = siblings.Where(s => s.Descriptor.Type == c.Descriptor.Type).Append(c).Select(Key).Distinct().Where(k => !Peaks.ContainsKey(k)).ToList();
            foreach (var (key, bytes) in Run(c.Descriptor.Type, cases)) Peaks[key] = bytes;
            foreach (var key in cases) Peaks.TryAdd(key, null);
            return Peaks[Key(c)];
        }
    }

    private static Dictionary<string, long?> Run(Type type, IReadOnlyList<string> keys)
    {
        var result = new Dictionary<string, long?>();
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(Program).Assembly.Location);
        start.ArgumentList.Add(Mode);
        start.ArgumentList.Add(type.FullName!);
        foreach (var key in keys) start.ArgumentList.Add(key);
        start.Environment[Program.AllocatorVariable] = "default";   // the child sets its own thresholds, first thing
        try
        {
            using var child = Process.Start(start) ?? throw new InvalidOperationException("cannot start the process");
            string? line;
            while ((line = child.StandardOutput.ReadLine()) is not null)
            {
                var f = line.Split('\t');
                if (f.Length == 3 && f[0] == "peak")
                    result[f[1]] = long.TryParse(f[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out long b) ? b : null;
            }
            child.WaitForExit();
            if (child.ExitCode != 0) Console.Error.WriteLine($"peak-memory child for {type.Name} exited with code {child.ExitCode}");
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"peak-memory child for {type.Name}: {e.Message}");
        }
        return result;
    }

    /// <summary>The child: measures the asked cases of one class (all of them when none is named) and prints
    /// <c>peak KEY BYTES</c> lines (<c>-</c> for a case that failed).</summary>
    public static int Child(string[] args)
    {
        if (args.Length < 1) return 2;
        if (!NativeAllocator.Configure(ThresholdBytes, ThresholdBytes, arenaMax: 0)) return 3;
        var type = typeof(Program).Assembly.GetType(args[0]);
        if (type is null) return 4;
        var wanted = args.Skip(1).ToHashSet(StringComparer.Ordinal);
        var done = new HashSet<string>(StringComparer.Ordinal);
        int failures = 0;
        foreach (var c in BenchmarkConverter.TypeToBenchmarks(type, BenchmarkConfig.Create()).BenchmarksCases)
        {
            if ((wanted.Count > 0 && !wanted.Contains(Key(c))) || !done.Add(Key(c))) continue;
            string value;
            try
            {
                using var instance = new CaseInstance(c, setUp: true);
                value = PeakNativeMemory.Measure(instance.Invoke) is { } b ? b.ToString(CultureInfo.InvariantCulture) : "-";
            }
            catch (Exception e)
            {
                failures++;
                value = "-";
                Console.Error.WriteLine($"{Key(c)}: {(e.InnerException ?? e).Message}");
            }
            Console.WriteLine($"peak\t{Key(c)}\t{value}");
        }
        return failures == 0 ? 0 : 1;
    }
}
