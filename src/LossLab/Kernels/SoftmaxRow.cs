using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace LossLab.Kernels;

/// <summary>
/// The softmax pass that the row kernels share: the row's maximum, then <c>exp((x - max) / tau)</c> written into a
/// buffer (usually the gradient's row, which the kernel then scales in place) and summed in double, in one sweep
/// (<see cref="VectorMath.ExpSum{T}"/>). The row is read from
/// memory once; the second pass finds it in cache.
/// </summary>
internal static class SoftmaxRow
{
    /// <summary>Writes <c>exp(row - max)</c> into <paramref name="e"/> (which may be <paramref name="row"/> itself) and
    /// returns its sum; <paramref name="logSumExp"/> is <c>max + log(sum)</c>, in double.</summary>
    public static double Exp<T>(ReadOnlySpan<T> row, Span<T> e, out double logSumExp) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = VectorMath.Max(row);
        double sum = VectorMath.ExpSum(row, max, T.One, e);
        logSumExp = double.CreateTruncating(max) + Math.Log(sum);
        return sum;
    }

    /// <summary>Writes <c>exp((row - max) / tau)</c> into <paramref name="e"/> (which may be <paramref name="row"/>
    /// itself) and returns its sum; <paramref name="value"/> is <c>tau * logsumexp(row / tau) = max + tau * log(sum)</c>.</summary>
    public static double Exp<T>(ReadOnlySpan<T> row, Span<T> e, double temperature, out double value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (temperature == 1.0) return Exp(row, e, out value);
        T max = VectorMath.Max(row);
        double sum = VectorMath.ExpSum(row, max, T.CreateTruncating(1.0 / temperature), e);
        value = double.CreateTruncating(max) + temperature * Math.Log(sum);
        return sum;
    }

    /// <summary><c>g = g * a + b</c> in place (the usual last step: scale the exponentials into the gradient).</summary>
    public static void ScaleShift<T>(Span<T> g, double a, double b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (b == 0) TensorPrimitives.Multiply(g, T.CreateTruncating(a), g);
        else VectorMath.ScaleShift(g, T.CreateTruncating(a), T.CreateTruncating(b));
    }

    /// <summary>
    /// The gradient of a loss that depends on the row through <c>L = log p_t</c> alone, <c>l = f(L)</c>: with
    /// <c>dL/dx_j = delta_jt - p_j</c>, <c>dl/dx_j = D (delta_jt - p_j)</c> for <c>D = f'(L)</c>. Turns the
    /// exponentials <paramref name="g"/> (summing to <paramref name="sum"/>) into <c>c * D (delta_jt - p_j)</c>, the
    /// target entry written as <c>c * D * q</c> from <c>q = 1 - p_t</c> computed without cancellation.
    /// </summary>
    public static void TargetLogProbGradient<T>(Span<T> g, int t, double sum, double d, double q, double c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Multiply(g, T.CreateTruncating(-d * c / sum), g);
        g[t] = T.CreateTruncating(d * q * c);
    }
}
