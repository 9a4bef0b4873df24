using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Population;

public class NoveltyTests
{
    private static readonly double[] Archive = { 0, 0, 1, 0, 0, 2, 5, 5, -3, 0 };   // (5, 2)

    [Fact]
    public void IsTheMeanDistanceToTheKNearestArchivePoints()
    {
        // query (0, 1): distances to archive = 1, sqrt 2, 1, sqrt 41, sqrt 10 -> k=3 nearest: 1, 1, sqrt 2
        var q = T.F64(new[] { 0.0, 1, 4, 4 }, 2, 2);
        double n0 = (1 + 1 + Math.Sqrt(2)) / 3;
        // query (4, 4): distances sqrt 32, sqrt 25 = 5, sqrt 20, sqrt 2, sqrt 65 -> sqrt 2, sqrt 20, 5
        double n1 = (Math.Sqrt(2) + Math.Sqrt(20) + 5) / 3;
        T.Close(new[] { n0, n1 }, LossLab.Losses.novelty(q, T.F64(Archive, 5, 2), 3, reduction: Reduction.None));
        T.Close((n0 + n1) / 2, LossLab.Losses.novelty(q, T.F64(Archive, 5, 2), 3));
        T.Close(n0 + n1, LossLab.Losses.novelty(q, T.F64(Archive, 5, 2), 3, reduction: Reduction.Sum));
        // k = 1 with L1 distance: nearest of (0,1) is at L1 distance 1
        T.Close(new[] { 1.0, 2.0 }, LossLab.Losses.novelty(q, T.F64(Archive, 5, 2), 1, p: 1, reduction: Reduction.None));
    }

    [Fact]
    public void GradientFlowsToTheQueryAlongItsNeighbours()
    {
        // k = 1: nov = |q - a*|, gradient the unit vector away from the nearest point
        var g = T.Grad(q => LossLab.Losses.novelty(q, T.F64(Archive, 5, 2), 1), T.F64(new[] { 4.0, 4 }, 1, 2));
        T.Close(new[] { -1 / Math.Sqrt(2), -1 / Math.Sqrt(2) }, g);
        // a query sitting on an archive point: zero (not NaN) gradient from that point
        T.Finite(T.Grad(q => LossLab.Losses.novelty(q, T.F64(Archive, 5, 2), 2), T.F64(new[] { 1.0, 0 }, 1, 2)), "gradient");
        var big = T.F32(new float[] { 1e4f, -1e4f }, 1, 2);
        T.Finite(T.Grad(q => LossLab.Losses.novelty(q, T.F32(Archive.Select(v => (float)v).ToArray(), 5, 2), 3), big), "gradient");
    }

    [Fact]
    public void ChunkedAndUnchunkedAgree()
    {
        var q = torch.randn(9, 3, dtype: ScalarType.Float64, generator: new Generator(2));
        var a = torch.randn(20, 3, dtype: ScalarType.Float64, generator: new Generator(3));
        var whole = LossLab.Losses.novelty(q, a, 4, reduction: Reduction.None);
        foreach (long chunk in new long[] { 1, 2, 5, 9 })
        {
            T.Close(T.Values(whole), LossLab.Losses.novelty(q, a, 4, chunk_size: chunk, reduction: Reduction.None));
            T.Close(T.Values(T.Grad(v => LossLab.Losses.novelty(v, a, 4), q)), T.Grad(v => LossLab.Losses.novelty(v, a, 4, chunk_size: chunk), q));
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var q = T.F64(new[] { 0.0, 1 }, 1, 2);
        Assert.Contains("'k'", Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.novelty(q, T.F64(Archive, 5, 2), 6)).Message);
        Assert.Contains("archive", Assert.Throws<ArgumentException>(() => LossLab.Losses.novelty(q, T.F64(new[] { 1.0, 2, 3 }, 1, 3), 1)).Message);
        Assert.Contains("behaviours", Assert.Throws<ArgumentException>(() => LossLab.Losses.novelty(T.I64(1, 2), T.F64(Archive, 5, 2), 1)).Message);
        T.Close(1.0, new LossLab.NoveltyLoss(1).forward(q, T.F64(Archive, 5, 2)));
    }
}
