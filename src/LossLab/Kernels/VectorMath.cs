using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LossLab.Kernels;

/// <summary>
/// Element-wise math on <see cref="Vector{T}"/> for float or double lanes, for the kernels that fuse several
/// functions of each element into one pass in registers (where a chain of <c>TensorPrimitives</c> calls would make a
/// pass per function).
/// </summary>
/// <remarks>
/// <para>float lanes use their own exp and log1p (polynomials of about an ulp): the runtime's float exp and log widen
/// to double and cost several times more, and exp is the one transcendental of every softmax kernel. double lanes use
/// the runtime's <see cref="Vector.Exp(Vector{double})"/> and <see cref="Vector.Log(Vector{double})"/>.</para>
/// <para><b>exp (float).</b> <c>k = round(x log2 e)</c> (adding and subtracting 1.5 * 2^23, which leaves k in the
/// low mantissa bits for <c>2^k</c>), <c>r = x - k ln 2</c> (ln 2 split in two so that <c>k * 0.693359375</c> is
/// exact), <c>exp(r) = 1 + r + r^2 P(r)</c> with Cephes' degree-5 P on <c>|r| &lt;= ln2 / 2</c>, times <c>2^k</c>
/// built in the exponent bits. x is clamped to [ln(FLT_MIN), 88] (so that <c>2^k</c> stays a normal float) and
/// results below FLT_MIN are flushed to 0 (the kernels call it on <c>x - max &lt;= 0</c> and <c>-|x|</c>, where that
/// is an absolute error below 1.2e-38).</para>
/// <para><b>exp of a non-positive argument (float).</b> The same polynomial, for the <c>exp(-|x|)</c> of the sigmoid
/// kernels: the argument is only clamped below, at ln(FLT_MIN), so the result never falls under FLT_MIN (about
/// 1.2e-38, an absolute error below that) and a NaN passes through the clamp by the order of its operands; the
/// <c>+ 1</c> and the scaling by <c>2^k</c> are one multiply-add. Five operations fewer than <see cref="Exp{T}"/>.</para>
/// <para><b>log(1 + e), e in [0, 1] (float).</b> One polynomial over the whole interval, <c>e + e^2 R(e)</c> with R of
/// degree 8 (no range reduction, no rounded <c>1 + e</c>; tiny e gives e, not 0). double lanes use
/// <c>log(u) - ((u - 1) - e) / u</c> with <c>u = 1 + e</c> rounded (the first-order correction for the rounding of
/// u).</para>
/// </remarks>
internal static class VectorMath
{
    private const float Log2E = 1.44269504088896341f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float ExpLow = -87.33654475f, ExpHigh = 88.0f, RoundingMagic = 12582912f; // 1.5 * 2^23
    private const int RoundingMagicBits = 0x4B400000; // the bits of RoundingMagic

    /// <summary>e^v per lane (float: see the remarks for its range).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Exp<T>(Vector<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return ExpSingle(v.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector.Exp(v.As<T, double>()).As<double, T>();
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>e^v per lane for v &lt;= 0 (or NaN): see the remarks; results below FLT_MIN come out as about FLT_MIN
    /// (float lanes) instead of 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> ExpNonPositive<T>(Vector<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return ExpNonPositiveSingle(v.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector.Exp(v.As<T, double>()).As<double, T>();
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary><c>-|v|</c> per lane: one bitwise or with the sign bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> NegativeAbs<T>(Vector<T> v) where T : unmanaged, IFloatingPointIeee754<T> =>
        v | new Vector<T>(T.NegativeZero);

    /// <summary><c>c - a * b</c> per lane, fused (one instruction where FMA is there; the runtime does not fold the
    /// negation of <c>FusedMultiplyAdd(-a, b, c)</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> NegatedMultiplyAdd<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Fma.IsSupported && Vector<byte>.Count == 32)
        {
            if (typeof(T) == typeof(float))
                return Fma.MultiplyAddNegated(a.As<T, float>().AsVector256(), b.As<T, float>().AsVector256(), c.As<T, float>().AsVector256()).AsVector().As<float, T>();
            if (typeof(T) == typeof(double))
                return Fma.MultiplyAddNegated(a.As<T, double>().AsVector256(), b.As<T, double>().AsVector256(), c.As<T, double>().AsVector256()).AsVector().As<double, T>();
        }
        return MultiplyAdd(-a, b, c);
    }

    /// <summary><c>a * b - c</c> per lane, fused (one instruction where FMA is there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> MultiplySubtract<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Fma.IsSupported && Vector<byte>.Count == 32)
        {
            if (typeof(T) == typeof(float))
                return Fma.MultiplySubtract(a.As<T, float>().AsVector256(), b.As<T, float>().AsVector256(), c.As<T, float>().AsVector256()).AsVector().As<float, T>();
            if (typeof(T) == typeof(double))
                return Fma.MultiplySubtract(a.As<T, double>().AsVector256(), b.As<T, double>().AsVector256(), c.As<T, double>().AsVector256()).AsVector().As<double, T>();
        }
        return MultiplyAdd(a, b, -c);
    }

    /// <summary><c>a * b + c</c> per lane, fused.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> MultiplyAdd<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return Vector.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>log v per lane (the runtime's).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Log<T>(Vector<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return Vector.Log(v.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector.Log(v.As<T, double>()).As<double, T>();
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary><c>log(1 + e)</c> for e in [0, 1], accurate to about an ulp (tiny e gives e, not 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Log1PUnit<T>(Vector<T> e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return Log1PUnitSingle(e.As<T, float>()).As<float, T>();
        var u = Vector<T>.One + e;
        return Log(u) - ((u - Vector<T>.One) - e) / u;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> ExpSingle(Vector<float> x)
    {
        var result = ExpReduced(Vector.ClampNative(x, new Vector<float>(ExpLow), new Vector<float>(ExpHigh)));
        result = Vector.ConditionalSelect(Vector.LessThan(x, new Vector<float>(ExpLow)), Vector<float>.Zero, result);
        return Vector.ConditionalSelect(Vector.Equals(x, x), result, x); // NaN stays NaN
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> ExpNonPositiveSingle(Vector<float> x) =>
        // MaxNative returns its second operand when either is NaN: x second, so that NaN stays NaN (and passes through)
        ExpReduced(Vector.MaxNative(new Vector<float>(ExpLow), x));

    /// <summary>e^c for c in [ln(FLT_MIN), 88] (or NaN, which gives NaN): the reduction and polynomial of the remarks,
    /// and <c>2^k (1 + (e^r - 1))</c> as one multiply-add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> ExpReduced(Vector<float> c)
    {
        // k = round(c log2 e) by the magic-number trick: adding 1.5 * 2^23 rounds to an integer (to nearest even), whose
        // value sits in the low mantissa bits of t; 2^k is then those bits shifted into the exponent field
        var t = Vector.FusedMultiplyAdd(c, new Vector<float>(Log2E), new Vector<float>(RoundingMagic));
        var k = t - new Vector<float>(RoundingMagic);
        var r = Vector.FusedMultiplyAdd(k, new Vector<float>(-Ln2Hi), c);
        r = Vector.FusedMultiplyAdd(k, new Vector<float>(-Ln2Lo), r);
        var p = new Vector<float>(1.9875691500E-4f);
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1.3981999507E-3f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(8.3334519073E-3f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(4.1665795894E-2f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1.6666665459E-1f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(5.0000001201E-1f));
        var y = Vector.FusedMultiplyAdd(p, r * r, r); // e^r - 1
        var scale = Vector.AsVectorSingle(Vector.ShiftLeft(Vector.AsVectorInt32(t) - new Vector<int>(RoundingMagicBits - 127), 23));
        return Vector.FusedMultiplyAdd(y, scale, scale);
    }

    /// <summary>
    /// <c>log(1 + e)</c> on [0, 1] as <c>e + e^2 R(e)</c>, R of degree 8 (Chebyshev interpolation of
    /// <c>(log1p(e) - e) / e^2</c>, coefficients rounded to float): relative error about 3e-8 before rounding, and
    /// exactly e for tiny e. One polynomial, no range reduction: fewer operations than a reduced log.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Log1PUnitSingle(Vector<float> e)
    {
        var q = new Vector<float>(-4.466211423e-03f);
        q = Vector.FusedMultiplyAdd(q, e, new Vector<float>(2.522405423e-02f));
        q = Vector.FusedMultiplyAdd(q, e, new Vector<float>(-6.675772369e-02f));
        q = Vector.FusedMultiplyAdd(q, e, new Vector<float>(1.156184524e-01f));
        q = Vector.FusedMultiplyAdd(q, e, new Vector<float>(-1.584756523e-01f));
        q = Vector.FusedMultiplyAdd(q, e, new Vector<float>(1.985410601e-01f));
        q = Vector.FusedMultiplyAdd(q, e, new Vector<float>(-2.498652637e-01f));
        q = Vector.FusedMultiplyAdd(q, e, new Vector<float>(3.333284259e-01f));
        q = Vector.FusedMultiplyAdd(q, e, new Vector<float>(-4.999999702e-01f));
        return Vector.FusedMultiplyAdd(e * e, q, e);
    }

    /// <summary>
    /// From one exponential <c>e = exp(-|x|)</c>: <c>log(1 + e)</c> (softplus(x) is <c>max(x, 0)</c> plus it, and
    /// logsigmoid(x) is <c>min(x, 0)</c> minus it), <c>p = sigmoid(x)</c> and <c>pBar = 1 - p = sigmoid(-x)</c>, both
    /// accurate in relative terms on either tail (no <c>1 - p</c> cancellation) and finite for any finite x. The
    /// exponential is <see cref="ExpNonPositive{T}"/>: for |x| beyond about 87.3 (float) the small one of p and pBar, and
    /// log(1 + e), are about 1.2e-38 instead of their true, smaller values. A NaN x gives NaN in all three.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> SigmoidPair<T>(Vector<T> x, out Vector<T> p, out Vector<T> pBar) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var e = ExpNonPositive(NegativeAbs(x));
        var big = Vector<T>.One / (Vector<T>.One + e);
        var small = e * big;
        var positive = Vector.GreaterThanOrEqual(x, Vector<T>.Zero);
        p = Vector.ConditionalSelect(positive, big, small);
        pBar = Vector.ConditionalSelect(positive, small, big);
        return Log1PUnit(e);
    }

    /// <summary>Adds the lanes of <paramref name="v"/> to a double accumulator (float lanes widened first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Accumulate<T>(Vector<double> acc, Vector<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double)) return acc + v.As<T, double>();
        Vector.Widen(v.As<T, float>(), out var lo, out var hi);
        return acc + lo + hi;
    }

    /// <summary>Vectors summed in the element type before their sum is added to the double accumulator of
    /// <see cref="ExpSum{T}"/>: each lane then adds at most 16 values of at most 1 in float (a relative error below
    /// 1e-6), and the widening to double is paid once per 16 vectors instead of once per vector.</summary>
    private const int ExpSumBlock = 16;

    /// <summary>Writes <c>exp((x - shift) * scale)</c> into <paramref name="e"/> (which may be <paramref name="x"/>
    /// itself) for a shift at least every x and a scale &gt; 0 (arguments &lt;= 0: <see cref="ExpNonPositive{T}"/>, so
    /// a term more than about 87 below the shift is about 1.2e-38 instead of 0, at a fifth less time than
    /// <see cref="Exp{T}"/>) and returns its sum, accumulated in double (in blocks of <see cref="ExpSumBlock"/> vectors
    /// summed in the element type first): the softmax pass of the row kernels, in one sweep.</summary>
    public static unsafe double ExpSum<T>(ReadOnlySpan<T> x, T shift, T scale, Span<T> e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count, len = x.Length, i = 0;
        var vs = new Vector<T>(shift);
        var vk = new Vector<T>(scale);
        var acc = Vector<double>.Zero;
        fixed (T* px = x, pe = e)
        {
            while (i + width <= len)
            {
                int end = Math.Min(len - width, i + (ExpSumBlock - 1) * width);
                var block = Vector<T>.Zero;
                for (; i <= end; i += width)
                {
                    var v = ExpNonPositive((Vector.Load(px + i) - vs) * vk);
                    Vector.Store(v, pe + i);
                    block += v;
                }
                acc = Accumulate(acc, block);
            }
            double sum = Vector.Sum(acc);
            for (; i < len; i++)
            {
                T v = T.Exp((px[i] - shift) * scale);
                pe[i] = v;
                sum += double.CreateTruncating(v);
            }
            return sum;
        }
    }

    /// <summary>The largest element (the row's shift before exp), with the processor's max (a NaN in the row then
    /// reaches the sum through exp, as with any other max).</summary>
    public static unsafe T Max<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count, len = x.Length, i = 0;
        fixed (T* px = x)
        {
            T max = px[0];
            if (len >= width)
            {
                var m = Vector.Load(px);
                for (i = width; i + width <= len; i += width) m = Vector.MaxNative(m, Vector.Load(px + i));
                for (int j = 0; j < width; j++) max = T.MaxNative(max, m[j]);
            }
            for (; i < len; i++) max = T.MaxNative(max, px[i]);
            return max;
        }
    }

    /// <summary><c>g = g * a + x * b</c> in place, in one sweep.</summary>
    public static unsafe void ScaleAdd<T>(Span<T> g, T a, ReadOnlySpan<T> x, T b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count, len = g.Length, i = 0;
        var va = new Vector<T>(a);
        var vb = new Vector<T>(b);
        fixed (T* pg = g, px = x)
        {
            for (; i + width <= len; i += width) Vector.Store(MultiplyAdd(Vector.Load(px + i), vb, Vector.Load(pg + i) * va), pg + i);
            for (; i < len; i++) pg[i] = T.FusedMultiplyAdd(px[i], b, pg[i] * a);
        }
    }

    /// <summary><c>g = g * a + b</c> in place, in one sweep.</summary>
    public static unsafe void ScaleShift<T>(Span<T> g, T a, T b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count, len = g.Length, i = 0;
        var va = new Vector<T>(a);
        var vb = new Vector<T>(b);
        fixed (T* pg = g)
        {
            for (; i + width <= len; i += width) Vector.Store(MultiplyAdd(Vector.Load(pg + i), va, vb), pg + i);
            for (; i < len; i++) pg[i] = T.FusedMultiplyAdd(pg[i], a, b);
        }
    }
}
