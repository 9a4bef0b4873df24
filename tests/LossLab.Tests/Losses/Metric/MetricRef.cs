using LossLab.Tests.Support;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Metric;

/// <summary>Plain-double reference pieces for the metric-learning and contrastive tests (written from the formulas, not the library).</summary>
internal static class MetricRef
{
    public static double[][] Rows(int seed, int n, int d, double scale = 1.0)
    {
        var rng = new System.Random(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => (rng.NextDouble() * 2 - 1) * scale).ToArray()).ToArray();
    }

    /// <summary>Random rows grouped as [outer][inner][d] (speakers x utterances, samples x views).</summary>
    public static double[][][] Nested(int seed, int outer, int inner, int d)
    {
        var rows = Rows(seed, outer * inner, d);
        return Enumerable.Range(0, outer).Select(i => rows.Skip(i * inner).Take(inner).ToArray()).ToArray();
    }

    public static Tensor M(double[][][] e) => T.F64(e.SelectMany(a => a.SelectMany(r => r)).ToArray(), e.Length, e[0].Length, e[0][0].Length);

    public static Tensor M(double[][] rows) => T.F64(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length);

    public static double Dot(double[] a, double[] b) => a.Select((v, i) => v * b[i]).Sum();

    public static double Norm(double[] a) => Math.Sqrt(Dot(a, a));

    public static double[] Unit(double[] a)
    {
        double n = Math.Max(Norm(a), 1e-12);
        return a.Select(v => v / n).ToArray();
    }

    public static double Cos(double[] a, double[] b) => Dot(Unit(a), Unit(b));

    public static double Euclid(double[] a, double[] b) => Math.Sqrt(a.Select((v, i) => (v - b[i]) * (v - b[i])).Sum());

    /// <summary>The distance of a registry name between two rows (the Euclidean ones on normalised rows when asked).</summary>
    public static double Distance(string name, double[] a, double[] b, bool normalize = true)
    {
        var x = normalize ? Unit(a) : a;
        var y = normalize ? Unit(b) : b;
        return name switch
        {
            "euclidean" => Euclid(x, y),
            "squared_euclidean" => Math.Pow(Euclid(x, y), 2),
            "cosine" => 1 - Cos(a, b),
            "cosine_similarity" => Cos(a, b),
            _ => throw new ArgumentException(name),
        };
    }

    public static double LogSumExp(IEnumerable<double> values)
    {
        var v = values.ToArray();
        double m = v.Max();
        return m + Math.Log(v.Sum(x => Math.Exp(x - m)));
    }

    public static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));

    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>Every valid (a, p, n) of a labelled batch, lexicographic.</summary>
    public static List<(int a, int p, int n)> AllTriplets(long[] y)
    {
        var list = new List<(int, int, int)>();
        for (int a = 0; a < y.Length; a++)
            for (int p = 0; p < y.Length; p++)
            {
                if (p == a || y[p] != y[a]) continue;
                for (int n = 0; n < y.Length; n++)
                    if (y[n] != y[a]) list.Add((a, p, n));
            }
        return list;
    }
}
