using System.Diagnostics;
using BenchmarkDotNet.Running;

namespace LossLab.Benchmarks;

/// <summary>
/// Benchmarks of LossLab's metrics. <c>dotnet run -c Release --project benchmarks/LossLab.Benchmarks -- --filter '*Metric*'</c>
/// runs them under BenchmarkDotNet; <c>-- --quick</c> times each once with a stopwatch (a smoke check, not a measurement).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--quick")
        {
            var b = new MetricBenchmarks();
            b.Setup();
            foreach (var (name, f) in new (string, Func<double>)[] { ("Ece", b.Ece), ("AdaEce", b.AdaEce), ("Auroc", b.Auroc) })
            {
                f();
                var sw = Stopwatch.StartNew();
                double v = f();
                Console.WriteLine($"{name}: {sw.Elapsed.TotalMilliseconds:0} ms (value {v:R})");
            }
            b.Cleanup();
            return 0;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
