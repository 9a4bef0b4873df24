using LossLab.Distances;
using LossLab.Miners;
using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;
using R = LossLab.Tests.Losses.Metric.MetricRef;

namespace LossLab.Tests.Losses.Metric;

public class TripletTests
{
    private static readonly long[] Y = { 3, 1, 3, 2, 1, 3, 2, 2, 9 };

    // Brute force: every valid triplet, in (a, p, n) order, with the distance in plain doubles.
    private static double[] BruteForce(double[][] e, long[] y, string distance, bool normalize, double margin, bool soft)
    {
        return R.AllTriplets(y).Select(t =>
        {
            double ap = R.Distance(distance, e[t.a], e[t.p], normalize), an = R.Distance(distance, e[t.a], e[t.n], normalize);
            double v = (distance == "cosine_similarity" ? an - ap : ap - an) + margin;
            return soft ? R.Softplus(v) : Math.Max(0, v);
        }).ToArray();
    }

    [Theory]
    [InlineData("euclidean", true, 0.05, false)]
    [InlineData("euclidean", false, 0.5, false)]
    [InlineData("squared_euclidean", true, 0.2, false)]
    [InlineData("squared_euclidean", false, 1.0, true)]
    [InlineData("cosine", true, 0.1, false)]
    [InlineData("cosine_similarity", true, 0.1, false)]
    [InlineData("euclidean", true, 0.0, true)]
    public void AllTripletsEqualsABruteForceLoop(string distance, bool normalize, double margin, bool soft)
    {
        var e = R.Rows(11, Y.Length, 4);
        var each = BruteForce(e, Y, distance, normalize, margin, soft);
        var d = DistanceNames.Parse(distance, normalize);
        T.Close(each, F.triplet_loss(R.M(e), T.I64(Y), new AllTriplets(), d, margin, soft, reduction: Reduction.None), 1e-10, 1e-12);
        T.Close(each.Sum(), F.triplet_loss(R.M(e), T.I64(Y), null, d, margin, soft, reduction: Reduction.Sum), 1e-10, 1e-12);
        T.Close(each.Average(), F.triplet_loss(R.M(e), T.I64(Y), null, d, margin, soft), 1e-10, 1e-12);
        var nonzero = each.Where(v => v > 0).ToArray();
        T.Close(nonzero.Length == 0 ? 0 : nonzero.Average(), F.triplet_loss(R.M(e), T.I64(Y), null, d, margin, soft, avg_nonzero: true), 1e-10, 1e-12);
    }

    [Fact]
    public void DefaultsArePytorchMetricLearnings()
    {
        // All triplets, Euclidean distance on normalised embeddings, margin 0.05, mean.
        var e = R.Rows(12, Y.Length, 3);
        T.Close(BruteForce(e, Y, "euclidean", true, 0.05, false).Average(), F.triplet_loss(R.M(e), T.I64(Y)), 1e-10);
        T.Close(BruteForce(e, Y, "euclidean", true, 0.05, false).Average(), new TripletLoss().forward(R.M(e), T.I64(Y)), 1e-10);
    }

    [Theory]
    [InlineData("all")]
    [InlineData("batch_hard")]
    [InlineData("semi_hard")]
    [InlineData("batch_easy_hard")]
    public void ChunkedAndUnchunkedAgreeInValueAndGradient(string miner)
    {
        var x = torch.randn(13, 5, dtype: ScalarType.Float64, generator: new Generator(13));
        var y = T.I64(0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 3, 4, 0);
        foreach (var d in new IDistance[] { new Euclidean(), new SquaredEuclidean(false), new Cosine(true) })
        {
            Tensor L(Tensor v, long chunk, Reduction r) => F.triplet_loss(v, y, MinerNames.Parse(miner, 0.5), d, 0.5, chunk_size: chunk, reduction: r);
            var whole = L(x, 0, Reduction.None);
            Assert.True(whole.numel() > 0);
            var gWhole = T.Grad(v => L(v, 0, Reduction.Mean), x);
            foreach (long chunk in new long[] { 1, 4, 13 })
            {
                T.Close(T.Values(whole), L(x, chunk, Reduction.None), 1e-12, 1e-14);
                T.Close(T.Values(gWhole), T.Grad(v => L(v, chunk, Reduction.Mean), x), 1e-10, 1e-13);
            }
        }
    }

    [Fact]
    public void BatchHardEqualsTheLossOfTheHardestTriplets()
    {
        var e = R.Rows(14, Y.Length, 3);
        var each = new List<double>();
        for (int a = 0; a < Y.Length; a++)
        {
            var pos = Enumerable.Range(0, Y.Length).Where(p => p != a && Y[p] == Y[a]).ToList();
            var neg = Enumerable.Range(0, Y.Length).Where(n => Y[n] != Y[a]).ToList();
            if (pos.Count == 0) continue;
            double ap = pos.Max(p => R.Distance("euclidean", e[a], e[p]));
            double an = neg.Min(n => R.Distance("euclidean", e[a], e[n]));
            each.Add(Math.Max(0, ap - an + 0.3));
        }
        T.Close(each.ToArray(), F.triplet_loss(R.M(e), T.I64(Y), new BatchHard(), margin: 0.3, reduction: Reduction.None), 1e-10);
        var spec = LossCatalog.Create("triplet:miner=batch_hard,margin=0.3,chunk_size=2");
        T.Close(each.Average(), spec.forward(R.M(e), T.I64(Y)), 1e-10);
    }

    [Fact]
    public void SemiHardTripletsCostLessThanTheMargin()
    {
        var e = R.Rows(15, Y.Length, 3);
        var loss = F.triplet_loss(R.M(e), T.I64(Y), new SemiHard(0.4), margin: 0.4, reduction: Reduction.None);
        Assert.True(loss.numel() > 0);
        Assert.All(T.Values(loss), v => Assert.True(v >= 0 && v < 0.4));
        var want = BruteForce(e, Y, "euclidean", true, 0.4, false).Where(v => v > 0 && v < 0.4).ToArray();
        T.Close(want, loss, 1e-10);
    }

    [Fact]
    public void CosineDistanceAndCosineSimilarityGiveTheSameTripletLoss()
    {
        var x = R.M(R.Rows(16, Y.Length, 4));
        T.Close(T.Scalar(F.triplet_loss(x, T.I64(Y), distance: new Cosine(), margin: 0.2)), F.triplet_loss(x, T.I64(Y), distance: new Cosine(true), margin: 0.2), 1e-12);
    }

    [Fact]
    public void PreminedIndicesAreUsed()
    {
        var e = R.Rows(17, Y.Length, 3);
        var t = new Triplets(T.I64(0, 5), T.I64(2, 0), T.I64(1, 8));
        double Loss(int a, int p, int n) => Math.Max(0, R.Distance("euclidean", e[a], e[p]) - R.Distance("euclidean", e[a], e[n]) + 1);
        T.Close(new[] { Loss(0, 2, 1), Loss(5, 0, 8) }, F.triplet_loss(R.M(e), T.I64(Y), margin: 1, reduction: Reduction.None, indices: t, chunk_size: 3), 1e-10);
    }

    [Fact]
    public void NoTripletGivesAConnectedZero()
    {
        var x = torch.randn(3, 2, dtype: ScalarType.Float64, generator: new Generator(18));
        foreach (var y in new[] { T.I64(0, 1, 2), T.I64(5, 5, 5) })
        {
            T.Close(0.0, F.triplet_loss(x, y));
            T.Close(0.0, F.triplet_loss(x, y, avg_nonzero: true));
            Assert.Equal(0, F.triplet_loss(x, y, reduction: Reduction.None).numel());
            T.Close(new double[6], T.Grad(v => F.triplet_loss(v, y, new BatchHard()), x));
        }
        T.Close(0.0, F.triplet_loss(x.narrow(0, 0, 1), T.I64(0)));
    }

    [Fact]
    public void ExtremeEmbeddingsStayFiniteInFloat32()
    {
        var x = T.F32(new float[] { 1e4f, -1e4f, 0f, 1e4f, 1e4f, 1f, -1e4f, 3f, 2f, 0f, 0f, 0f, 1e4f, -1e4f, 0f }, 5, 3);   // rows 0 and 4 coincide
        var y = T.I64(0, 0, 1, 1, 0);
        foreach (var d in new IDistance[] { new Euclidean(), new Euclidean(false), new SquaredEuclidean(false), new Cosine() })
            foreach (var m in new IMiner[] { new AllTriplets(), new BatchHard(), new BatchEasyHard() })
            {
                T.Finite(F.triplet_loss(x, y, m, d, 0.5), "loss");
                T.Finite(T.Grad(v => F.triplet_loss(v, y, m, d, 0.5, soft_margin: true), x), "gradient");
            }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.randn(4, 3, dtype: ScalarType.Float64, generator: new Generator(19));
        var e1 = Assert.Throws<ArgumentException>(() => F.triplet_loss(x, T.I64(0, 1, 0)));
        Assert.Contains("labels", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.triplet_loss(x, T.F64(new[] { 0.0, 1, 0, 1 })));
        Assert.Contains("labels", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.triplet_loss(x.flatten(), T.I64(0, 1, 0, 1)));
        Assert.Contains("embeddings", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => F.triplet_loss(x, T.I64(0, 1, 0, 1), margin: double.NaN));
        Assert.Contains("margin", e4.Message);
        var e5 = Assert.Throws<ArgumentOutOfRangeException>(() => F.triplet_loss(x, T.I64(0, 1, 0, 1), chunk_size: -2));
        Assert.Contains("chunk_size", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => F.triplet_loss(x, T.I64(0, 1, 0, 1), indices: new Triplets(T.I64(0), T.I64(2), T.I64(7))));
        Assert.Contains("indices.Negative", e6.Message);
        Assert.Throws<ArgumentException>(() => F.triplet_loss(x, T.I64(0, 1, 0, 1), reduction: Reduction.BatchMean));
        var e7 = Assert.Throws<ArgumentException>(() => LossCatalog.Create("triplet:miner=hardest"));
        Assert.Contains("batch_hard", e7.Message);
    }
}
