using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;
using R = LossLab.Tests.Losses.Metric.MetricRef;

namespace LossLab.Tests.Losses.Contrastive;

public class InfoNceTests
{
    private static double Sim(double[] a, double[] b, bool cosine) => cosine ? R.Cos(a, b) : R.Dot(a, b);

    // -s(q_i, k_i)/t + logsumexp over the candidates of i.
    private static double[] Reference(double[][] q, double[][] k, Func<int, IEnumerable<double[]>> negatives, double t, bool cosine) =>
        q.Select((qi, i) =>
        {
            var logits = new[] { Sim(qi, k[i], cosine) / t }.Concat(negatives(i).Select(n => Sim(qi, n, cosine) / t));
            return R.LogSumExp(logits) - Sim(qi, k[i], cosine) / t;
        }).ToArray();

    [Theory]
    [InlineData(0.1, true)]
    [InlineData(0.5, false)]
    [InlineData(2.0, true)]
    public void InBatchMatchesTheDefinition(double t, bool cosine)
    {
        var q = R.Rows(71, 6, 4);
        var k = R.Rows(72, 6, 4);
        var each = Reference(q, k, i => k.Where((_, j) => j != i), t, cosine);
        var sim = cosine ? PairSimilarity.Cosine : PairSimilarity.DotProduct;
        T.Close(each, F.info_nce_loss(R.M(q), R.M(k), null, t, sim, reduction: Reduction.None), 1e-10, 1e-12);
        T.Close(each.Average(), F.info_nce_loss(R.M(q), R.M(k), null, t, sim), 1e-10);
        T.Close(each.Sum(), F.info_nce_loss(R.M(q), R.M(k), null, t, sim, reduction: Reduction.Sum), 1e-10);
    }

    [Fact]
    public void SharedAndPairedNegativesMatchTheDefinition()
    {
        var q = R.Rows(73, 5, 3);
        var k = R.Rows(74, 5, 3);
        var shared = R.Rows(75, 4, 3);
        T.Close(Reference(q, k, _ => shared, 0.2, true), F.info_nce_loss(R.M(q), R.M(k), R.M(shared), 0.2, reduction: Reduction.None), 1e-10);
        var paired = Enumerable.Range(0, 5).Select(i => R.Rows(80 + i, 3, 3)).ToArray();
        var pt = T.F64(paired.SelectMany(p => p.SelectMany(r => r)).ToArray(), 5, 3, 3);
        T.Close(Reference(q, k, i => paired[i], 0.3, false), F.info_nce_loss(R.M(q), R.M(k), pt, 0.3, PairSimilarity.DotProduct, reduction: Reduction.None), 1e-10);
    }

    [Fact]
    public void InBatchIsMultipleNegativesRankingWithScaleOneOverTemperature()
    {
        var q = torch.randn(7, 5, dtype: ScalarType.Float64, generator: new Generator(76));
        var k = torch.randn(7, 5, dtype: ScalarType.Float64, generator: new Generator(77));
        T.Close(T.Scalar(F.multiple_negatives_ranking_loss(q, k, scale: 1 / 0.05)), F.info_nce_loss(q, k, temperature: 0.05), 1e-12);
    }

    [Fact]
    public void ChunkedAndUnchunkedAgreeInValueAndGradient()
    {
        var q = torch.randn(9, 4, dtype: ScalarType.Float64, generator: new Generator(78));
        var k = torch.randn(9, 4, dtype: ScalarType.Float64, generator: new Generator(79));
        var shared = torch.randn(5, 4, dtype: ScalarType.Float64, generator: new Generator(80));
        var paired = torch.randn(9, 2, 4, dtype: ScalarType.Float64, generator: new Generator(81));
        foreach (var neg in new Tensor?[] { null, shared, paired })
        {
            var whole = T.Values(F.info_nce_loss(q, k, neg, reduction: Reduction.None));
            var g = T.Values(T.Grad(v => F.info_nce_loss(v, k, neg), q));
            var gk = T.Values(T.Grad(v => F.info_nce_loss(q, v, neg), k));
            foreach (long chunk in new long[] { 1, 4, 9 })
            {
                T.Close(whole, F.info_nce_loss(q, k, neg, chunk_size: chunk, reduction: Reduction.None), 1e-12, 1e-14);
                T.Close(g, T.Grad(v => F.info_nce_loss(v, k, neg, chunk_size: chunk), q), 1e-11, 1e-14);
                T.Close(gk, T.Grad(v => F.info_nce_loss(q, v, neg, chunk_size: chunk), k), 1e-11, 1e-14);
            }
        }
    }

    [Fact]
    public void ExtremeInputsStayFiniteInFloat32()
    {
        var q = T.F32(new float[] { 1e4f, -1e4f, 0f, 1e4f, 0f, 0f }, 3, 2);
        var k = T.F32(new float[] { 1e4f, 1e4f, -1e4f, 3f, 1e4f, -1e4f }, 3, 2);
        foreach (double t in new[] { 0.1, 1e-3 })
            foreach (var sim in new[] { PairSimilarity.Cosine, PairSimilarity.DotProduct })
            {
                T.Finite(F.info_nce_loss(q, k, null, t, sim), "loss");
                T.Finite(T.Grad(v => F.info_nce_loss(v, k, null, t, sim), q), "gradient");
                T.Finite(T.Grad(v => F.info_nce_loss(q, k, v, t, sim), k), "negatives gradient");
            }
    }

    [Fact]
    public void ModuleAndRegistryComputeTheSame()
    {
        var q = torch.randn(4, 3, dtype: ScalarType.Float64, generator: new Generator(82));
        var k = torch.randn(4, 3, dtype: ScalarType.Float64, generator: new Generator(83));
        double want = T.Scalar(F.info_nce_loss(q, k, temperature: 0.2));
        T.Close(want, new InfoNceLoss(0.2).forward(q, k), 1e-14);
        T.Close(want, LossCatalog.Create("info_nce:temperature=0.2").forward(q, k), 1e-14);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var q = torch.randn(4, 3, dtype: ScalarType.Float64, generator: new Generator(84));
        var e1 = Assert.Throws<ArgumentException>(() => F.info_nce_loss(q, q.narrow(0, 0, 3)));
        Assert.Contains("positive", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.info_nce_loss(q, q, torch.zeros(5, 2, dtype: ScalarType.Float64)));
        Assert.Contains("negative", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.info_nce_loss(q, q, torch.zeros(3, 2, 3, dtype: ScalarType.Float64)));
        Assert.Contains("negative", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => F.info_nce_loss(q, q, temperature: 0));
        Assert.Contains("temperature", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => F.info_nce_loss(q, q.to_type(ScalarType.Float32)));
        Assert.Contains("positive", e5.Message);
    }
}
