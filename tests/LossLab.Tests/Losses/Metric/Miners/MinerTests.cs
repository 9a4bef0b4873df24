using LossLab.Distances;
using LossLab.Miners;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using R = LossLab.Tests.Losses.Metric.MetricRef;

namespace LossLab.Tests.Losses.Metric.Miners;

public class MinerTests
{
    private static readonly long[] Y = { 0, 1, 0, 2, 1, 0, 2, 1, 3 };   // label 3 is a singleton: no positive

    private static List<(int, int, int)> Mined(Triplets t) =>
        Enumerable.Range(0, (int)t.Count).Select(i => ((int)t.Anchor[i].item<long>(), (int)t.Positive[i].item<long>(), (int)t.Negative[i].item<long>())).ToList();

    // key(a, b): smaller is closer (a similarity negated).
    private static Func<int, int, double> Key(double[][] e, string name) => (a, b) =>
    {
        double v = R.Distance(name, e[a], e[b]);
        return name == "cosine_similarity" ? -v : v;
    };

    [Fact]
    public void AllTripletsIsEveryValidTripletInOrder()
    {
        var e = R.Rows(1, Y.Length, 3);
        foreach (long chunk in new long[] { 0, 1, 4 })
            Assert.Equal(R.AllTriplets(Y), Mined(new AllTriplets().Mine(R.M(e), T.I64(Y), new Euclidean(), chunk)));
    }

    [Theory]
    [InlineData("euclidean")]
    [InlineData("cosine")]
    [InlineData("cosine_similarity")]
    [InlineData("squared_euclidean")]
    public void BatchHardPicksTheFarthestPositiveAndTheClosestNegative(string name)
    {
        var e = R.Rows(2, Y.Length, 4);
        var key = Key(e, name);
        var want = new List<(int, int, int)>();
        for (int a = 0; a < Y.Length; a++)
        {
            var pos = Enumerable.Range(0, Y.Length).Where(p => p != a && Y[p] == Y[a]).ToList();
            var neg = Enumerable.Range(0, Y.Length).Where(n => Y[n] != Y[a]).ToList();
            if (pos.Count == 0 || neg.Count == 0) continue;
            want.Add((a, pos.OrderByDescending(p => key(a, p)).First(), neg.OrderBy(n => key(a, n)).First()));
        }
        foreach (long chunk in new long[] { 0, 2 })
            Assert.Equal(want, Mined(new BatchHard().Mine(R.M(e), T.I64(Y), DistanceNames.Parse(name), chunk)));
    }

    [Theory]
    [InlineData("euclidean", 0.3)]
    [InlineData("cosine_similarity", 0.2)]
    public void SemiHardKeepsTheNegativesInsideTheMargin(string name, double margin)
    {
        var e = R.Rows(3, Y.Length, 3);
        var key = Key(e, name);
        var want = R.AllTriplets(Y).Where(t => key(t.a, t.n) - key(t.a, t.p) > 0 && key(t.a, t.n) - key(t.a, t.p) <= margin).ToList();
        Assert.NotEmpty(want);
        foreach (long chunk in new long[] { 0, 3 })
            Assert.Equal(want, Mined(new SemiHard(margin).Mine(R.M(e), T.I64(Y), DistanceNames.Parse(name), chunk)));
    }

    [Theory]
    [InlineData(MiningStrategy.Easy, MiningStrategy.SemiHard)]
    [InlineData(MiningStrategy.Easy, MiningStrategy.Hard)]
    [InlineData(MiningStrategy.Hard, MiningStrategy.Easy)]
    [InlineData(MiningStrategy.SemiHard, MiningStrategy.Easy)]
    public void BatchEasyHardFollowsItsStrategies(MiningStrategy ps, MiningStrategy ns)
    {
        var e = R.Rows(4, Y.Length, 3);
        var key = Key(e, "euclidean");
        var want = new List<(int, int, int)>();
        for (int a = 0; a < Y.Length; a++)
        {
            var pos = Enumerable.Range(0, Y.Length).Where(p => p != a && Y[p] == Y[a]).ToList();
            var neg = Enumerable.Range(0, Y.Length).Where(n => Y[n] != Y[a]).ToList();
            if (pos.Count == 0 || neg.Count == 0) continue;
            int p, n;
            if (ps == MiningStrategy.SemiHard)
            {
                n = ns == MiningStrategy.Easy ? neg.OrderByDescending(j => key(a, j)).First() : neg.OrderBy(j => key(a, j)).First();
                var ok = pos.Where(j => key(a, j) < key(a, n)).ToList();
                if (ok.Count == 0) continue;
                p = ok.OrderByDescending(j => key(a, j)).First();
            }
            else
            {
                p = ps == MiningStrategy.Easy ? pos.OrderBy(j => key(a, j)).First() : pos.OrderByDescending(j => key(a, j)).First();
                var allowed = ns == MiningStrategy.SemiHard ? neg.Where(j => key(a, j) > key(a, p)).ToList() : neg;
                if (allowed.Count == 0) continue;
                n = ns == MiningStrategy.Easy ? allowed.OrderByDescending(j => key(a, j)).First() : allowed.OrderBy(j => key(a, j)).First();
            }
            want.Add((a, p, n));
        }
        Assert.NotEmpty(want);
        Assert.Equal(want, Mined(new BatchEasyHard(ps, ns).Mine(R.M(e), T.I64(Y), new Euclidean(), 0)));
        Assert.Equal(want, Mined(new BatchEasyHard(ps, ns).Mine(R.M(e), T.I64(Y), new Euclidean(), 4)));
    }

    [Fact]
    public void BatchHardIsBatchEasyHardWithHardStrategies()
    {
        var e = R.M(R.Rows(5, Y.Length, 3));
        Assert.Equal(Mined(new BatchEasyHard(MiningStrategy.Hard, MiningStrategy.Hard).Mine(e, T.I64(Y), new Cosine())), Mined(new BatchHard().Mine(e, T.I64(Y), new Cosine())));
    }

    [Fact]
    public void MiningCarriesNoGradient()
    {
        var e = R.M(R.Rows(6, Y.Length, 3)).requires_grad_(true);
        var t = new BatchHard().Mine(e, T.I64(Y), new Euclidean());
        Assert.False(t.Anchor.requires_grad);
        Assert.Equal(ScalarType.Int64, t.Negative.dtype);
    }

    [Fact]
    public void ABatchWithoutTripletsGivesNone()
    {
        var e = R.M(R.Rows(7, 3, 2));
        Assert.Equal(0, new AllTriplets().Mine(e, T.I64(0, 1, 2), new Euclidean()).Count);
        Assert.Equal(0, new BatchHard().Mine(e, T.I64(4, 4, 4), new Euclidean()).Count);
        Assert.Equal(0, new SemiHard().Mine(e.narrow(0, 0, 1), T.I64(1), new Euclidean()).Count);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e = R.M(R.Rows(8, 4, 2));
        var e1 = Assert.Throws<ArgumentException>(() => new BatchHard().Mine(e, T.I64(0, 1, 0), new Euclidean()));
        Assert.Contains("labels", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => new AllTriplets().Mine(e, T.F64(new[] { 0.0, 1, 0, 1 }), new Euclidean()));
        Assert.Contains("labels", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => new SemiHard(0));
        Assert.Contains("margin", e3.Message);
        Assert.Throws<ArgumentException>(() => new BatchEasyHard(MiningStrategy.SemiHard, MiningStrategy.SemiHard));
        var e4 = Assert.Throws<ArgumentException>(() => MinerNames.Parse("hardest"));
        Assert.Contains("batch_hard", e4.Message);
    }
}
