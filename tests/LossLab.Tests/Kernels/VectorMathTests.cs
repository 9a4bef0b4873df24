using System.Numerics;
using LossLab.Kernels;
using Xunit;

namespace LossLab.Tests.Kernels;

/// <summary>The kernels' own vector exp and log1p, and the scalar log1p / expm1, against double-precision references.</summary>
public class VectorMathTests
{
    private static float[] Lanes(Func<Vector<float>, Vector<float>> f, float[] xs)
    {
        int w = Vector<float>.Count;
        var result = new float[xs.Length];
        for (int i = 0; i < xs.Length; i += w)
        {
            var chunk = new float[w];
            Array.Copy(xs, i, chunk, 0, Math.Min(w, xs.Length - i));
            var v = f(new Vector<float>(chunk));
            for (int j = 0; j < w && i + j < xs.Length; j++) result[i + j] = v[j];
        }
        return result;
    }

    private static void WithinUlps(Func<double, double> exact, float[] xs, float[] got, double ulps, string what)
    {
        for (int i = 0; i < xs.Length; i++)
        {
            double want = exact(xs[i]);
            double tolerance = ulps * Math.Max(Math.Abs(want) * Math.Pow(2, -23), float.Epsilon);
            Assert.True(Math.Abs(got[i] - want) <= tolerance, $"{what}({xs[i]:R}) = {got[i]:R}, want {want:R}");
        }
    }

    [Fact]
    public void FloatExpIsWithinTwoUlpsAndUnderflowsToZero()
    {
        var xs = Enumerable.Range(0, 200_001).Select(i => (float)(-87.3 + i * (87.3 + 88.0) / 200_000)).Append(0f).Append(-1e-8f).ToArray();
        WithinUlps(Math.Exp, xs, Lanes(VectorMath.Exp, xs), 2, "exp");
        var tiny = Lanes(VectorMath.Exp, new[] { -88f, -100f, -1e4f, float.NegativeInfinity });
        Assert.All(tiny, v => Assert.Equal(0f, v));
        Assert.True(float.IsNaN(Lanes(VectorMath.Exp, new[] { float.NaN })[0]));
    }

    [Fact]
    public void FloatExpOfNonPositiveArgumentsIsWithinTwoUlpsAndStaysAtLeastFltMin()
    {
        var xs = Enumerable.Range(0, 100_001).Select(i => (float)(-87.3 * i / 100_000)).Append(-1e-8f).Append(-0f).ToArray();
        WithinUlps(Math.Exp, xs, Lanes(VectorMath.ExpNonPositive, xs), 2, "exp");
        // below ln(FLT_MIN) the argument is clamped: about FLT_MIN, never 0 and never subnormal
        var tiny = Lanes(VectorMath.ExpNonPositive, new[] { -88f, -100f, -1e4f, float.NegativeInfinity });
        Assert.All(tiny, v => Assert.InRange(v, 1.17e-38f, 1.18e-38f));
        Assert.True(float.IsNaN(Lanes(VectorMath.ExpNonPositive, new[] { float.NaN })[0]));
    }

    [Fact]
    public void SigmoidPairIsAccurateOnBothTailsAndKeepsNaN()
    {
        var xs = Enumerable.Range(0, 4001).Select(i => (float)(-80 + i * 0.04)).Concat(new[] { -1e4f, 1e4f, -1e-20f, 0f }).ToArray();
        float[] Part(int which) => Lanes(v =>
        {
            var lg = VectorMath.SigmoidPair(v, out var p, out var pBar);
            return which == 0 ? p : which == 1 ? pBar : lg;
        }, xs);
        var p = Part(0);
        var pBar = Part(1);
        var lg = Part(2);
        for (int i = 0; i < xs.Length; i++)
        {
            double x = xs[i];
            double wantP = 1 / (1 + Math.Exp(-x)), wantPBar = 1 / (1 + Math.Exp(x));
            double u = Math.Exp(-Math.Abs(x));
            double wantLg = u < 1e-5 ? u - u * u / 2 + u * u * u / 3 : Math.Log(1 + u); // the series where 1 + u rounds
            // relative accuracy on either tail (no 1 - p); beyond |x| of about 87 the small side is about FLT_MIN
            foreach (var (got, want, name) in new[] { (p[i], wantP, "p"), (pBar[i], wantPBar, "pBar"), (lg[i], wantLg, "log1p") })
            {
                double tolerance = want < 1.2e-38 ? 1.2e-38 : 4 * Math.Pow(2, -23) * want;
                Assert.True(Math.Abs(got - want) <= tolerance, $"{name}({x:R}) = {got:R}, want {want:R}");
            }
        }
        var nan = Lanes(v => VectorMath.SigmoidPair(v, out var q, out var qBar) + q + qBar, new[] { float.NaN });
        Assert.True(float.IsNaN(nan[0]));
        Assert.True(float.IsNaN(Lanes(v => { VectorMath.SigmoidPair(v, out var q, out _); return q; }, new[] { float.NaN })[0]));
        Assert.True(float.IsNaN(Lanes(v => { VectorMath.SigmoidPair(v, out _, out var qBar); return qBar; }, new[] { float.NaN })[0]));
    }

    [Fact]
    public void NegatedMultiplyAddAndMultiplySubtractAreFused()
    {
        // a b = 1 - 2^-24 exactly in double; rounded to float first it would be 1, and the difference 0
        float a = 1 + MathF.Pow(2, -12), b = 1 - MathF.Pow(2, -12);
        double exact = (double)a * b - 1;
        Assert.NotEqual(0.0, exact);
        Assert.Equal((float)exact, VectorMath.MultiplySubtract(new Vector<float>(a), new Vector<float>(b), Vector<float>.One)[0]);
        Assert.Equal((float)-exact, VectorMath.NegatedMultiplyAdd(new Vector<float>(a), new Vector<float>(b), Vector<float>.One)[0]);
        Assert.Equal(-0.5, VectorMath.NegatedMultiplyAdd(new Vector<double>(1.5), new Vector<double>(2.0), new Vector<double>(2.5))[0]);
        Assert.Equal(0.5, VectorMath.MultiplySubtract(new Vector<double>(1.5), new Vector<double>(2.0), new Vector<double>(2.5))[0]);
    }

    [Fact]
    public void FloatLog1PIsWithinTwoUlpsDownToTinyArguments()
    {
        var xs = Enumerable.Range(0, 100_001).Select(i => i / 100_000f)
            .Concat(Enumerable.Range(1, 40).Select(k => (float)Math.Pow(2, -k * 3))).ToArray();
        WithinUlps(ScalarMath.Log1P, xs, Lanes(VectorMath.Log1PUnit, xs), 2, "log1p");
    }

    [Fact]
    public void DoubleLog1PAndTheScalarFunctionsAreAccurate()
    {
        foreach (var e in new[] { 0.0, 1e-300, 1e-17, 1e-9, 0.3, 0.41421356, 0.5, 1.0 })
        {
            double want = e < 1e-8 ? e - e * e / 2 : Math.Log(1 + e); // series where 1 + e rounds
            Assert.Equal(want, VectorMath.Log1PUnit(new Vector<double>(e))[0], 15);
            Assert.Equal(want, ScalarMath.Log1P(e), 15);
        }
        Assert.True(Math.Abs(ScalarMath.ExpM1(-1e-12) - (-1e-12 + 5e-25)) <= 1e-27);
        Assert.Equal(Math.Exp(-0.5) - 1, ScalarMath.ExpM1(-0.5), 15);
        Assert.Equal(-1.0, ScalarMath.ExpM1(-800));
        Assert.True(Math.Abs(ScalarMath.Softplus(-46.0517018598809) - 1e-20) <= 1e-33);
        Assert.Equal(1.0, ScalarMath.Sigmoid(800));
    }

    [Fact]
    public void ExpSumCoversTheTailAndSumsInDouble()
    {
        // blocks of 16 vectors are summed in float first (at most 16 values of at most e^1.75 per lane here), then in
        // double: within 1e-6 of the exact sum of the float values; 1000 and 4099 span many blocks and a tail
        foreach (int len in new[] { 1, 7, 8, 9, 33, 129, 1000, 4099 })
        {
            var x = Enumerable.Range(0, len).Select(i => (float)Math.Sin(i) * 5).ToArray();
            var e = new float[len];
            double sum = VectorMath.ExpSum<float>(x, 1.5f, 0.5f, e);
            for (int i = 0; i < len; i++)
            {
                double want = Math.Exp((x[i] - 1.5) * 0.5);
                Assert.True(Math.Abs(e[i] - want) <= 3e-7 * want, $"exp at {i}: {e[i]:R}, want {want:R}");
            }
            double exact = e.Sum(v => (double)v);
            Assert.True(Math.Abs(sum - exact) <= 1e-6 * exact, $"len {len}: sum {sum:R}, want {exact:R}");
        }
        // terms far below the shift (the softmax of a saturated row): at most about FLT_MIN, never NaN; NaN stays NaN
        var far = new float[] { 0f, -200f, -1e4f, -90f, -100f, -300f, -87.5f, -88f, -1000f };
        var ef = new float[far.Length];
        double total = VectorMath.ExpSum<float>(far, 0f, 1f, ef);
        Assert.Equal(1f, ef[0]);
        Assert.All(ef.Skip(1), v => Assert.InRange(v, 0f, 1.2e-38f));
        Assert.Equal(1.0, total, 12);
        var withNaN = new float[] { 0f, float.NaN, -1f, -2f, -3f, -4f, -5f, -6f };
        Assert.True(double.IsNaN(VectorMath.ExpSum<float>(withNaN, 0f, 1f, new float[8])));
    }
}
