namespace LossLab.Kernels;

/// <summary>
/// Double-precision scalar functions that the fused kernels need beyond <see cref="Math"/>: <c>log(1 + x)</c> and
/// <c>exp(x) - 1</c> accurate near 0 (.NET's <c>double.LogP1</c> and <c>double.ExpM1</c> are computed as
/// <c>Log(x + 1)</c> and <c>Exp(x) - 1</c>, which lose every digit there), softplus and the logistic sigmoid.
/// </summary>
internal static class ScalarMath
{
    /// <summary><c>log(1 + x)</c> for x &gt; -1, accurate to a few ulps (Kahan: <c>log(u) * x / (u - 1)</c>, u = 1 + x rounded).</summary>
    public static double Log1P(double x)
    {
        double u = 1 + x;
        if (u == 1) return x;
        if (double.IsInfinity(u)) return Math.Log(u);
        return Math.Log(u) * x / (u - 1);
    }

    /// <summary><c>exp(x) - 1</c>, accurate to a few ulps (Kahan: <c>(u - 1) * x / log(u)</c>, u = exp(x) rounded).</summary>
    public static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1) return x;
        double um1 = u - 1;
        if (um1 == -1) return -1;
        if (double.IsInfinity(u)) return u;
        return um1 * x / Math.Log(u);
    }

    /// <summary><c>log(1 + exp(x))</c> without overflow.</summary>
    public static double Softplus(double x) => Math.Max(x, 0) + Log1P(Math.Exp(-Math.Abs(x)));

    /// <summary><c>1 / (1 + exp(-x))</c> without overflow, accurate in relative terms on both tails.</summary>
    public static double Sigmoid(double x)
    {
        double e = Math.Exp(-Math.Abs(x));
        return x >= 0 ? 1 / (1 + e) : e / (1 + e);
    }
}
