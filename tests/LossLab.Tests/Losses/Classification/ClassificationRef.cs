namespace LossLab.Tests.Losses.Classification;

/// <summary>Plain-double reference formulas for the classification loss tests (written from the formulas, not the library).</summary>
internal static class ClassificationRef
{
    public static double[] LogSoftmax(double[] row)
    {
        double m = row.Max();
        double z = row.Sum(v => Math.Exp(v - m));
        return row.Select(v => v - m - Math.Log(z)).ToArray();
    }

    public static double[][] Rows(double[] flat, int c) =>
        Enumerable.Range(0, flat.Length / c).Select(i => flat.Skip(i * c).Take(c).ToArray()).ToArray();

    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// PyTorch's class-index cross-entropy on rows of logits: per row (1-eps) w[y] (-lp[y]) + eps/C sum_c w[c] (-lp[c]),
    /// 0 for ignored rows; returns the per-row values and the mean's denominator sum w[y] over kept rows.
    /// </summary>
    public static (double[] per, double den) CrossEntropy(double[][] logits, long[] y, double[]? w, long ignore, double eps)
    {
        int n = logits.Length, c = logits[0].Length;
        var per = new double[n];
        double den = 0;
        for (int i = 0; i < n; i++)
        {
            if (y[i] == ignore) continue;
            var lp = LogSoftmax(logits[i]);
            double wy = w?[y[i]] ?? 1;
            double smooth = 0;
            for (int k = 0; k < c; k++) smooth += (w?[k] ?? 1) * -lp[k];
            per[i] = (1 - eps) * wy * -lp[y[i]] + eps / c * smooth;
            den += wy;
        }
        return (per, den);
    }

    /// <summary>PyTorch's probability-target cross-entropy per row: -sum_c w[c] ((1-eps) t[c] + eps/C) lp[c].</summary>
    public static double[] SoftCrossEntropy(double[][] logits, double[][] t, double[]? w, double eps)
    {
        int c = logits[0].Length;
        return logits.Select((row, i) =>
        {
            var lp = LogSoftmax(row);
            double s = 0;
            for (int k = 0; k < c; k++) s -= (w?[k] ?? 1) * ((1 - eps) * t[i][k] + eps / c) * lp[k];
            return s;
        }).ToArray();
    }
}
