namespace LossLab.Tests.Losses.Ranking;

/// <summary>Plain-double references for the list ranking losses (TF-Ranking's definitions, looped).</summary>
internal static class RankingRef
{
    /// <summary>Per list: the sum of pair losses over valid pairs with y_i &gt; y_j, and their number.</summary>
    public static (double[] sums, int[] counts) Pairwise(double[,] s, double[,] y, bool[,]? mask, Func<double, double> loss, double temperature = 1.0)
    {
        int n = s.GetLength(0), l = s.GetLength(1);
        var sums = new double[n];
        var counts = new int[n];
        for (int q = 0; q < n; q++)
            for (int i = 0; i < l; i++)
                for (int j = 0; j < l; j++)
                {
                    bool vi = y[q, i] >= 0 && (mask?[q, i] ?? true), vj = y[q, j] >= 0 && (mask?[q, j] ?? true);
                    if (!vi || !vj || !(y[q, i] > y[q, j])) continue;
                    sums[q] += loss((s[q, i] - s[q, j]) / temperature);
                    counts[q]++;
                }
        return (sums, counts);
    }

    public static double[] PerList((double[] sums, int[] counts) r) => r.sums.Select((v, i) => r.counts[i] == 0 ? 0 : v / r.counts[i]).ToArray();

    public static double Mean((double[] sums, int[] counts) r) => r.counts.Sum() == 0 ? 0 : r.sums.Sum() / r.counts.Sum();

    public static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));

    public static double[] Flat(double[,] a) => a.Cast<double>().ToArray();
}
