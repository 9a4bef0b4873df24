using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace LossLab.Benchmarks.Infrastructure;

/// <summary>
/// The machine's main-memory bandwidth, for the bandwidth-floor column: measured at start-up with a large parallel
/// copy (bytes read plus bytes written per second, best of several passes), raised by any faster measurement recorded
/// later with <see cref="Observe"/> (the floor is then the harder one), or stated with LOSSLAB_BANDWIDTH_GBS.
/// </summary>
public static class Bandwidth
{
    private const long BufferBytes = 256L << 20;   // far beyond any cache
    private static readonly Lazy<(double BytesPerSecond, string Source, bool Stated)> Value = new(Measure);

    private static double observed;

    /// <summary>Bytes per second (read + written): the fastest of the start-up measurement and the observed ones.</summary>
    public static double BytesPerSecond => Stated ? Value.Value.BytesPerSecond : Math.Max(Value.Value.BytesPerSecond, observed);

    /// <summary>Whether the bandwidth was stated (LOSSLAB_BANDWIDTH_GBS) rather than measured.</summary>
    public static bool Stated => Value.Value.Stated;

    /// <summary>Records a later measurement: a shared machine that was slow at start-up must not make the floors
    /// easier. Ignored when the bandwidth is stated.</summary>
    public static void Observe(double bytesPerSecond) => observed = Math.Max(observed, bytesPerSecond);

    /// <summary>How the value was obtained, for the report.</summary>
    public static string Source => Value.Value.Source;

    private static (double, string, bool) Measure()
    {
        var stated = Environment.GetEnvironmentVariable("LOSSLAB_BANDWIDTH_GBS");
        if (double.TryParse(stated, NumberStyles.Float, CultureInfo.InvariantCulture, out double gbs) && gbs > 0)
            return (gbs * 1e9, $"stated by LOSSLAB_BANDWIDTH_GBS={stated}", true);
        double best = CopyBytesPerSecond(passes: 8);
        return (best, $"measured at start-up: best of 8 parallel {BufferBytes >> 20} MiB copies on {Environment.ProcessorCount} threads", false);
    }

    /// <summary>Copies a 256 MiB buffer into another, split over all cores, <paramref name="passes"/> times; the best rate.</summary>
    public static unsafe double CopyBytesPerSecond(int passes)
    {
        byte* src = (byte*)NativeMemory.AlignedAlloc((nuint)BufferBytes, 64);
        byte* dst = (byte*)NativeMemory.AlignedAlloc((nuint)BufferBytes, 64);
        try
        {
            new Span<byte>(src, (int)BufferBytes).Fill(1);   // fault every page in before timing
            new Span<byte>(dst, (int)BufferBytes).Clear();
            int threads = Math.Max(1, Environment.ProcessorCount);
            long part = BufferBytes / threads;
            double best = 0;
            for (int pass = 0; pass < passes; pass++)
            {
                var clock = Stopwatch.StartNew();
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                    Buffer.MemoryCopy(src + t * part, dst + t * part, part, part));
                best = Math.Max(best, 2.0 * part * threads / clock.Elapsed.TotalSeconds);
            }
            return best;
        }
        finally
        {
            NativeMemory.AlignedFree(src);
            NativeMemory.AlignedFree(dst);
        }
    }
}
