using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Kernels;

/// <summary>An element-wise loss evaluated a vector of elements at a time, for <see cref="Elementwise"/>.</summary>
/// <typeparam name="T">float or double.</typeparam>
internal interface IElementwiseLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The loss of each lane and, in <paramref name="dx"/>, its derivative with respect to the logit.</summary>
    /// <param name="x">Logits.</param>
    /// <param name="t">Targets.</param>
    /// <param name="a">The first auxiliary operand (e.g. a weight), per element.</param>
    /// <param name="b">The second auxiliary operand (e.g. a positive weight), per element.</param>
    /// <param name="dx">d(loss)/d(x).</param>
    Vector<T> Loss(Vector<T> x, Vector<T> t, Vector<T> a, Vector<T> b, out Vector<T> dx);

    /// <summary>Whether the targets must lie in [0, 1]. The driver then keeps their smallest and largest value (two
    /// operations a vector, where a comparison per lane in the loss took five) and makes the sum of a range NaN when
    /// one lies outside; a NaN target must make its own loss NaN.</summary>
    static virtual bool UnitTargets => false;
}

/// <summary>
/// An auxiliary operand of an element-wise loss (a weight that broadcasts to the input): one value for all elements,
/// one per column of the last dimension, or one per element. <see cref="Prepare"/> builds it from a tensor.
/// </summary>
internal sealed class Operand : IDisposable
{
    private Operand(double scalar, Tensor? values, bool perColumn)
    {
        Scalar = scalar;
        Values = values;
        PerColumn = perColumn;
    }

    /// <summary>The value of every element when <see cref="Values"/> is null.</summary>
    public double Scalar { get; }

    /// <summary>The values (contiguous, the input's dtype): the input's shape, or the last dimension's length.</summary>
    public Tensor? Values { get; }

    /// <summary>Whether <see cref="Values"/> holds one value per column of the last dimension.</summary>
    public bool PerColumn { get; }

    /// <summary>The operand for an optional tensor that broadcasts to <paramref name="input"/>'s shape
    /// (<paramref name="absent"/> everywhere when it is null). A vector over the last dimension stays a vector
    /// when rows are long enough to run vectorised; anything else that is not one value is expanded to the input's shape.</summary>
    public static Operand Prepare(Tensor? t, Tensor input, double absent)
    {
        if (t is null) return new Operand(absent, null, false);
        if (t.numel() == 1) return new Operand(t.to_type(ScalarType.Float64).item<double>(), null, false);
        long cols = input.shape[^1];
        var v = t.detach().to_type(input.dtype);
        bool lastDimOnly = t.shape[^1] == cols && t.shape.Take(t.shape.Length - 1).All(d => d == 1);
        if (lastDimOnly && cols >= 4 * Vector<float>.Count)
            return new Operand(0, v.reshape(cols).contiguous(), true);
        return new Operand(0, v.expand(input.shape).contiguous(), false);
    }

    /// <inheritdoc/>
    public void Dispose() => Values?.Dispose();
}

/// <summary>
/// The driver of the element-wise fused kernels: one pass over the elements, a vector at a time, writing the
/// gradient (and, for reduction none, the losses) and summing the losses (in blocks of 16 vectors in the element type,
/// then in double); ranges of about 64k elements run
/// in parallel. The last partial vector of each range is padded through a small buffer instead of a scalar copy of
/// the formulas.
/// </summary>
internal static unsafe class Elementwise
{
    /// <summary>Vectors of losses summed in the element type before their sum is added in double (16: the loop's
    /// widening to double, once per vector, cost about a tenth of the sigmoid kernels' time).</summary>
    private const int SumBlock = 16;

    /// <summary>Runs <paramref name="op"/> over every element and returns the sum of the losses.</summary>
    /// <param name="op">The loss.</param>
    /// <param name="x">The logits, contiguous.</param>
    /// <param name="t">The targets, contiguous, the logits' shape and dtype.</param>
    /// <param name="a">The first auxiliary operand.</param>
    /// <param name="b">The second auxiliary operand.</param>
    /// <param name="grad">Receives d(loss)/d(x), times <paramref name="gradScale"/>.</param>
    /// <param name="losses">Receives each element's loss (reduction none), or null.</param>
    /// <param name="gradScale">The factor on the gradient (e.g. 1/numel for the mean).</param>
    public static double Run<T, TOp>(TOp op, Tensor x, Tensor t, Operand a, Operand b, Tensor grad, Tensor? losses, double gradScale)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IElementwiseLoss<T>
    {
        T* px = Native.Ptr<T>(x), pt = Native.Ptr<T>(t), pg = Native.Ptr<T>(grad);
        T* po = losses is null ? null : Native.Ptr<T>(losses);
        T* pa = a.Values is null ? null : Native.Ptr<T>(a.Values), pb = b.Values is null ? null : Native.Ptr<T>(b.Values);
        T sa = T.CreateTruncating(a.Scalar), sb = T.CreateTruncating(b.Scalar), gs = T.CreateTruncating(gradScale);
        bool aCol = a.PerColumn, bCol = b.PerColumn;
        long count = x.numel(), cols = Math.Max(1, x.dim() == 0 ? 1 : x.shape[^1]);
        long rows = count / cols;
        bool perRow = aCol || bCol;
        // per-column operands: ranges of whole rows, each row a segment; otherwise ranges of elements, one segment each
        long items = perRow ? rows : count, perChunk = perRow ? KernelRows.RowsPerChunk(cols) : KernelRows.ChunkElements;
        var partial = new double[KernelRows.ChunkCount(items, perChunk)];
        KernelRows.Chunks(items, perChunk, (k, lo, hi) =>
        {
            double total = 0;
            if (!perRow)
            {
                total = Segment(op, px, pt, pa is null ? null : pa + lo, sa, pb is null ? null : pb + lo, sb, pg, po, lo, hi - lo, gs);
            }
            else
            {
                for (long r = lo; r < hi; r++)
                {
                    long start = r * cols;
                    T* ra = pa is null ? null : aCol ? pa : pa + start;
                    T* rb = pb is null ? null : bCol ? pb : pb + start;
                    total += Segment(op, px, pt, ra, sa, rb, sb, pg, po, start, cols, gs);
                }
            }
            partial[k] = total;
        });
        return partial.Sum();
    }

    /// <summary>Elements [start, start + len) of x, t, grad and losses; <paramref name="a"/> and <paramref name="b"/>
    /// already point at the segment's first element (or are null for their scalar).</summary>
    internal static double Segment<T, TOp>(TOp op, T* x, T* t, T* a, T sa, T* b, T sb, T* g, T* o, long start, long len, T gs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IElementwiseLoss<T>
    {
        int width = Vector<T>.Count;
        x += start; t += start; g += start;
        if (o != null) o += start;
        var va = new Vector<T>(sa);
        var vb = new Vector<T>(sb);
        var vgs = new Vector<T>(gs);
        var acc = Vector<double>.Zero;
        var tMin = Vector<T>.Zero;
        var tMax = Vector<T>.Zero;
        long i = 0;
        while (i + width <= len)
        {
            // blocks of SumBlock vectors summed in the element type, then in double (as VectorMath.ExpSum): the
            // widening once per block; a block's float sum is off by at most about SumBlock ulps of its largest term
            long end = Math.Min(len - width, i + (SumBlock - 1) * width);
            var block = Vector<T>.Zero;
            for (; i <= end; i += width)
            {
                var tv = Vector.Load(t + i);
                var l = op.Loss(Vector.Load(x + i), tv, a == null ? va : Vector.Load(a + i), b == null ? vb : Vector.Load(b + i), out var dx);
                if (TOp.UnitTargets)
                {
                    tMin = Vector.MinNative(tMin, tv);
                    tMax = Vector.MaxNative(tMax, tv);
                }
                Vector.Store(dx * vgs, g + i);
                if (o != null) Vector.Store(l, o + i);
                block += l;
            }
            acc = VectorMath.Accumulate(acc, block);
        }
        double total = Vector.Sum(acc);
        if (TOp.UnitTargets && (Vector.LessThanAny(tMin, Vector<T>.Zero) || Vector.GreaterThanAny(tMax, Vector<T>.One))) return double.NaN;
        if (i < len) total += Tail(op, x + i, t + i, a == null ? null : a + i, sa, b == null ? null : b + i, sb, g + i, o == null ? null : o + i, (int)(len - i), gs);
        return total;
    }

    /// <summary>The last <paramref name="len"/> (fewer than a vector) elements, through padded buffers.</summary>
    private static double Tail<T, TOp>(TOp op, T* x, T* t, T* a, T sa, T* b, T sb, T* g, T* o, int len, T gs)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IElementwiseLoss<T>
    {
        int width = Vector<T>.Count;
        T* bx = stackalloc T[width], bt = stackalloc T[width], ba = stackalloc T[width], bb = stackalloc T[width];
        for (int j = 0; j < width; j++)
        {
            bool inside = j < len;
            bx[j] = inside ? x[j] : T.Zero;
            bt[j] = inside ? t[j] : T.Zero;
            ba[j] = inside && a != null ? a[j] : sa;
            bb[j] = inside && b != null ? b[j] : sb;
        }
        var l = op.Loss(Vector.Load(bx), Vector.Load(bt), Vector.Load(ba), Vector.Load(bb), out var dx);
        dx *= new Vector<T>(gs);
        double total = 0;
        for (int j = 0; j < len; j++)
        {
            if (TOp.UnitTargets && !(t[j] >= T.Zero && t[j] <= T.One)) return double.NaN;
            g[j] = dx[j];
            if (o != null) o[j] = l[j];
            total += double.CreateTruncating(l[j]);
        }
        return total;
    }
}

/// <summary>The tensors an element-wise kernel works on: the logits and targets (contiguous, the logits' dtype), the
/// gradient to fill, the per-element losses for reduction none (else null), and the factor on the gradient.</summary>
internal readonly record struct ElementwiseBuffers(Tensor X, Tensor Target, Tensor Grad, Tensor? Losses, double GradScale);

/// <summary>The forward that the element-wise fused losses share (their arguments: input, target, then options).</summary>
/// <typeparam name="TSelf">The concrete function.</typeparam>
internal abstract class ElementwiseLossFunction<TSelf> : FusedLossFunction<TSelf> where TSelf : ElementwiseLossFunction<TSelf>, new()
{
    /// <summary>Makes the buffers, runs the kernel that <paramref name="kernel"/> makes of them, saves the gradient
    /// and returns the reduced loss (the plain mean over all elements for mean).</summary>
    protected static Tensor Forward<TKernel>(autograd.AutogradContext ctx, object[] vars, Reduction reduction, Func<ElementwiseBuffers, TKernel> kernel)
        where TKernel : struct, ITypedKernel
    {
        using var x = ((Tensor)vars[0]).detach().contiguous();
        using var t = ((Tensor)vars[1]).detach().to_type(x.dtype).contiguous();
        var grad = torch.empty_like(x);
        var losses = reduction == Reduction.None ? torch.empty_like(x) : null;
        long count = x.numel();
        double total = Dispatch(x.dtype, kernel(new ElementwiseBuffers(x, t, grad, losses, reduction == Reduction.Mean ? 1.0 / count : 1.0)));
        SaveGradient(ctx, vars, grad);
        return losses ?? torch.tensor(reduction == Reduction.Sum ? total : total / count, dtype: x.dtype);
    }
}
