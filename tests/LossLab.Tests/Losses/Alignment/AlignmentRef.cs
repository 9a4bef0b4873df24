using LossLab.Tests.Support;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Alignment;

/// <summary>Plain-double reference pieces for the alignment tests (independent of the library).</summary>
internal static class AlignmentRef
{
    public static double LogSigmoid(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));

    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>Masked sum (or mean) of each row.</summary>
    public static double[] Seq(double[,] logps, double[,] mask, bool average)
    {
        int b = logps.GetLength(0), t = logps.GetLength(1);
        var res = new double[b];
        for (int i = 0; i < b; i++)
        {
            double s = 0, n = 0;
            for (int j = 0; j < t; j++)
                if (mask[i, j] != 0) { s += logps[i, j]; n++; }
            res[i] = average ? s / n : s;
        }
        return res;
    }

    public static Tensor V(params double[] v) => T.F64(v);

    public static Tensor F(double[,] a) => T.F64(a.Cast<double>().ToArray(), a.GetLength(0), a.GetLength(1));

    // A small batch of 3 sequences with padding (mask 0 entries hold garbage that must be ignored).
    public static readonly double[,] ChosenLogps = { { -0.5, -1.2, -0.3, -9.0 }, { -2.0, -0.1, -7.0, -7.0 }, { -0.7, -0.4, -0.9, -1.1 } };
    public static readonly double[,] ChosenMask = { { 1, 1, 1, 0 }, { 1, 1, 0, 0 }, { 1, 1, 1, 1 } };
    public static readonly double[,] RejectedLogps = { { -1.5, -0.2, -8.0 }, { -0.6, -1.9, -2.4 }, { -3.0, -5.0, -5.0 } };
    public static readonly double[,] RejectedMask = { { 1, 1, 0 }, { 1, 1, 1 }, { 1, 0, 0 } };
    public static readonly double[,] RefChosen = { { -0.8, -1.0, -0.6, -3.0 }, { -1.5, -0.4, -3.0, -3.0 }, { -0.9, -0.2, -1.0, -0.8 } };
    public static readonly double[,] RefRejected = { { -1.1, -0.5, -3.0 }, { -0.9, -1.2, -2.0 }, { -2.0, -4.0, -4.0 } };
}
