using System.Diagnostics;
using BenchmarkDotNet.Running;

namespace LossLab.Benchmarks;

/// <summary>
/// Benchmarks of LossLab's metrics and fused losses. <c>dotnet run -c Release --project benchmarks/LossLab.Benchmarks -- --filter '*Metric*'</c>
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
            var ce = new CrossEntropyBenchmarks { N = 4096, C = 1000 };
            ce.Setup();
            foreach (var (name, f) in new (string, Func<double>)[] { ("CE libtorch 4096x1000", ce.Libtorch), ("CE fused 4096x1000", ce.Fused) })
            {
                for (int i = 0; i < 3; i++) f();
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < 20; i++) f();
                Console.WriteLine($"{name}: {sw.Elapsed.TotalMilliseconds / 20:0.00} ms (bandwidth floor at 22 GB/s: {2.0 * 4096 * 1000 * 4 / 22e9 * 1e3:0.00} ms)");
            }
            ce.Cleanup();
            return 0;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
