using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Kernels;

/// <summary>The work on one kept row of a class-index kernel: the row's logits, its gradient buffer (to fill), the
/// target class and the row's index; returns the row's loss.</summary>
internal delegate double ClassIndexRow<T>(ReadOnlySpan<T> row, Span<T> grad, int target, long index);

/// <summary>The work on one row of a class-probability kernel: the row's logits, its targets and its gradient
/// buffer (to fill); returns the row's loss.</summary>
internal delegate double ProbabilityRow<T>(ReadOnlySpan<T> row, ReadOnlySpan<T> target, Span<T> grad);

/// <summary>
/// How the row kernels read their targets: class indices (int64, with per-class weights as doubles and the sum of the
/// kept rows' weights that a weighted mean divides by) or class probabilities, and the loop over rows that hands each
/// row to the kernel's body (ignored rows get loss 0 and a zero gradient without reaching it).
/// </summary>
internal static class ClassTargets
{
    /// <summary>The targets as a contiguous int64 tensor (a copy only when they are not already).</summary>
    public static Tensor Indices(Tensor target) => target.to_type(ScalarType.Int64).contiguous();

    /// <summary>Per-class weights as doubles, or null without weights.</summary>
    public static double[]? Weights(Tensor? weight) =>
        weight is null ? null : weight.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    /// <summary>The sum over rows whose target is not <paramref name="ignoreIndex"/> of the target's weight (1 without weights).</summary>
    public static unsafe double KeptWeight(Tensor y, long? ignoreIndex, double[]? weight)
    {
        long* py = Native.Ptr<long>(y);
        double total = 0;
        for (long i = 0, n = y.shape[0]; i < n; i++)
        {
            long t = py[i];
            if (t != ignoreIndex) total += weight is null ? 1.0 : weight[t];
        }
        return total;
    }

    /// <summary>Runs <paramref name="body"/> on every row of the (N, C) buffers whose target is not
    /// <paramref name="ignoreIndex"/> (null: none is ignored), rows split across cores, and writes its loss.</summary>
    public static unsafe void ForEachRow<T>(RowBuffers b, Tensor y, long? ignoreIndex, ClassIndexRow<T> body) where T : unmanaged
    {
        T* px = Native.Ptr<T>(b.X), pg = Native.Ptr<T>(b.Grad);
        long* py = Native.Ptr<long>(y);
        double* pl = Native.Ptr<double>(b.Losses);
        int c = checked((int)b.X.shape[1]);
        KernelRows.For(b.X.shape[0], c, (lo, hi) =>
        {
            for (long i = lo; i < hi; i++)
            {
                var g = new Span<T>(pg + i * c, c);
                long t = py[i];
                if (t == ignoreIndex)
                {
                    g.Clear();
                    pl[i] = 0;
                    continue;
                }
                pl[i] = body(new ReadOnlySpan<T>(px + i * c, c), g, (int)t, i);
            }
        });
    }

    /// <summary>Runs <paramref name="body"/> on every row of the (N, C) buffers with its row of class probabilities
    /// (<paramref name="target"/>: contiguous, the logits' shape and dtype), rows split across cores.</summary>
    public static unsafe void ForEachRow<T>(RowBuffers b, Tensor target, ProbabilityRow<T> body) where T : unmanaged
    {
        T* px = Native.Ptr<T>(b.X), pt = Native.Ptr<T>(target), pg = Native.Ptr<T>(b.Grad);
        double* pl = Native.Ptr<double>(b.Losses);
        int c = checked((int)b.X.shape[1]);
        KernelRows.For(b.X.shape[0], c, (lo, hi) =>
        {
            for (long i = lo; i < hi; i++)
                pl[i] = body(new ReadOnlySpan<T>(px + i * c, c), new ReadOnlySpan<T>(pt + i * c, c), new Span<T>(pg + i * c, c));
        });
    }
}

/// <summary>The buffers of a row kernel: the logits made contiguous, the gradient to fill (their shape and dtype) and
/// the per-row losses (float64). Disposing releases the logits' view and the losses, not the gradient, which backward keeps.</summary>
internal sealed class RowBuffers : IDisposable
{
    /// <summary>Makes the buffers for (N, C) logits.</summary>
    public RowBuffers(Tensor input)
    {
        X = input.detach().contiguous();
        Grad = torch.empty_like(X);
        Losses = torch.empty(new[] { X.shape[0] }, dtype: ScalarType.Float64);
    }

    /// <summary>The logits, contiguous.</summary>
    public Tensor X { get; }

    /// <summary>The gradient, the logits' shape and dtype.</summary>
    public Tensor Grad { get; }

    /// <summary>Each row's loss, float64.</summary>
    public Tensor Losses { get; }

    /// <summary>The number of rows.</summary>
    public long Rows => X.shape[0];

    /// <summary>The number of classes.</summary>
    public int Classes => checked((int)X.shape[1]);

    /// <inheritdoc/>
    public void Dispose()
    {
        X.Dispose();
        Losses.Dispose();
    }
}

/// <summary>A per-thread scratch row, reused across rows and calls (grown when a wider row comes).</summary>
/// <typeparam name="T">The element type.</typeparam>
internal static class RowScratch<T> where T : unmanaged
{
    [ThreadStatic] private static T[]? buffer;

    /// <summary>At least <paramref name="length"/> elements of this thread's scratch.</summary>
    public static T[] Get(int length)
    {
        var b = buffer;
        if (b is null || b.Length < length) buffer = b = new T[length];
        return b;
    }
}
