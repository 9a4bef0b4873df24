using System.Runtime.InteropServices;

namespace LossLab.Runtime;

/// <summary>
/// Tunes the C allocator that libtorch's CPU tensors come from (glibc's <c>malloc</c> on Linux), process-wide.
/// </summary>
/// <remarks>
/// <para>By default glibc serves every block of at least its mmap threshold (128 KiB at first, raised up to 32 MiB as
/// large blocks are freed) with a fresh <c>mmap</c> and gives it back to the kernel on <c>free</c>; freed memory at the
/// top of the heap beyond the trim threshold is given back too. A CPU training or evaluation loop allocates and frees
/// tensors of the same large sizes at every step, so every large tensor's pages are faulted in (and zeroed by the
/// kernel) anew at every step: for a (8192, 4096) float32 cross-entropy forward and backward that is most of the time.
/// <see cref="Configure"/> raises both thresholds once, so that large blocks come from the heap and freed memory stays
/// in the process for the next step (docs/benchmarks.md has the measurements).</para>
/// <para>The cost is memory: the process keeps what it freed, so its resident size stays near its high-water mark
/// instead of falling between steps, and that mark is higher than the live peak: glibc (2.36, Debian 12, where this
/// was measured) cannot reuse a freed block of exactly the size of a 64-byte-aligned request (<c>posix_memalign</c>,
/// which libtorch uses for every tensor), so it grows the heap instead. It levels off after a few steps (measured:
/// 1.6 to 2.1 GB held for a (8192, 4096) cross-entropy step whose live peak is 0.7 GB). Call it once at start-up, before the first tensor; the
/// settings are the process's (every thread, every library that uses <c>malloc</c>). The same effect without code:
/// <c>GLIBC_TUNABLES=glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=1073741824:glibc.malloc.arena_max=1</c>
/// in the environment of the process.
/// Only glibc is supported: elsewhere (Windows, macOS, musl) nothing is done and the methods return false.</para>
/// <code>
/// LossLab.Runtime.NativeAllocator.Configure();   // first thing in Main; true when applied
/// </code>
/// </remarks>
public static unsafe class NativeAllocator
{
    /// <summary>The default mmap threshold of <see cref="Configure"/>: 1 GiB.</summary>
    public const long DefaultMmapThresholdBytes = 1L << 30;

    /// <summary>The default trim threshold of <see cref="Configure"/>: 1 GiB.</summary>
    public const long DefaultTrimThresholdBytes = 1L << 30;

    /// <summary>The default arena limit of <see cref="Configure"/>: 1, every thread allocates from the main heap.</summary>
    public const int DefaultArenaMax = 1;

    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;
    private const int MArenaMax = -8;

    private static readonly delegate* unmanaged<int, int, int> Mallopt;
    private static readonly delegate* unmanaged<nuint, int> MallocTrim;
    private static readonly object Gate = new();

    static NativeAllocator()
    {
        // glibc only: gnu_get_libc_version exists nowhere else, and mallopt's parameter numbers are glibc's.
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out var libc)) return;
        if (!NativeLibrary.TryGetExport(libc, "gnu_get_libc_version", out _)) return;
        if (NativeLibrary.TryGetExport(libc, "mallopt", out var mallopt)) Mallopt = (delegate* unmanaged<int, int, int>)mallopt;
        if (NativeLibrary.TryGetExport(libc, "malloc_trim", out var trim)) MallocTrim = (delegate* unmanaged<nuint, int>)trim;
    }

    /// <summary>Whether this process's allocator is glibc's, which the methods here can tune.</summary>
    public static bool IsSupported => Mallopt != null;

    /// <summary>The thresholds last set through this class, or null while glibc's own (dynamic) defaults are in force.</summary>
    public static (long MmapThresholdBytes, long TrimThresholdBytes)? Current { get; private set; }

    /// <summary>
    /// Sets glibc's mmap threshold (blocks of at least this size get their own <c>mmap</c>, returned to the kernel on
    /// free), its trim threshold (free memory at the top of the heap beyond this is returned to the kernel) and,
    /// unless <paramref name="arenaMax"/> is 0, its arena limit. Setting a threshold switches off glibc's dynamic
    /// adjustment of both thresholds for the rest of the process.
    /// </summary>
    /// <remarks>
    /// The arena limit matters as much as the thresholds: a thread other than the process's first allocates from an
    /// arena of its own, made of 64 MiB heaps, so any larger block it asks for is mmapped whatever the threshold. With
    /// one arena every thread allocates from the main heap, which can hold blocks of any size. It applies to threads
    /// that allocate for the first time after the call, hence: call this first thing in <c>Main</c>.
    /// </remarks>
    /// <param name="mmapThresholdBytes">The mmap threshold, 0 to 2^31 - 1 bytes (default 1 GiB).</param>
    /// <param name="trimThresholdBytes">The trim threshold, 0 to 2^31 - 1 bytes (default 1 GiB).</param>
    /// <param name="arenaMax">The most malloc arenas, &gt;= 0 (default 1; 0 leaves glibc's limit, 8 per core, as it is).</param>
    /// <returns>True when every setting was applied; false where the allocator is not glibc's or glibc refused a value.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A threshold below 0 or above 2^31 - 1, or a negative arena limit.</exception>
    public static bool Configure(long mmapThresholdBytes = DefaultMmapThresholdBytes, long trimThresholdBytes = DefaultTrimThresholdBytes, int arenaMax = DefaultArenaMax)
    {
        const string name = "NativeAllocator.Configure";
        if (mmapThresholdBytes is < 0 or > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(mmapThresholdBytes), mmapThresholdBytes, $"{name}: 'mmapThresholdBytes' must be in [0, {int.MaxValue}], got {mmapThresholdBytes}");
        if (trimThresholdBytes is < 0 or > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(trimThresholdBytes), trimThresholdBytes, $"{name}: 'trimThresholdBytes' must be in [0, {int.MaxValue}], got {trimThresholdBytes}");
        if (arenaMax < 0)
            throw new ArgumentOutOfRangeException(nameof(arenaMax), arenaMax, $"{name}: 'arenaMax' must be >= 0 (0: leave it), got {arenaMax}");
        if (!IsSupported) return false;
        lock (Gate)
        {
            bool ok = Mallopt(MMmapThreshold, (int)mmapThresholdBytes) == 1;
            ok &= Mallopt(MTrimThreshold, (int)trimThresholdBytes) == 1;
            if (arenaMax > 0) ok &= Mallopt(MArenaMax, arenaMax) == 1;
            if (ok) Current = (mmapThresholdBytes, trimThresholdBytes);
            return ok;
        }
    }

    /// <summary>
    /// Returns the free memory the allocator holds to the kernel (glibc's <c>malloc_trim(0)</c>: the top of every heap and
    /// every whole free page inside them), e.g. after a phase that used much more memory than the next one will.
    /// </summary>
    /// <returns>True when memory was returned; false when there was none to return or the allocator is not glibc's.</returns>
    public static bool Trim() => MallocTrim != null && MallocTrim(0) == 1;
}
