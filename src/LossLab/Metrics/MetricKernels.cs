using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// CPU kernels behind the binned and ranked metrics: one pass over the data in place (no copies, no temporaries the
/// size of the input), split into a fixed number of chunks run in parallel and merged in chunk order, so that results
/// do not depend on the number of cores. Used when the tensors are on the CPU; other devices take the tensor path.
/// </summary>
internal static class MetricKernels
{
    /// <summary>The fixed number of chunks of a parallel pass (results are merged in this order).</summary>
    private const int Chunks = 16;

    /// <summary>Whether a tensor can be read in place by these kernels: on the CPU, contiguous, of a supported dtype.</summary>
    public static bool Readable(Tensor t) =>
        t.device_type == DeviceType.CPU && t.is_contiguous() &&
        t.dtype is ScalarType.Float32 or ScalarType.Float64 or ScalarType.Int64 or ScalarType.Int32 or ScalarType.Bool;

    /// <summary>The tensor's elements as a span over its own memory (CPU, contiguous, element type T). Keep the tensor alive while using it.</summary>
    public static ReadOnlySpan<T> Span<T>(Tensor t) where T : unmanaged
    {
        if (t.numel() == 0) return ReadOnlySpan<T>.Empty;
        nint address;
        using (var storage = t.storage<T>())
        {
            // The storage object is only a view; the memory stays the tensor's.
            address = storage.data_ptr() + (nint)(t.storage_offset() * Unsafe.SizeOf<T>());
        }
        ref T first = ref Unsafe.AddByteOffset(ref Unsafe.NullRef<T>(), address);
        return MemoryMarshal.CreateReadOnlySpan(ref first, checked((int)t.numel()));
    }

    /// <summary>
    /// Top-label binning of <c>ece</c>/<c>mce</c> over (N, C) probabilities: per bin the count, the sum of confidences
    /// and the number whose first argmax is the label. The range check (one vectorised min/max) and the row maxima
    /// (libtorch's <c>max(1)</c>, whose CPU kernel keeps the first index of a tied maximum) run in libtorch; the binning
    /// is one parallel pass in place. Returns null when some probability is NaN or outside [0, 1] or some label is
    /// outside [0, C), so that the caller's checks raise their usual errors.
    /// </summary>
    public static (double[] count, double[] confSum, double[] accSum)? TopLabelBins(Tensor probs, Tensor labels, double[] edges)
    {
        if (!Readable(probs) || !Readable(labels)) return null;
        if (labels.dtype is not (ScalarType.Int64 or ScalarType.Int32) || probs.dtype is not (ScalarType.Float32 or ScalarType.Float64)) return null;
        using var scope = NewDisposeScope();
        var (min, max) = torch.aminmax(probs);
        double lo = min.to_type(ScalarType.Float64).item<double>(), hi = max.to_type(ScalarType.Float64).item<double>();
        if (!(lo >= 0 && hi <= 1)) return null;   // NaN fails too
        var top = probs.max(1);
        var values = top.values.contiguous();
        var indices = top.indexes.contiguous();
        return probs.dtype == ScalarType.Float32
            ? BinTopLabels<float>(values, indices, labels, probs.shape[1], edges)
            : BinTopLabels<double>(values, indices, labels, probs.shape[1], edges);
    }

    private static (double[] count, double[] confSum, double[] accSum)? BinTopLabels<T>(Tensor values, Tensor indices, Tensor labels, long classes, double[] edges)
        where T : unmanaged
    {
        long n = values.shape[0];
        int m = edges.Length - 1;
        var count = new double[Chunks * m];
        var confSum = new double[Chunks * m];
        var accSum = new double[Chunks * m];
        var bad = new bool[Chunks];
        bool int64 = labels.dtype == ScalarType.Int64;
        Parallel.For(0, Chunks, k =>
        {
            var v = Span<T>(values);
            var idx = Span<long>(indices);
            var l64 = int64 ? Span<long>(labels) : default;
            var l32 = int64 ? default : Span<int>(labels);
            int lo = (int)(n * k / Chunks), hi = (int)(n * (k + 1) / Chunks), at = k * m;
            for (int i = lo; i < hi; i++)
            {
                double conf = ToDouble(v[i]);
                long label = int64 ? l64[i] : l32[i];
                if (label < 0 || label >= classes) { bad[k] = true; return; }
                int b = at + Bin(conf, edges);
                count[b] += 1;
                confSum[b] += conf;
                if (idx[i] == label) accSum[b] += 1;
            }
        });
        if (bad.Any(x => x)) return null;
        return (Merge(count, m), Merge(confSum, m), Merge(accSum, m));
    }

    /// <summary>
    /// The bin of a value as <c>bucketize(x, edges, right: false) - 1</c> clamped to [0, M - 1] gives it: the bin
    /// <c>(edges[b], edges[b + 1]]</c>, with values at or below edges[0] in bin 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Bin(double x, double[] edges)
    {
        int m = edges.Length - 1;
        // A guess from the equal-width layout, then exact corrections against the edges themselves.
        int b = (int)Math.Ceiling(x * m) - 1;
        if (b < 0) b = 0;
        else if (b > m - 1) b = m - 1;
        while (b > 0 && x <= edges[b]) b--;
        while (b < m - 1 && x > edges[b + 1]) b++;
        return b;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ToDouble<T>(T v) where T : unmanaged =>
        typeof(T) == typeof(float) ? Unsafe.As<T, float>(ref v) : Unsafe.As<T, double>(ref v);

    private static double[] Merge(double[] perChunk, int m)
    {
        var total = new double[m];
        for (int k = 0; k < Chunks; k++)
            for (int b = 0; b < m; b++) total[b] += perChunk[k * m + b];
        return total;
    }

    /// <summary>
    /// Counts of false and true positives at every distinct score, scores in decreasing order (the binary curve of
    /// scikit-learn's <c>_binary_clf_curve</c>), by two radix sorts (positives and negatives apart) and one merge.
    /// Labels: bool, or numbers where exactly 1 is positive. Scores must hold no NaN (checked by the caller).
    /// Returns null when the inputs are not readable in place.
    /// </summary>
    public static (double[] fps, double[] tps)? BinaryCurve(Tensor scores, Tensor labels)
    {
        using var sorted = SortedByClass(scores, labels);
        if (sorted is null) return null;
        var fps = new List<double>();
        var tps = new List<double>();
        sorted.Walk((fp, tp) => { fps.Add(fp); tps.Add(tp); });
        return (fps.ToArray(), tps.ToArray());
    }

    /// <summary>
    /// AUROC from the binary curve without storing it: <c>sum_g (F_g - F_{g-1})(T_g + T_{g-1}) / (2 P N)</c>, each term
    /// an integer below 2^53 and so is their sum, hence exact up to the one final division. Null when the inputs are not
    /// readable in place or a class is absent.
    /// </summary>
    public static double? Auroc(Tensor scores, Tensor labels)
    {
        using var sorted = SortedByClass(scores, labels);
        if (sorted is null || sorted.Positives == 0 || sorted.Negatives == 0) return null;
        double area = 0;
        long prevFp = 0, prevTp = 0;
        sorted.Walk((fp, tp) =>
        {
            area += (double)(fp - prevFp) * (tp + prevTp);
            prevFp = fp;
            prevTp = tp;
        });
        return area / (2.0 * sorted.Positives * (double)sorted.Negatives);
    }

    /// <summary>The scores of the positives and of the negatives as sorted keys, in pooled arrays.</summary>
    private sealed class SortedKeys(ulong[] pos, int positives, ulong[] neg, int negatives) : IDisposable
    {
        public int Positives => positives;
        public int Negatives => negatives;

        /// <summary>Visits every distinct score from the largest down with the cumulative (false, true) positive counts.</summary>
        public void Walk(Action<long, long> group)
        {
            int ip = positives - 1, ineg = negatives - 1;
            long tp = 0, fp = 0;
            while (ip >= 0 || ineg >= 0)
            {
                ulong key = ip < 0 ? neg[ineg] : ineg < 0 ? pos[ip] : Math.Max(pos[ip], neg[ineg]);
                while (ip >= 0 && pos[ip] == key) { tp++; ip--; }
                while (ineg >= 0 && neg[ineg] == key) { fp++; ineg--; }
                group(fp, tp);
            }
        }

        public void Dispose()
        {
            System.Buffers.ArrayPool<ulong>.Shared.Return(pos);
            System.Buffers.ArrayPool<ulong>.Shared.Return(neg);
        }
    }

    private static SortedKeys? SortedByClass(Tensor scores, Tensor labels)
    {
        if (!Readable(scores) || !Readable(labels) || scores.dtype is not (ScalarType.Float32 or ScalarType.Float64)) return null;
        if (scores.dim() != 1 || labels.dim() != 1 || labels.shape[0] != scores.shape[0]) return null;
        int n = checked((int)scores.shape[0]);
        var pool = System.Buffers.ArrayPool<ulong>.Shared;
        var posKeys = pool.Rent(Math.Max(n, 1));
        var negKeys = pool.Rent(Math.Max(n, 1));
        var (positives, negatives) = scores.dtype == ScalarType.Float64
            ? Split<double>(scores, labels, posKeys, negKeys)
            : Split<float>(scores, labels, posKeys, negKeys);
        // The two sorts are independent: one per core.
        Parallel.Invoke(() => RadixSort(posKeys, positives), () => RadixSort(negKeys, negatives));
        return new SortedKeys(posKeys, positives, negKeys, negatives);
    }

    /// <summary>One pass: the key of every score into the positives' or the negatives' array by its label.</summary>
    private static (int positives, int negatives) Split<T>(Tensor scores, Tensor labels, ulong[] posKeys, ulong[] negKeys) where T : unmanaged
    {
        var s = Span<T>(scores);
        int ip = 0, ineg = 0;
        switch (labels.dtype)
        {
            case ScalarType.Bool:
                { var l = Span<bool>(labels); for (int i = 0; i < s.Length; i++) { ulong k = Key(ToDouble(s[i])); if (l[i]) posKeys[ip++] = k; else negKeys[ineg++] = k; } break; }
            case ScalarType.Int64:
                { var l = Span<long>(labels); for (int i = 0; i < s.Length; i++) { ulong k = Key(ToDouble(s[i])); if (l[i] == 1) posKeys[ip++] = k; else negKeys[ineg++] = k; } break; }
            case ScalarType.Int32:
                { var l = Span<int>(labels); for (int i = 0; i < s.Length; i++) { ulong k = Key(ToDouble(s[i])); if (l[i] == 1) posKeys[ip++] = k; else negKeys[ineg++] = k; } break; }
            case ScalarType.Float64:
                { var l = Span<double>(labels); for (int i = 0; i < s.Length; i++) { ulong k = Key(ToDouble(s[i])); if (l[i] == 1) posKeys[ip++] = k; else negKeys[ineg++] = k; } break; }
            default:
                { var l = Span<float>(labels); for (int i = 0; i < s.Length; i++) { ulong k = Key(ToDouble(s[i])); if (l[i] == 1) posKeys[ip++] = k; else negKeys[ineg++] = k; } break; }
        }
        return (ip, ineg);
    }

    /// <summary>
    /// The number of positives of binary labels that pass <see cref="Check.BinaryMetricLabels"/> (bool; or all 0/1; or
    /// all -1/+1), in one pass in place; null when they do not (or cannot be read in place), so that the caller's check
    /// raises its usual error.
    /// </summary>
    public static long? BinaryLabelCount(Tensor labels)
    {
        if (!Readable(labels) || labels.dim() != 1) return null;
        long n = labels.shape[0];
        if (labels.dtype == ScalarType.Bool)
        {
            long t = 0;
            foreach (bool b in Span<bool>(labels)) if (b) t++;
            return t;
        }
        long ones = 0, zeros = 0, minus = 0;
        switch (labels.dtype)
        {
            case ScalarType.Int64:
                foreach (long v in Span<long>(labels)) { if (v == 1) ones++; else if (v == 0) zeros++; else if (v == -1) minus++; }
                break;
            case ScalarType.Int32:
                foreach (int v in Span<int>(labels)) { if (v == 1) ones++; else if (v == 0) zeros++; else if (v == -1) minus++; }
                break;
            case ScalarType.Float64:
                foreach (double v in Span<double>(labels)) { if (v == 1) ones++; else if (v == 0) zeros++; else if (v == -1) minus++; }
                break;
            case ScalarType.Float32:
                foreach (float v in Span<float>(labels)) { if (v == 1) ones++; else if (v == 0) zeros++; else if (v == -1) minus++; }
                break;
            default: return null;
        }
        bool valid = ones + zeros + minus == n && !(zeros > 0 && minus > 0);
        return valid ? ones : null;
    }

    /// <summary>
    /// The values of a 1-D float64 CPU tensor sorted ascending (-0 and +0 both as +0), by radix sort; null when the
    /// tensor cannot be read in place. No NaN (the caller has checked).
    /// </summary>
    public static double[]? SortedAscending(Tensor t)
    {
        if (!Readable(t) || t.dtype != ScalarType.Float64 || t.dim() != 1) return null;
        var s = Span<double>(t);
        var keys = System.Buffers.ArrayPool<ulong>.Shared.Rent(Math.Max(s.Length, 1));
        for (int i = 0; i < s.Length; i++) keys[i] = Key(s[i]);
        RadixSort(keys, s.Length);
        var sorted = new double[s.Length];
        for (int i = 0; i < sorted.Length; i++) sorted[i] = FromKey(keys[i]);
        System.Buffers.ArrayPool<ulong>.Shared.Return(keys);
        return sorted;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double FromKey(ulong key) =>
        BitConverter.Int64BitsToDouble((long)((key & 0x8000_0000_0000_0000UL) != 0 ? key & 0x7FFF_FFFF_FFFF_FFFFUL : ~key));

    /// <summary>An unsigned key that orders as the double does, -0 and +0 equal (as the comparison of scores treats them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Key(double v)
    {
        if (v == 0) v = 0;   // -0.0 to +0.0
        ulong bits = (ulong)BitConverter.DoubleToInt64Bits(v);
        return (bits & 0x8000_0000_0000_0000UL) != 0 ? ~bits : bits | 0x8000_0000_0000_0000UL;
    }

    /// <summary>LSD radix sort of the first <paramref name="n"/> keys by bytes (8 passes), skipping bytes on which every key agrees.</summary>
    private static void RadixSort(ulong[] keys, int n)
    {
        const int radix = 256, passes = 8;
        if (n < 2) return;
        // All byte histograms in one read.
        var hist = new int[passes * radix];
        for (int i = 0; i < n; i++)
        {
            ulong k = keys[i];
            hist[(int)(k & 0xFF)]++;
            hist[256 + (int)((k >> 8) & 0xFF)]++;
            hist[512 + (int)((k >> 16) & 0xFF)]++;
            hist[768 + (int)((k >> 24) & 0xFF)]++;
            hist[1024 + (int)((k >> 32) & 0xFF)]++;
            hist[1280 + (int)((k >> 40) & 0xFF)]++;
            hist[1536 + (int)((k >> 48) & 0xFF)]++;
            hist[1792 + (int)(k >> 56)]++;
        }
        var pool = System.Buffers.ArrayPool<ulong>.Shared;
        var buffer = pool.Rent(n);
        var src = keys;
        var dst = buffer;
        var offsets = new int[radix];
        for (int p = 0; p < passes; p++)
        {
            int shift = p * 8, at = p * radix;
            if (hist[at + (int)((keys[0] >> shift) & 0xFF)] == n) continue;   // every key has this byte: nothing moves
            int sum = 0;
            for (int d = 0; d < radix; d++) { offsets[d] = sum; sum += hist[at + d]; }
            for (int i = 0; i < n; i++)
            {
                ulong k = src[i];
                dst[offsets[(int)((k >> shift) & 0xFF)]++] = k;
            }
            (src, dst) = (dst, src);
        }
        if (!ReferenceEquals(src, keys)) Array.Copy(src, keys, n);
        pool.Return(buffer);
    }
}
