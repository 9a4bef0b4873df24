using BenchmarkDotNet.Running;
using LossLab.Benchmarks.Infrastructure;
using LossLab.Runtime;

namespace LossLab.Benchmarks;

/// <summary>
/// LossLab's benchmarks. <c>./benchmarks/run</c> (<c>-- --report</c>) runs the whole suite and rewrites
/// docs/benchmarks.md; <c>-- --quick</c> is a smoke check (each case a few stopwatch repetitions, under a minute);
/// <c>-- --allocator</c> compares the default and the configured native allocator in separate processes; anything else
/// goes to BenchmarkDotNet (e.g. <c>-- --filter '*CrossEntropy*'</c>, <c>--job Dry</c>).
/// </summary>
public static class Program
{
    /// <summary>The environment variable that switches the allocator setting off (value <c>default</c>), as in the CLI.</summary>
    public const string AllocatorVariable = "LOSSLAB_ALLOCATOR";

    public static int Main(string[] args)
    {
        // As the CLI does at start-up (src/LossLab.Cli/NativeSetup.cs); first, before any thread allocates.
        bool configured = Environment.GetEnvironmentVariable(AllocatorVariable) != "default" && NativeAllocator.Configure();
        string mode = args.Length > 0 ? args[0] : "";
        switch (mode)
        {
            case "--quick":
                return QuickCheck.Run(configured);
            case "--report":
                QuietGate.Enabled = true;
                return Report.Run(args[1..], configured);
            case "--allocator":
                Console.WriteLine(AllocatorComparison.Run(AllocatorComparison.DefaultRepetitions).ToMarkdown());
                return 0;
            case AllocatorComparison.ChildMode:
                return AllocatorComparison.Child(args[1..]);
            case PeakChild.Mode:
                return PeakChild.Child(args[1..]);
            default:
                QuietGate.Enabled = true;
                Console.WriteLine($"native allocator: {(configured ? "configured (LossLab.Runtime.NativeAllocator.Configure)" : "glibc defaults")}");
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchmarkConfig.Create());
                return 0;
        }
    }
}
