using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;
using R = LossLab.Tests.Losses.Metric.MetricRef;

namespace LossLab.Tests.Losses.Contrastive;

public class SupConTests
{
    // Khosla et al.'s L_out, looped: views[i][v]; anchors (i, v) (all) or (i, 0) (one); returns per anchor in (i, v) order.
    private static double[] Reference(double[][][] f, long[]? y, double t, double tb, bool all)
    {
        int n = f.Length, views = f[0].Length;
        long Label(int i) => y?[i] ?? i;
        var res = new List<double>();
        for (int i = 0; i < n; i++)
            for (int v = 0; v < (all ? views : 1); v++)
            {
                var candidates = new List<double>();
                var positives = new List<double>();
                for (int j = 0; j < n; j++)
                    for (int w = 0; w < views; w++)
                    {
                        if (i == j && v == w) continue;
                        double s = R.Cos(f[i][v], f[j][w]) / t;
                        candidates.Add(s);
                        if (Label(i) == Label(j)) positives.Add(s);
                    }
                double lse = R.LogSumExp(candidates);
                res.Add(positives.Count == 0 ? 0 : -(t / tb) * positives.Average(s => s - lse));
            }
        return res.ToArray();
    }

    [Theory]
    [InlineData(6, 2, true, 0.07, 0.07, true)]
    [InlineData(5, 3, true, 0.5, 0.07, true)]
    [InlineData(6, 2, false, 0.1, 0.1, true)]
    [InlineData(5, 2, true, 0.2, 0.2, false)]
    [InlineData(7, 1, true, 0.3, 0.3, true)]
    public void MatchesABruteForceLoop(int n, int v, bool labelled, double t, double tb, bool all)
    {
        var f = R.Nested(91 + n, n, v, 4);
        long[]? y = labelled ? Enumerable.Range(0, n).Select(i => (long)(i % 3)).ToArray() : null;
        var each = Reference(f, y, t, tb, all);
        var mode = all ? SupConMode.All : SupConMode.One;
        var yt = y is null ? null : T.I64(y);
        T.Close(each, F.supcon_loss(R.M(f), yt, t, tb, mode, reduction: Reduction.None), 1e-10, 1e-12);
        T.Close(each.Average(), F.supcon_loss(R.M(f), yt, t, tb, mode), 1e-10, 1e-12);
        T.Close(each.Sum(), F.supcon_loss(R.M(f), yt, t, tb, mode, reduction: Reduction.Sum), 1e-10, 1e-12);
        Assert.Equal(all ? new long[] { n, v } : new long[] { n }, F.supcon_loss(R.M(f), yt, t, tb, mode, reduction: Reduction.None).shape);
    }

    [Fact]
    public void WithoutLabelsAndTwoViewsItIsSimClrsNtXent()
    {
        var x = torch.randn(5, 2, 3, dtype: ScalarType.Float64, generator: new Generator(92));
        var viewMajor = x.transpose(0, 1).reshape(10, 3);
        var ids = T.I64(0, 1, 2, 3, 4, 0, 1, 2, 3, 4);
        T.Close(T.Scalar(F.ntxent_loss(viewMajor, ids, 0.3)), F.supcon_loss(x, null, 0.3, 0.3), 1e-12);
    }

    [Fact]
    public void ChunkedAndUnchunkedAgreeInValueAndGradient()
    {
        var x = torch.randn(7, 2, 4, dtype: ScalarType.Float64, generator: new Generator(93));
        var y = T.I64(0, 1, 0, 2, 1, 0, 3);
        foreach (var mode in new[] { SupConMode.All, SupConMode.One })
        {
            var whole = T.Values(F.supcon_loss(x, y, 0.2, contrast_mode: mode, reduction: Reduction.None));
            var g = T.Values(T.Grad(v => F.supcon_loss(v, y, 0.2, contrast_mode: mode), x));
            foreach (long chunk in new long[] { 1, 5, 14 })
            {
                T.Close(whole, F.supcon_loss(x, y, 0.2, contrast_mode: mode, chunk_size: chunk, reduction: Reduction.None), 1e-12, 1e-14);
                T.Close(g, T.Grad(v => F.supcon_loss(v, y, 0.2, contrast_mode: mode, chunk_size: chunk), x), 1e-11, 1e-14);
            }
        }
    }

    [Fact]
    public void AnchorsWithoutPositivesCostZeroButCount()
    {
        var x = torch.randn(3, 1, 2, dtype: ScalarType.Float64, generator: new Generator(94));
        var per = T.Values(F.supcon_loss(x, T.I64(0, 0, 1), 0.5, reduction: Reduction.None));
        Assert.Equal(0.0, per[2]);
        T.Close(per.Average(), F.supcon_loss(x, T.I64(0, 0, 1), 0.5), 1e-14);
        T.Close(0.0, F.supcon_loss(x.narrow(0, 0, 1)));
        T.Close(new double[2], T.Grad(v => F.supcon_loss(v), x.narrow(0, 0, 1)));
    }

    [Fact]
    public void ExtremeInputsStayFiniteInFloat32()
    {
        var x = torch.tensor(new float[] { 1e4f, -1e4f, 0f, 1e4f, 1e4f, 1e4f, 0f, 0f, -1e4f, 3f, 2f, 1e4f }).reshape(3, 2, 2);
        foreach (double t in new[] { 0.07, 1e-3 })
        {
            T.Finite(F.supcon_loss(x, T.I64(0, 1, 0), t), "loss");
            T.Finite(T.Grad(v => F.supcon_loss(v, T.I64(0, 1, 0), t), x), "gradient");
        }
    }

    [Fact]
    public void ModuleAndRegistryComputeTheSame()
    {
        var x = torch.randn(4, 2, 3, dtype: ScalarType.Float64, generator: new Generator(95));
        var y = T.I64(1, 2, 1, 2);
        double want = T.Scalar(F.supcon_loss(x, y, 0.1, 0.07, SupConMode.One));
        T.Close(want, new SupConLoss(0.1, 0.07, SupConMode.One).forward(x, y), 1e-14);
        T.Close(want, LossCatalog.Create("supcon:temperature=0.1,contrast_mode=one").forward(x, y), 1e-14);
        T.Close(T.Scalar(F.supcon_loss(x)), new SupConLoss().forward(x), 1e-14);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.randn(4, 2, 3, dtype: ScalarType.Float64, generator: new Generator(96));
        var e1 = Assert.Throws<ArgumentException>(() => F.supcon_loss(x, T.I64(0, 1, 0)));
        Assert.Contains("labels", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.supcon_loss(x.reshape(8, 3)));
        Assert.Contains("features", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => F.supcon_loss(x, base_temperature: 0));
        Assert.Contains("base_temperature", e3.Message);
    }
}
