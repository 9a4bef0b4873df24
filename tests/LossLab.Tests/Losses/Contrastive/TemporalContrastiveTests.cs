using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Contrastive;

public class TemporalContrastiveTests
{
    // B = 2 sequences of T = 3 latents of D = 2.
    private static readonly double[] Z = { 0.5, -1.0, 1.5, 0.2, -0.3, 0.8, 1.0, 1.0, -0.7, 0.4, 0.2, -1.1 };
    private static readonly double[] Zt = { 0.1, 0.9, -0.6, 0.3, 1.2, -0.2, 0.0, 0.5, 0.8, 0.8, -1.0, 0.3 };
    private static readonly double[] W = { 0.9, -0.3, 0.4, 1.2 };

    private static double[] Vec(double[] flat, int b, int t) => new[] { flat[(b * 3 + t) * 2], flat[(b * 3 + t) * 2 + 1] };

    private static double[] Unit(double[] v)
    {
        double n = Math.Max(Math.Sqrt(v.Sum(x => x * x)), 1e-12);
        return v.Select(x => x / n).ToArray();
    }

    /// <summary>Per-anchor InfoNCE in doubles: anchor (b, t) against key (b, t + k), every (c, u + k) a candidate, score q^T W key / temp.</summary>
    private static double[] Reference(double[] keysFlat, int k, double[]? w, double temp, bool cosine) => Reference(Z, keysFlat, k, w, temp, cosine);

    private static double[] Reference(double[] z, double[] keysFlat, int k, double[]? w, double temp, bool cosine)
    {
        int steps = 3 - k;
        var anchors = new List<double[]>();
        var keys = new List<double[]>();
        for (int b = 0; b < 2; b++)
            for (int t = 0; t < steps; t++)
            {
                var q = Vec(z, b, t);
                var key = Vec(keysFlat, b, t + k);
                anchors.Add(cosine ? Unit(q) : q);
                keys.Add(cosine ? Unit(key) : key);
            }
        double Score(double[] q, double[] key)
        {
            double s = 0;
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++)
                    s += q[i] * (w is null ? (i == j ? 1 : 0) : w[i * 2 + j]) * key[j];
            return s / temp;
        }
        return anchors.Select((q, i) =>
        {
            var row = keys.Select(key => Score(q, key)).ToArray();
            double m = row.Max();
            return -(row[i] - m - Math.Log(row.Sum(v => Math.Exp(v - m))));
        }).ToArray();
    }

    [Theory]
    [InlineData(1, false, false, 1.0, false)]
    [InlineData(1, true, true, 0.5, false)]
    [InlineData(2, true, false, 2.0, true)]
    [InlineData(1, false, true, 0.3, true)]
    public void MatchesTheHandWorkedInfoNceOverTimeShiftedPairs(int k, bool targets, bool bilinear, double temperature, bool cosine)
    {
        var want = Reference(targets ? Zt : Z, k, bilinear ? W : null, temperature, cosine);
        var sim = cosine ? PairSimilarity.Cosine : PairSimilarity.DotProduct;
        Tensor Loss(Reduction r, long chunk = 0) => F.temporal_contrastive_loss(T.F64(Z, 2, 3, 2), targets ? T.F64(Zt, 2, 3, 2) : null, bilinear ? T.F64(W, 2, 2) : null, k, temperature, sim, chunk, r);
        var none = Loss(Reduction.None);
        Assert.Equal(new long[] { 2, 3 - k }, none.shape);
        T.Close(want, none, 1e-12);
        T.Close(want.Average(), Loss(Reduction.Mean), 1e-12);
        T.Close(want.Sum(), Loss(Reduction.Sum), 1e-12);
        T.Close(want.Average(), Loss(Reduction.Mean, chunk: 1), 1e-12);
    }

    [Fact]
    public void WithoutTargetsTheGradientReachesBothEndsAndWithTargetsTheTargetsToo()
    {
        var z = T.F64(Z, 2, 3, 2);
        var zt = T.F64(Zt, 2, 3, 2);
        // Finite differences in doubles on the hand-worked reference for one latent entry that is both an anchor and a key.
        double h = 1e-6;
        static double Ref(double[] flat) => Reference(flat, flat, 1, W, 1, false).Average();
        var plus = (double[])Z.Clone(); plus[2] += h;
        var minus = (double[])Z.Clone(); minus[2] -= h;
        double numeric = (Ref(plus) - Ref(minus)) / (2 * h);
        var grad = T.Values(T.Grad(x => F.temporal_contrastive_loss(x, null, T.F64(W, 2, 2)), z));
        Assert.Equal(numeric, grad[2], 6);
        // The first latent is only an anchor, the last only a key: both get a gradient from the self-keyed loss.
        Assert.NotEqual(0.0, grad[0]);
        Assert.NotEqual(0.0, grad[4]);
        var gradTargets = T.Values(T.Grad(x => F.temporal_contrastive_loss(z, x), zt));
        Assert.Equal(0.0, gradTargets[0]);   // (b 0, t 0) is never a key with k = 1
        Assert.NotEqual(0.0, gradTargets[2]);
    }

    [Fact]
    public void InBatchInfoNceIsTheSpecialCaseOfOneStepPairs()
    {
        // T = 2 and k = 1: one anchor per sequence, so the loss is info_nce over (z_0, z_1) pairs.
        var z = T.F64(Z.Take(8).ToArray(), 2, 2, 2);
        var infoNce = F.info_nce_loss(z.select(1, 0), z.select(1, 1), temperature: 0.7, similarity: PairSimilarity.DotProduct, reduction: Reduction.None);
        T.Close(T.Values(infoNce), F.temporal_contrastive_loss(z, temperature: 0.7, reduction: Reduction.None).reshape(-1), 1e-13);
    }

    [Fact]
    public void Float32ExtremesStayFiniteAndModuleAndRegistryMatch()
    {
        var z = T.F32(new[] { 1e4f, -1e4f, -1e4f, 1e4f, 3f, 1e4f, 0f, 0f }, 2, 2, 2);
        T.Finite(F.temporal_contrastive_loss(z), "loss");
        T.Finite(T.Grad(x => F.temporal_contrastive_loss(x, temperature: 0.01), z), "gradient");
        T.Finite(T.Grad(x => F.temporal_contrastive_loss(x, similarity: PairSimilarity.Cosine), z), "cosine gradient");
        double want = Reference(Zt, 1, null, 0.5, false).Average();
        var module = new TemporalContrastiveLoss(k: 1, temperature: 0.5, bilinear_size: 2);
        T.Close(T.Values(torch.eye(2)), module.Weight!, 0, 0);
        T.Close(want, module.forward(T.F32(Z.Select(v => (float)v).ToArray(), 2, 3, 2), T.F32(Zt.Select(v => (float)v).ToArray(), 2, 3, 2)), 1e-5);
        Assert.Single(module.parameters());
        T.Close(Reference(Zt, 2, W, 1, false).Sum(), LossCatalog.Create("temporal_contrastive:k=2,reduction=sum").Forward(new Dictionary<string, Tensor>
        {
            ["latents"] = T.F64(Z, 2, 3, 2), ["targets"] = T.F64(Zt, 2, 3, 2), ["weight"] = T.F64(W, 2, 2),
        }), 1e-12);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var z = T.F64(Z, 2, 3, 2);
        Assert.Contains("k", Assert.Throws<ArgumentOutOfRangeException>(() => F.temporal_contrastive_loss(z, k: 3)).ParamName);
        Assert.Contains("k", Assert.Throws<ArgumentOutOfRangeException>(() => F.temporal_contrastive_loss(z, k: 0)).ParamName);
        Assert.Contains("weight", Assert.Throws<ArgumentException>(() => F.temporal_contrastive_loss(z, weight: T.F64(new double[6], 2, 3))).Message);
        Assert.Contains("latents", Assert.Throws<ArgumentException>(() => F.temporal_contrastive_loss(T.F64(Z, 6, 2))).Message);
        Assert.Contains("targets", Assert.Throws<ArgumentException>(() => F.temporal_contrastive_loss(z, T.F64(Z, 3, 2, 2))).Message);
        Assert.Contains("targets", Assert.Throws<ArgumentException>(() => F.temporal_contrastive_loss(z, T.F32(new float[12], 2, 3, 2))).Message);
        Assert.Contains("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => F.temporal_contrastive_loss(z, temperature: 0)).Message);
    }
}
