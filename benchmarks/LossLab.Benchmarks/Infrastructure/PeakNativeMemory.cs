using System.Globalization;
using LossLab.Runtime;

namespace LossLab.Benchmarks.Infrastructure;

/// <summary>
/// The peak resident memory that one call adds, read from the kernel (Linux): BenchmarkDotNet's Allocated column sees
/// only the managed heap, not libtorch's tensors.
/// </summary>
/// <remarks>
/// Method: one warm-up call; then the allocator's free memory is returned to the kernel (<c>malloc_trim</c>), VmRSS is
/// read from /proc/self/status, the kernel's high-water mark is reset to it (<c>5</c> written to
/// /proc/self/clear_refs), the call runs once, and VmHWM is read. The difference is the peak added by the call. Around
/// the measurement glibc's mmap and trim thresholds are set to 64 KiB, so that every large block is mmapped and given
/// back on free: with the thresholds that make training fast (<see cref="NativeAllocator.Configure"/>), or with glibc's
/// dynamic ones, freed blocks stay in the heap and are reused without new pages, and the difference under-counts.
/// Afterwards the thresholds set before are restored (glibc's dynamic defaults cannot be restored once switched off:
/// then its initial 128 KiB values are set). <see cref="Validate"/> checks the method on a tensor of known size.
/// </remarks>
public static class PeakNativeMemory
{
    private const long MeasureThresholdBytes = 64 << 10;
    private const long GlibcInitialThresholdBytes = 128 << 10;

    /// <summary>Whether the peak can be measured here (Linux with glibc, a resettable high-water mark).</summary>
    public static bool IsSupported { get; } = Probe();

    /// <summary>The peak resident bytes added by one call of <paramref name="call"/> (after one warm-up call), or null where unsupported.</summary>
    public static long? Measure(Action call)
    {
        if (!IsSupported) return null;
        var saved = NativeAllocator.Current;
        NativeAllocator.Configure(MeasureThresholdBytes, MeasureThresholdBytes, arenaMax: 0);
        try
        {
            call();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            NativeAllocator.Trim();
            long before = StatusBytes("VmRSS");
            ResetHighWaterMark();
            call();
            long peak = StatusBytes("VmHWM");
            return Math.Max(0, peak - before);
        }
        finally
        {
            var (mmap, trim) = saved ?? (GlibcInitialThresholdBytes, GlibcInitialThresholdBytes);
            NativeAllocator.Configure(mmap, trim, arenaMax: 0);
        }
    }

    /// <summary>
    /// Checks the method on a known allocation: a float32 tensor of <paramref name="bytes"/> bytes made and filled with
    /// ones. Returns the measured peak (it should be the tensor's size, give or take a few pages).
    /// </summary>
    public static long? Validate(long bytes = 256L << 20) => Measure(() =>
    {
        using var t = TorchSharp.torch.ones(bytes / sizeof(float));
    });

    /// <summary>Formats bytes as MiB for the tables.</summary>
    public static string Format(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString(b < 10 << 20 ? "0.00" : "0", CultureInfo.InvariantCulture) + " MiB" : "n/a";

    /// <summary>A field of /proc/self/status in bytes (it is given in kB).</summary>
    public static long StatusBytes(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException($"/proc/self/status has no {field}");
    }

    private static void ResetHighWaterMark() => File.WriteAllText("/proc/self/clear_refs", "5");

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux() || !NativeAllocator.IsSupported) return false;
        try
        {
            ResetHighWaterMark();
            return StatusBytes("VmHWM") > 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return false;
        }
    }
}
