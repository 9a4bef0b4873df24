using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Contrastive;

public class MultipleNegativesRankingTests
{
    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();
    private static double Cos(double[] a, double[] b) => Dot(a, b) / (Math.Sqrt(Dot(a, a)) * Math.Sqrt(Dot(b, b)));

    // Per-anchor losses in plain doubles: -log softmax of row i at column i over [positives; negatives],
    // and for symmetric the average with -log softmax of column i over the anchors.
    private static double[] Reference(double[][] a, double[][] p, double[][]? neg, double scale, bool cosine, bool symmetric)
    {
        Func<double[], double[], double> sim = cosine ? Cos : Dot;
        var cands = neg is null ? p : p.Concat(neg).ToArray();
        int n = a.Length;
        var res = new double[n];
        for (int i = 0; i < n; i++)
        {
            double z = 0;
            foreach (var c in cands) z += Math.Exp(scale * sim(a[i], c));
            double fwd = -(scale * sim(a[i], p[i]) - Math.Log(z));
            if (!symmetric) { res[i] = fwd; continue; }
            double zb = 0;
            for (int j = 0; j < n; j++) zb += Math.Exp(scale * sim(a[j], p[i]));
            double bwd = -(scale * sim(a[i], p[i]) - Math.Log(zb));
            res[i] = (fwd + bwd) / 2;
        }
        return res;
    }

    private static double[][] Rows(int seed, int n, int d)
    {
        var rng = new System.Random(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble() * 2 - 1).ToArray()).ToArray();
    }

    private static Tensor M(double[][] e) => T.F64(e.SelectMany(r => r).ToArray(), e.Length, e[0].Length);

    [Theory]
    [InlineData(20.0, true, false)]
    [InlineData(1.0, true, false)]
    [InlineData(5.0, true, true)]
    [InlineData(1.0, false, false)]
    [InlineData(0.5, false, true)]
    public void MatchesTheDefinition(double scale, bool cosine, bool symmetric)
    {
        var a = Rows(1, 5, 6);
        var p = Rows(2, 5, 6);
        var sim = cosine ? PairSimilarity.Cosine : PairSimilarity.DotProduct;
        var want = Reference(a, p, null, scale, cosine, symmetric);
        T.Close(want, LossLab.Losses.multiple_negatives_ranking_loss(M(a), M(p), null, scale, sim, symmetric, Reduction.None), 1e-10);
        T.Close(want.Average(), LossLab.Losses.multiple_negatives_ranking_loss(M(a), M(p), null, scale, sim, symmetric), 1e-10);
        T.Close(want.Sum(), LossLab.Losses.multiple_negatives_ranking_loss(M(a), M(p), null, scale, sim, symmetric, Reduction.Sum), 1e-10);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HardNegativesJoinEveryAnchorsCandidates(bool symmetric)
    {
        var a = Rows(3, 4, 5);
        var p = Rows(4, 4, 5);
        var n = Rows(5, 8, 5);
        var want = Reference(a, p, n, 20.0, true, symmetric);
        T.Close(want, LossLab.Losses.multiple_negatives_ranking_loss(M(a), M(p), M(n), symmetric: symmetric, reduction: Reduction.None), 1e-10);
        T.Close(want.Average(), new MultipleNegativesRankingLoss(symmetric: symmetric).forward(M(a), M(p), M(n)), 1e-10);
    }

    [Fact]
    public void DefaultsAreScaleTwentyCosineMean()
    {
        var a = Rows(6, 3, 4);
        var p = Rows(7, 3, 4);
        double want = Reference(a, p, null, 20.0, true, false).Average();
        T.Close(want, LossLab.Losses.multiple_negatives_ranking_loss(M(a), M(p)), 1e-10);
        T.Close(want, new MultipleNegativesRankingLoss().forward(M(a), M(p)), 1e-10);
    }

    [Fact]
    public void SinglePairWithoutNegativesCostsNothing()
    {
        var a = T.F64(new[] { 1.0, 2.0 }, 1, 2);
        var p = T.F64(new[] { -3.0, 0.5 }, 1, 2);
        T.Close(0.0, LossLab.Losses.multiple_negatives_ranking_loss(a, p));
    }

    [Fact]
    public void ExtremeInputsStayFiniteInFloat32()
    {
        var a = T.F32(new float[] { 1e4f, -1e4f, 0f, 1e4f, 1e4f, 1f }, 2, 3);
        var p = T.F32(new float[] { -1e4f, 1e4f, 3f, 0f, 0f, 0f }, 2, 3);
        foreach (var sim in new[] { PairSimilarity.Cosine, PairSimilarity.DotProduct })
            foreach (bool symmetric in new[] { false, true })
            {
                Tensor F(Tensor v) => LossLab.Losses.multiple_negatives_ranking_loss(v, p, null, 1e4, sim, symmetric);
                T.Finite(F(a), "loss");
                T.Finite(T.Grad(F, a), "gradient");
                T.Finite(T.Grad(v => LossLab.Losses.multiple_negatives_ranking_loss(a, v, null, 1e4, sim, symmetric), p), "gradient wrt positive");
            }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var a = torch.randn(4, 3, dtype: ScalarType.Float64, generator: new Generator(1));
        var e1 = Assert.Throws<ArgumentException>(() => LossLab.Losses.multiple_negatives_ranking_loss(a, torch.zeros(3, 3, dtype: ScalarType.Float64)));
        Assert.Contains("positive", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => LossLab.Losses.multiple_negatives_ranking_loss(a, a, torch.zeros(5, 2, dtype: ScalarType.Float64)));
        Assert.Contains("negative", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.multiple_negatives_ranking_loss(a, a, scale: 0));
        Assert.Contains("scale", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => LossLab.Losses.multiple_negatives_ranking_loss(a, a.to_type(ScalarType.Float32)));
        Assert.Contains("positive", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => LossLab.Losses.multiple_negatives_ranking_loss(a, a, reduction: Reduction.BatchMean));
        Assert.Contains("batchmean", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => LossLab.Losses.multiple_negatives_ranking_loss(torch.zeros(0, 3, dtype: ScalarType.Float64), torch.zeros(0, 3, dtype: ScalarType.Float64)));
        Assert.Contains("anchor", e6.Message);
        var e7 = Assert.Throws<ArgumentException>(() => LossLab.Registry.LossCatalog.FindLoss("multiple_negatives_ranking")!.Compute(
            new Dictionary<string, Tensor> { ["anchor"] = a, ["positive"] = a }, new Dictionary<string, string> { ["similarity"] = "euclid" }));
        Assert.Contains("similarity", e7.Message);
    }
}
