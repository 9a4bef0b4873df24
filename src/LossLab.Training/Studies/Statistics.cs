namespace LossLab.Training.Studies;

/// <summary>Summary statistics across seeds: mean, 95% confidence interval (Student t), and the paired t-test.</summary>
public static class Statistics
{
    /// <summary>A mean with its 95% confidence interval half-width (NaN for one value) and the sample size.</summary>
    /// <param name="Mean">The mean.</param>
    /// <param name="HalfWidth">Half the width of the 95% t-interval.</param>
    /// <param name="N">How many values.</param>
    public sealed record Interval(double Mean, double HalfWidth, int N)
    {
        /// <summary>As <c>mean ± half-width</c>.</summary>
        public string Format(string format = "F4") => N < 2 || double.IsNaN(HalfWidth)
            ? Mean.ToString(format, System.Globalization.CultureInfo.InvariantCulture)
            : Mean.ToString(format, System.Globalization.CultureInfo.InvariantCulture) + " ± " + HalfWidth.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The mean and 95% t-interval of a sample.</summary>
    /// <exception cref="ArgumentException">The sample is empty.</exception>
    public static Interval MeanCi(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("no values to summarise", nameof(values));
        double mean = values.Average();
        if (values.Count < 2) return new Interval(mean, double.NaN, values.Count);
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new Interval(mean, StudentQuantile(0.975, values.Count - 1) * sd / Math.Sqrt(values.Count), values.Count);
    }

    /// <summary>
    /// The two-sided paired t-test of <c>a - b</c> (same seeds): the mean difference, the t statistic and the p-value.
    /// With fewer than two pairs, or no variation in the differences, the p-value is NaN.
    /// </summary>
    public static (double MeanDiff, double T, double P) PairedT(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException($"paired samples differ in size ({a.Count} and {b.Count})");
        var d = a.Zip(b, (x, y) => x - y).ToList();
        if (d.Count == 0) return (double.NaN, double.NaN, double.NaN);
        double mean = d.Average();
        if (d.Count < 2) return (mean, double.NaN, double.NaN);
        double sd = Math.Sqrt(d.Sum(v => (v - mean) * (v - mean)) / (d.Count - 1));
        if (sd == 0) return (mean, double.NaN, double.NaN);
        double t = mean / (sd / Math.Sqrt(d.Count));
        return (mean, t, 2 * StudentSf(Math.Abs(t), d.Count - 1));
    }

    /// <summary>The survival function P(T &gt; t) of Student's t with <paramref name="df"/> degrees of freedom.</summary>
    public static double StudentSf(double t, double df) => 0.5 * RegularizedIncompleteBeta(df / 2, 0.5, df / (df + t * t));

    /// <summary>The quantile of Student's t (bisection on the CDF; exact to 1e-12).</summary>
    public static double StudentQuantile(double p, double df)
    {
        if (p <= 0 || p >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "must be in (0, 1)");
        if (p < 0.5) return -StudentQuantile(1 - p, df);
        double lo = 0, hi = 1;
        while (1 - StudentSf(hi, df) < p) hi *= 2;
        for (int i = 0; i < 200 && hi - lo > 1e-13; i++)
        {
            double mid = (lo + hi) / 2;
            if (1 - StudentSf(mid, df) < p) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }

    /// <summary>The regularized incomplete beta function I_x(a, b) (continued fraction, Numerical Recipes' Lentz form).</summary>
    public static double RegularizedIncompleteBeta(double a, double b, double x)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double lnFront = LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x);
        if (x > (a + 1) / (a + b + 2)) return 1 - Math.Exp(lnFront) * BetaFraction(b, a, 1 - x) / b;
        return Math.Exp(lnFront) * BetaFraction(a, b, x) / a;
    }

    private static double BetaFraction(double a, double b, double x)
    {
        const double tiny = 1e-300;
        double c = 1, d = 1 - (a + b) * x / (a + 1);
        if (Math.Abs(d) < tiny) d = tiny;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= 500; m++)
        {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + aa * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + aa / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d; h *= d * c;
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + aa * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + aa / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            double del = d * c;
            h *= del;
            if (Math.Abs(del - 1) < 1e-15) break;
        }
        return h;
    }

    /// <summary>log Gamma(x) for x &gt; 0 (Lanczos approximation, about 15 digits).</summary>
    public static double LogGamma(double x)
    {
        double[] g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        x -= 1;
        double s = g[0];
        for (int i = 1; i < 9; i++) s += g[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(s);
    }
}
