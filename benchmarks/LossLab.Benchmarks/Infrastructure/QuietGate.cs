using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Numerics.Tensors;

namespace LossLab.Benchmarks.Infrastructure;

/// <summary>
/// Waits, before a benchmark case, until the machine runs a fixed probe about as fast as the fastest this process has
/// seen it run: the project's machine is a 2-core virtual machine shared with others, whose kernels run 1.5 to 3 times
/// slower for seconds to minutes at a time while the neighbours work.
/// </summary>
/// <remarks>
/// The probe is one pass of exponentials over a 4 KiB buffer on every core (compute) and a parallel copy of 32 MiB
/// (memory); a check is the fastest of three probes. The gate opens when a check is within
/// <see cref="Tolerance"/> of the best check so far (the first calls calibrate it), and gives up after
/// <see cref="MaxWait"/> (<c>LOSSLAB_QUIET_WAIT_S</c> seconds, 30 by default; 0 switches the gate off). It changes
/// nothing that is measured: the case's iterations start after it, and every iteration counts. What it waited is
/// reported (<see cref="Summary"/>).
/// </remarks>
public static class QuietGate
{
    /// <summary>How much slower than the best a check may be for the gate to open.</summary>
    public const double Tolerance = 1.15;

    private const int CopyBytes = 32 << 20;
    private const int ExpLength = 1024;
    private const int ExpPasses = 2000;

    private static readonly object Gate = new();
    private static double best = double.PositiveInfinity;
    private static int cases;
    private static int timedOut;
    private static double waitedSeconds;
    private static (nint Source, nint Destination) buffers;

    /// <summary>The longest wait before a case.</summary>
    public static TimeSpan MaxWait { get; } = TimeSpan.FromSeconds(
        double.TryParse(Environment.GetEnvironmentVariable("LOSSLAB_QUIET_WAIT_S"), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= 0 ? s : 30);

    /// <summary>Whether <see cref="Wait"/> waits: set by the modes that run BenchmarkDotNet (not by the quick check
    /// or the peak-memory child, which run the same setups).</summary>
    public static bool Enabled { get; set; }

    /// <summary>Waits until the machine is quiet (or <see cref="MaxWait"/> has passed); returns the seconds waited.</summary>
    public static double Wait()
    {
        if (!Enabled || MaxWait == TimeSpan.Zero) return 0;
        lock (Gate)
        {
            var clock = Stopwatch.StartNew();
            if (double.IsPositiveInfinity(best))
                for (int i = 0; i < 10; i++) best = Math.Min(best, Check());   // calibrate
            bool open;
            while (!(open = Check() <= Tolerance * best) && clock.Elapsed < MaxWait) Thread.Sleep(250);
            cases++;
            if (!open) timedOut++;
            waitedSeconds += clock.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// quiet gate: {(open ? "open" : "gave up")} after {clock.Elapsed.TotalSeconds:0.0} s (best probe {best * 1e3:0.00} ms)"));
            return clock.Elapsed.TotalSeconds;
        }
    }

    /// <summary>What the gate did in this process, for the report; null when it never ran.</summary>
    public static string? Summary => cases == 0 ? null : string.Create(CultureInfo.InvariantCulture,
        $"before each of the {cases} cross-entropy and classification cases of a million logits or more, the run waited until a probe (exponentials on every core and a parallel 32 MiB copy) ran within {(Tolerance - 1) * 100:0}% of its best time: {waitedSeconds:0} s in all, {timedOut} case(s) started after the {MaxWait.TotalSeconds:0} s limit without it");

    /// <summary>The fastest of three probes, in seconds (and the best so far updated).</summary>
    private static double Check()
    {
        double t = double.PositiveInfinity;
        for (int i = 0; i < 3; i++) t = Math.Min(t, Probe());
        best = Math.Min(best, t);
        return t;
    }

    /// <summary>The probe's copy buffers, made and faulted in once per process (under <see cref="Gate"/>).</summary>
    private static unsafe (nint Source, nint Destination) Buffers()
    {
        if (buffers.Source == 0)
        {
            byte* src = (byte*)NativeMemory.AlignedAlloc(CopyBytes, 64);
            byte* dst = (byte*)NativeMemory.AlignedAlloc(CopyBytes, 64);
            new Span<byte>(src, CopyBytes).Fill(1);
            new Span<byte>(dst, CopyBytes).Clear();
            buffers = ((nint)src, (nint)dst);
        }
        return buffers;
    }

    private static unsafe double Probe()
    {
        int threads = Math.Max(1, Environment.ProcessorCount);
        var (src, dst) = Buffers();
        long part = CopyBytes / threads;
        var clock = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, k =>
        {
            var x = new float[ExpLength];
            var y = new float[ExpLength];
            for (int j = 0; j < ExpLength; j++) x[j] = -j / (float)ExpLength;
            for (int p = 0; p < ExpPasses; p++) TensorPrimitives.Exp(x, y);
            Buffer.MemoryCopy((byte*)src + k * part, (byte*)dst + k * part, part, part);
        });
        return clock.Elapsed.TotalSeconds;
    }
}
