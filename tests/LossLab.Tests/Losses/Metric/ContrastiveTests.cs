using LossLab.Distances;
using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;
using R = LossLab.Tests.Losses.Metric.MetricRef;

namespace LossLab.Tests.Losses.Metric;

public class ContrastiveTests
{
    private static readonly long[] Y = { 0, 1, 0, 2, 1, 0, 2, 7 };

    // Every ordered pair i != j: (N, N) losses, plus the positive and negative lists.
    private static (double[] matrix, List<double> pos, List<double> neg) BruteForce(double[][] e, long[] y, string distance, bool normalize, double pm, double nm)
    {
        int n = y.Length;
        var m = new double[n * n];
        var pos = new List<double>();
        var neg = new List<double>();
        bool sim = distance == "cosine_similarity";
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (i == j) continue;
                double d = R.Distance(distance, e[i], e[j], normalize);
                if (y[i] == y[j]) { m[i * n + j] = Math.Max(0, sim ? pm - d : d - pm); pos.Add(m[i * n + j]); }
                else { m[i * n + j] = Math.Max(0, sim ? d - nm : nm - d); neg.Add(m[i * n + j]); }
            }
        return (m, pos, neg);
    }

    private static double Mean(List<double> v, bool nonzero)
    {
        var s = nonzero ? v.Where(x => x > 0).ToList() : v;
        return s.Count == 0 ? 0 : s.Average();
    }

    [Theory]
    [InlineData("euclidean", true, 0.0, 1.0)]
    [InlineData("euclidean", false, 0.5, 2.0)]
    [InlineData("squared_euclidean", true, 0.1, 1.5)]
    [InlineData("cosine", true, 0.2, 0.9)]
    [InlineData("cosine_similarity", true, 0.8, 0.1)]
    public void MatchesABruteForceLoopForEachReduction(string distance, bool normalize, double pm, double nm)
    {
        var e = R.Rows(21, Y.Length, 3);
        var (matrix, pos, neg) = BruteForce(e, Y, distance, normalize, pm, nm);
        var d = DistanceNames.Parse(distance, normalize);
        T.Close(matrix, F.contrastive_loss(R.M(e), T.I64(Y), d, pm, nm, reduction: Reduction.None), 1e-10, 1e-12);
        T.Close(matrix.Sum(), F.contrastive_loss(R.M(e), T.I64(Y), d, pm, nm, reduction: Reduction.Sum), 1e-10, 1e-12);
        T.Close(Mean(pos, false) + Mean(neg, false), F.contrastive_loss(R.M(e), T.I64(Y), d, pm, nm), 1e-10, 1e-12);
        T.Close(Mean(pos, true) + Mean(neg, true), F.contrastive_loss(R.M(e), T.I64(Y), d, pm, nm, avg_nonzero: true), 1e-10, 1e-12);
    }

    [Fact]
    public void DefaultsArePytorchMetricLearnings()
    {
        var e = R.Rows(22, Y.Length, 4);
        var (_, pos, neg) = BruteForce(e, Y, "euclidean", true, 0, 1);
        T.Close(Mean(pos, false) + Mean(neg, false), F.contrastive_loss(R.M(e), T.I64(Y)), 1e-10);
        T.Close(Mean(pos, false) + Mean(neg, false), new ContrastiveLoss().forward(R.M(e), T.I64(Y)), 1e-10);
        T.Close(Mean(pos, true) + Mean(neg, true), LossCatalog.Create("contrastive:avg_nonzero=true").forward(R.M(e), T.I64(Y)), 1e-10);
    }

    [Fact]
    public void ChunkedAndUnchunkedAgreeInValueAndGradient()
    {
        var x = torch.randn(11, 4, dtype: ScalarType.Float64, generator: new Generator(23));
        var y = T.I64(0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 4);
        foreach (var red in new[] { Reduction.None, Reduction.Mean, Reduction.Sum })
            foreach (bool nz in new[] { false, true })
            {
                Tensor L(Tensor v, long chunk) => F.contrastive_loss(v, y, new Euclidean(false), 0.5, 3.0, nz, chunk, red);
                var whole = T.Values(L(x, 0));
                var g = T.Values(T.Grad(v => L(v, 0), x));
                foreach (long chunk in new long[] { 1, 3, 11 })
                {
                    T.Close(whole, L(x, chunk), 1e-12, 1e-14);
                    T.Close(g, T.Grad(v => L(v, chunk), x), 1e-10, 1e-13);
                }
            }
    }

    [Fact]
    public void AKindWithoutPairsContributesZero()
    {
        var x = torch.randn(3, 2, dtype: ScalarType.Float64, generator: new Generator(24));
        var e = Enumerable.Range(0, 3).Select(i => T.Values(x[i])).ToArray();
        // all labels distinct: no positive pair; the loss is the negatives' mean
        var (_, _, neg) = BruteForce(e, new long[] { 0, 1, 2 }, "euclidean", true, 0, 1);
        T.Close(neg.Average(), F.contrastive_loss(x, T.I64(0, 1, 2)), 1e-10);
        // one label: no negative pair
        var (_, pos, _) = BruteForce(e, new long[] { 4, 4, 4 }, "euclidean", true, 0, 1);
        T.Close(pos.Average(), F.contrastive_loss(x, T.I64(4, 4, 4)), 1e-10);
        T.Close(0.0, F.contrastive_loss(x.narrow(0, 0, 1), T.I64(0)));
    }

    [Fact]
    public void ExtremeEmbeddingsStayFiniteInFloat32()
    {
        var x = T.F32(new float[] { 1e4f, -1e4f, 0f, 1e4f, 1e4f, 1f, -1e4f, 3f, 2f, 1e4f, -1e4f, 0f }, 4, 3);   // rows 0 and 3 coincide
        var y = T.I64(0, 1, 1, 0);
        foreach (var d in new IDistance[] { new Euclidean(), new Euclidean(false), new SquaredEuclidean(false), new Cosine(), new Cosine(true) })
        {
            T.Finite(F.contrastive_loss(x, y, d, 0.1, 0.5), "loss");
            T.Finite(T.Grad(v => F.contrastive_loss(v, y, d, 0.1, 0.5), x), "gradient");
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.randn(4, 3, dtype: ScalarType.Float64, generator: new Generator(25));
        var e1 = Assert.Throws<ArgumentException>(() => F.contrastive_loss(x, T.I64(0, 1)));
        Assert.Contains("labels", e1.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => F.contrastive_loss(x, T.I64(0, 1, 0, 1), neg_margin: double.PositiveInfinity));
        Assert.Contains("neg_margin", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.contrastive_loss(torch.zeros(4, 3, dtype: ScalarType.Int64), T.I64(0, 1, 0, 1)));
        Assert.Contains("embeddings", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => LossCatalog.Create("contrastive:distance=l1"));
        Assert.Contains("cosine", e4.Message);
    }
}
