using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Classification;

public class FocalTests
{
    // Reference: per sample -(1 - p)^gamma log p with p the softmax probability of the target, worked out in plain doubles.
    private static double[] Reference(double[,] x, long[] y, double gamma)
    {
        int n = x.GetLength(0), c = x.GetLength(1);
        var res = new double[n];
        for (int i = 0; i < n; i++)
        {
            double m = double.NegativeInfinity;
            for (int j = 0; j < c; j++) m = Math.Max(m, x[i, j]);
            double z = 0;
            for (int j = 0; j < c; j++) z += Math.Exp(x[i, j] - m);
            double logp = x[i, y[i]] - m - Math.Log(z);
            res[i] = -Math.Pow(1 - Math.Exp(logp), gamma) * logp;
        }
        return res;
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(2.0)]
    [InlineData(3.5)]
    public void MatchesHandComputedValues(double gamma)
    {
        var x = new double[,] { { 1.0, -0.5, 2.0 }, { 0.3, 0.1, -1.2 }, { -2.0, 3.0, 0.5 } };
        var y = new long[] { 2, 0, 0 };
        var want = Reference(x, y, gamma);
        var got = LossLab.Losses.focal_loss(T.F64(x.Cast<double>().ToArray(), 3, 3), T.I64(y), gamma, reduction: Reduction.None);
        T.Close(want, got);
        T.Close(want.Average(), LossLab.Losses.focal_loss(T.F64(x.Cast<double>().ToArray(), 3, 3), T.I64(y), gamma));
    }

    [Fact]
    public void GammaZeroIsCrossEntropy()
    {
        var x = torch.randn(7, 5, dtype: ScalarType.Float64, generator: new Generator(3));
        var y = torch.randint(0, 5, new long[] { 7 }, generator: new Generator(4));
        var focal = LossLab.Losses.focal_loss(x, y, 0.0);
        var ce = torch.nn.functional.cross_entropy(x, y);
        T.Close(T.Scalar(ce), focal);
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = T.F32(new float[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 3f }, 2, 3);
        var y = T.I64(1, 1);
        foreach (double gamma in new[] { 0.0, 0.5, 2.0 })
        {
            var loss = LossLab.Losses.focal_loss(x, y, gamma);
            T.Finite(loss, "loss");
            T.Finite(T.Grad(v => LossLab.Losses.focal_loss(v, y, gamma), x), "gradient");
        }
    }

    [Fact]
    public void WeightsAndIgnoreIndexGiveTheWeightedMeanOverKeptSamples()
    {
        var x = new double[,] { { 1.0, -0.5, 2.0 }, { 0.3, 0.1, -1.2 }, { -2.0, 3.0, 0.5 } };
        var per = Reference(x, new long[] { 2, 0, 1 }, 2.0);
        double[] w = { 0.5, 2.0, 1.5 };
        // sample 1 ignored: weighted mean over samples 0 (class 2) and 2 (class 1)
        double want = (w[2] * per[0] + w[1] * per[2]) / (w[2] + w[1]);
        var got = LossLab.Losses.focal_loss(T.F64(x.Cast<double>().ToArray(), 3, 3), T.I64(2, -100, 1), 2.0, T.F64(w), ignore_index: -100);
        T.Close(want, got);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(4, 3, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => LossLab.Losses.focal_loss(x, T.I64(0, 1, 3, 0)));
        Assert.Contains("target", e1.Message);
        Assert.Contains("[0, 2]", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => LossLab.Losses.focal_loss(x, T.I64(0, 1, 2)));
        Assert.Contains("batch size", e2.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.focal_loss(x, T.I64(0, 1, 2, 0), gamma: -1));
        var e3 = Assert.Throws<ArgumentException>(() => LossLab.Losses.focal_loss(torch.zeros(4, 3, dtype: ScalarType.Int64), T.I64(0, 1, 2, 0)));
        Assert.Contains("floating-point", e3.Message);
    }
}
