using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using LossLab.Benchmarks.Infrastructure;

namespace LossLab.Benchmarks;

/// <summary>
/// The report mode (<c>--report [--out FILE] [BenchmarkDotNet options]</c>, what <c>./benchmarks/run</c> runs): measures
/// the bandwidth, checks the peak-memory method, compares the allocator settings, runs every benchmark class under
/// BenchmarkDotNet, and writes docs/benchmarks.md from <c>ReportTemplate.md</c> (the prose) and the measurements,
/// atomically (a temporary file, then a rename).
/// </summary>
public static class Report
{
    /// <summary>The benchmark classes, in the report's order.</summary>
    public static IReadOnlyList<Type> BenchmarkTypes() =>
    [
        typeof(CrossEntropyBenchmarks), typeof(LargeCrossEntropyBenchmarks), typeof(ClassificationLossBenchmarks),
        typeof(PairwiseLossBenchmarks), typeof(LargeVocabularyBenchmarks), typeof(TrainingStepBenchmarks), typeof(MetricBenchmarks),
    ];

    /// <summary>Runs it; returns the exit code.</summary>
    public static int Run(string[] args, bool allocatorConfigured)
    {
        string? outPath = null;
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--out" && i + 1 < args.Length) outPath = args[++i];
            else rest.Add(args[i]);
        }
        string root = RepositoryRoot();
        outPath ??= Path.Combine(root, "docs", "benchmarks.md");

        var values = new Dictionary<string, string>();
        string loadBefore = LoadAverage();
        var started = DateTime.UtcNow;
        double bandwidth = Bandwidth.BytesPerSecond;
        long? validation = PeakNativeMemory.Validate();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bandwidth {bandwidth / 1e9:0.0} GB/s; peak-memory check on 256 MiB: {PeakNativeMemory.Format(validation)}"));
        values["allocator"] = AllocatorComparison.Run(AllocatorComparison.DefaultRepetitions).ToMarkdown();
        Console.WriteLine(values["allocator"]);

        var types = BenchmarkTypes().ToArray();
        var summaries = BenchmarkRunner.Run(types, BenchmarkConfig.Create(), rest.ToArray());

        // the same copy again after the run, before the tables are made: a machine shared with others changes speed for
        // minutes at a time, and the floors take the faster of the two measurements
        double bandwidthAfter = Bandwidth.CopyBytesPerSecond(passes: 8);
        Bandwidth.Observe(bandwidthAfter);
        string? environment = null;
        foreach (var summary in summaries)
        {
            var (env, table) = Export(summary);
            environment ??= env;
            foreach (var type in summary.BenchmarksCases.Select(c => c.Descriptor.Type).Distinct())
                values[type.Name] = table;
        }

        var machine = new StringBuilder();
        machine.AppendLine(CultureInfo.InvariantCulture, $"Measured {started:yyyy-MM-dd HH:mm} UTC at commit {Commit(root)}; load average (1, 5, 15 min) {loadBefore} before the run and {LoadAverage()} after it ({Environment.ProcessorCount} cores).");
        machine.AppendLine();
        machine.AppendLine(Bandwidth.Stated
            ? string.Create(CultureInfo.InvariantCulture, $"- Memory bandwidth: {Bandwidth.BytesPerSecond / 1e9:0.0} GB/s (read + write), {Bandwidth.Source}; the floors use it. A parallel copy after the run: {bandwidthAfter / 1e9:0.0} GB/s.")
            : string.Create(CultureInfo.InvariantCulture, $"- Memory bandwidth: {Bandwidth.BytesPerSecond / 1e9:0.0} GB/s (read + write), which the floors use: the faster of {bandwidth / 1e9:0.0} GB/s, {Bandwidth.Source}, and {bandwidthAfter / 1e9:0.0} GB/s, the same copy after the run."));
        if (QuietGate.Summary is { } gate) machine.AppendLine($"- Quiet gate: {gate}.");
        machine.AppendLine($"- Native allocator during the benchmarks: {(allocatorConfigured ? "configured with `NativeAllocator.Configure()` (see below)" : "glibc's defaults (LOSSLAB_ALLOCATOR=default)")}.");
        machine.AppendLine($"- Peak-memory method checked on a 256 MiB float32 tensor of ones: measured {PeakNativeMemory.Format(validation)}.");
        machine.AppendLine();
        machine.AppendLine("```");
        machine.Append(environment ?? "(no BenchmarkDotNet summary)\n");
        machine.AppendLine("```");
        values["machine"] = machine.ToString();

        string text = Fill(Template(), values);
        string tmp = outPath + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, outPath, overwrite: true);
        Console.WriteLine($"wrote {outPath}");
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>Replaces every <c>{{name}}</c> of the template; a name without a value becomes a "not measured" note.</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> values)
    {
        var s = new StringBuilder();
        int at = 0;
        while (true)
        {
            int open = template.IndexOf("{{", at, StringComparison.Ordinal);
            if (open < 0) break;
            int close = template.IndexOf("}}", open, StringComparison.Ordinal);
            s.Append(template, at, open - at);
            string key = template[(open + 2)..close];
            s.Append(values.TryGetValue(key, out var v) ? v.TrimEnd('\n') : "_Not measured in this run._");
            at = close + 2;
        }
        s.Append(template, at, template.Length - at);
        return s.ToString();
    }

    /// <summary>BenchmarkDotNet's GitHub markdown of a summary, split into the environment block and the job line plus table.</summary>
    private static (string Environment, string Table) Export(Summary summary)
    {
        var logger = new AccumulationLogger();
        MarkdownExporter.GitHub.ExportToLog(summary, logger);
        var lines = logger.GetLog().Replace("\r", "", StringComparison.Ordinal).Split('\n');
        // The export: a ``` block (environment lines, a blank line, the job line), then the table.
        int end = Array.FindIndex(lines, 1, l => l.StartsWith("```", StringComparison.Ordinal));
        var block = lines[1..end];
        while (block.Length > 0 && string.IsNullOrWhiteSpace(block[^1])) block = block[..^1];
        int blank = Array.FindLastIndex(block, string.IsNullOrWhiteSpace);
        string env = string.Join('\n', block[..Math.Max(0, blank)]).Trim('\n') + "\n";
        string job = string.Join(' ', block[(blank + 1)..].Select(l => l.Trim()).Where(l => l.Length > 0));
        string table = string.Join('\n', lines[(end + 1)..]).Trim('\n');
        return (env, $"`{job}`\n\n{table}\n");
    }

    private static string Template()
    {
        using var stream = typeof(Report).Assembly.GetManifestResourceStream("LossLab.Benchmarks.ReportTemplate.md")
            ?? throw new InvalidOperationException("ReportTemplate.md is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "LossLab.slnx"))) return d.FullName;
        return Environment.CurrentDirectory;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string Commit(string root)
    {
        try
        {
            string Git(string args)
            {
                var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = root };
                foreach (var a in args.Split(' ')) start.ArgumentList.Add(a);
                using var p = Process.Start(start)!;
                string output = p.StandardOutput.ReadToEnd().Trim();
                p.WaitForExit();
                return p.ExitCode == 0 ? output : throw new InvalidOperationException(output);
            }
            string commit = Git("rev-parse --short HEAD");
            return Git("status --porcelain --untracked-files=no").Length > 0 ? commit + " (with uncommitted changes)" : commit;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
