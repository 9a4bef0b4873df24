namespace LossLab.Kernels;

/// <summary>
/// How the fused kernels split work across cores: contiguous ranges of about 64k elements (whole rows for the row
/// kernels), run in parallel when there is more than one range and serially otherwise.
/// </summary>
internal static class KernelRows
{
    /// <summary>About this many elements per parallel range: large enough that scheduling costs vanish, small enough
    /// to balance two or more cores on a batch of a few megabytes.</summary>
    public const long ChunkElements = 1 << 16;

    /// <summary>Rows of <paramref name="cols"/> elements per range.</summary>
    public static long RowsPerChunk(long cols) => Math.Max(1, ChunkElements / Math.Max(1, cols));

    /// <summary>How many ranges <see cref="Chunks"/> makes of <paramref name="n"/> items, <paramref name="perChunk"/> each.</summary>
    public static long ChunkCount(long n, long perChunk) => (n + perChunk - 1) / perChunk;

    /// <summary>Runs <paramref name="body"/>(lo, hi) over row ranges covering [0, <paramref name="n"/>).</summary>
    public static void For(long n, long cols, Action<long, long> body) =>
        Chunks(n, RowsPerChunk(cols), (_, lo, hi) => body(lo, hi));

    /// <summary>Runs <paramref name="body"/>(k, lo, hi) for the k-th range [lo, hi) of <paramref name="perChunk"/> items
    /// covering [0, <paramref name="n"/>); ranges run in parallel when there are several.</summary>
    public static void Chunks(long n, long perChunk, Action<long, long, long> body)
    {
        long chunks = ChunkCount(n, perChunk);
        if (chunks <= 1) { body(0, 0, n); return; }
        System.Threading.Tasks.Parallel.For(0, chunks, k => body(k, k * perChunk, Math.Min(n, (k + 1) * perChunk)));
    }
}
