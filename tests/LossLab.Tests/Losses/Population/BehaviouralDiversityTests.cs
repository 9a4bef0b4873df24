using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Population;

public class BehaviouralDiversityTests
{
    private static readonly double[] B = { 0, 0, 3, 4, 1, 1, -2, 0.5 };   // (4, 2)

    private static double Dist(double[] x, int i, int j, double p) =>
        Math.Pow(Math.Pow(Math.Abs(x[2 * i] - x[2 * j]), p) + Math.Pow(Math.Abs(x[2 * i + 1] - x[2 * j + 1]), p), 1 / p);

    [Theory]
    [InlineData(2.0)]
    [InlineData(1.0)]
    [InlineData(3.0)]
    public void IsTheMeanPairwiseDistance(double p)
    {
        double sum = 0;
        for (int i = 0; i < 4; i++)
            for (int j = i + 1; j < 4; j++) sum += Dist(B, i, j, p);
        T.Close(sum / 6, LossLab.Losses.behavioural_diversity(T.F64(B, 4, 2), p));
        var per = Enumerable.Range(0, 4).Select(i => Enumerable.Range(0, 4).Where(j => j != i).Sum(j => Dist(B, i, j, p)) / 3).ToArray();
        T.Close(per, LossLab.Losses.behavioural_diversity(T.F64(B, 4, 2), p, reduction: Reduction.None));
        T.Close(per.Sum(), LossLab.Losses.behavioural_diversity(T.F64(B, 4, 2), p, reduction: Reduction.Sum));
        Assert.Equal(5.0, Dist(B, 0, 1, 2), 12);
    }

    [Fact]
    public void ChunkedAndUnchunkedAgreeInValueAndGradient()
    {
        var x = torch.randn(11, 3, dtype: ScalarType.Float64, generator: new Generator(5));
        var whole = LossLab.Losses.behavioural_diversity(x, reduction: Reduction.None);
        foreach (long chunk in new long[] { 1, 4, 10, 11, 50 })
        {
            T.Close(T.Values(whole), LossLab.Losses.behavioural_diversity(x, chunk_size: chunk, reduction: Reduction.None));
            T.Close(T.Values(T.Grad(v => LossLab.Losses.behavioural_diversity(v), x)), T.Grad(v => LossLab.Losses.behavioural_diversity(v, chunk_size: chunk), x));
        }
    }

    [Fact]
    public void GradientPushesMembersApartAndIsZeroNotNaNForDuplicates()
    {
        // two members: D = |b0 - b1|, gradient +-unit vector
        var g = T.Grad(v => LossLab.Losses.behavioural_diversity(v), T.F64(new[] { 0.0, 0, 3, 4 }, 2, 2));
        T.Close(new[] { -0.6, -0.8, 0.6, 0.8 }, g);
        var dup = T.Grad(v => LossLab.Losses.behavioural_diversity(v), T.F64(new[] { 1.0, 2, 1, 2, 0, 0 }, 3, 2));
        T.Finite(dup, "gradient at duplicate members");
        var big = T.F32(new float[] { 1e4f, -1e4f, -1e4f, 1e4f, 0f, 0f }, 3, 2);
        T.Finite(LossLab.Losses.behavioural_diversity(big), "value");
        T.Finite(T.Grad(v => LossLab.Losses.behavioural_diversity(v), big), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        Assert.Contains("behaviours", Assert.Throws<ArgumentException>(() => LossLab.Losses.behavioural_diversity(T.F64(new[] { 1.0, 2 }, 1, 2))).Message);
        Assert.Contains("behaviours", Assert.Throws<ArgumentException>(() => LossLab.Losses.behavioural_diversity(T.F64(B))).Message);
        Assert.Contains("'p'", Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.behavioural_diversity(T.F64(B, 4, 2), 0.5)).Message);
        Assert.Contains("chunk_size", Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.behavioural_diversity(T.F64(B, 4, 2), chunk_size: -1)).Message);
        T.Close(T.Scalar(LossLab.Losses.behavioural_diversity(T.F64(B, 4, 2))), new LossLab.BehaviouralDiversityLoss(chunk_size: 2).forward(T.F64(B, 4, 2)));
    }
}
