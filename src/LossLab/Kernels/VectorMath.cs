using System.Numerics;

namespace LossLab.Kernels;

/// <summary>
/// Element-wise math on <see cref="Vector{T}"/> for float or double lanes, for the kernels that fuse several
/// functions of each element into one pass in registers (where a chain of <c>TensorPrimitives</c> calls would make a
/// pass per function): exp and log (the runtime's vectorised ones), an accurate <c>log(1 + e)</c> for e in [0, 1],
/// and the logistic sigmoid of both signs from one exponential.
/// </summary>
internal static class VectorMath
{
    /// <summary>e^v per lane.</summary>
    public static Vector<T> Exp<T>(Vector<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return Vector.Exp(v.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector.Exp(v.As<T, double>()).As<double, T>();
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>log v per lane.</summary>
    public static Vector<T> Log<T>(Vector<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return Vector.Log(v.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector.Log(v.As<T, double>()).As<double, T>();
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary><c>log(1 + e)</c> for e in [0, 1], accurate to about an ulp: with <c>u = 1 + e</c> rounded and
    /// <c>delta = (u - 1) - e</c> its rounding error (exact), <c>log(1 + e) = log(u - delta) ~ log(u) - delta / u</c>
    /// (so that tiny e gives e, not 0).</summary>
    public static Vector<T> Log1PUnit<T>(Vector<T> e) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var u = Vector<T>.One + e;
        return Log(u) - ((u - Vector<T>.One) - e) / u;
    }

    /// <summary>
    /// From one exponential <c>e = exp(-|x|)</c>: <c>log(1 + e)</c> (softplus(x) is <c>max(x, 0)</c> plus it, and
    /// logsigmoid(x) is <c>min(x, 0)</c> minus it), <c>p = sigmoid(x)</c> and <c>pBar = 1 - p = sigmoid(-x)</c>, both
    /// accurate in relative terms on either tail (no <c>1 - p</c> cancellation) and finite for any finite x.
    /// </summary>
    public static Vector<T> SigmoidPair<T>(Vector<T> x, out Vector<T> p, out Vector<T> pBar) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var e = Exp(-Vector.Abs(x));
        var big = Vector<T>.One / (Vector<T>.One + e);
        var small = e * big;
        var positive = Vector.GreaterThanOrEqual(x, Vector<T>.Zero);
        p = Vector.ConditionalSelect(positive, big, small);
        pBar = Vector.ConditionalSelect(positive, small, big);
        return Log1PUnit(e);
    }

    /// <summary>Adds the lanes of <paramref name="v"/> to a double accumulator (float lanes widened first).</summary>
    public static Vector<double> Accumulate<T>(Vector<double> acc, Vector<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double)) return acc + v.As<T, double>();
        Vector.Widen(v.As<T, float>(), out var lo, out var hi);
        return acc + lo + hi;
    }
}
