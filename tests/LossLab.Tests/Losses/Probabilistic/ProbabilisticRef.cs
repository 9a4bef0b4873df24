namespace LossLab.Tests.Losses.Probabilistic;

/// <summary>Reference computations over categorical distributions in plain doubles, independent of the library.</summary>
internal static class ProbabilisticRef
{
    /// <summary>softmax of one row of logits (max-shifted).</summary>
    public static double[] Softmax(double[] logits)
    {
        double m = logits.Max();
        var e = logits.Select(v => Math.Exp(v - m)).ToArray();
        double s = e.Sum();
        return e.Select(v => v / s).ToArray();
    }

    /// <summary>probabilities divided by their total.</summary>
    public static double[] Normalise(double[] p)
    {
        double s = p.Sum();
        return p.Select(v => v / s).ToArray();
    }

    /// <summary>KL(p || q) = sum p log(p / q), with 0 log 0 = 0.</summary>
    public static double Kl(double[] p, double[] q)
    {
        double s = 0;
        for (int i = 0; i < p.Length; i++)
            if (p[i] > 0) s += p[i] * Math.Log(p[i] / q[i]);
        return s;
    }

    /// <summary>Jensen-Shannon divergence in nats.</summary>
    public static double Js(double[] p, double[] q)
    {
        var m = p.Zip(q, (a, b) => 0.5 * (a + b)).ToArray();
        return 0.5 * Kl(p, m) + 0.5 * Kl(q, m);
    }

    /// <summary>Shannon entropy in nats.</summary>
    public static double Entropy(double[] p) => -p.Where(v => v > 0).Sum(v => v * Math.Log(v));

    /// <summary>Row r of a row-major (rows, cols) array.</summary>
    public static double[] Row(double[] data, int cols, int r) => data.Skip(r * cols).Take(cols).ToArray();
}
