using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Population;

public class AuroraTests
{
    private static readonly double[] Recon = { 0.5, -1.0, 2.0, 0.3, 0.0, -0.7, 1.1, 0.4, 0.9, -0.2, 0.6, 0.0 };   // (4, 3)
    private static readonly double[] Obs = { 0.1, -0.4, 1.0, 1.3, -0.5, 0.2, 0.9, -0.6, 0.0, 0.4, 0.4, 1.0 };
    private static readonly double[] Desc = { 0.0, 0.0, 1.0, 0.0, 0.0, 2.0, 3.0, 1.0 };                             // (4, 2)
    private static readonly double[] Archive = { 1.0, 1.0, -1.0, 0.5, 2.0, 2.0 };                                 // (3, 2)

    private static double[] ReconstructionError() =>
        Enumerable.Range(0, 4).Select(i => Enumerable.Range(3 * i, 3).Average(j => (Recon[j] - Obs[j]) * (Recon[j] - Obs[j]))).ToArray();

    private static double Dist(double[] a, int i, double[] b, int j, double p, double scale) =>
        Math.Pow(Math.Pow(Math.Abs(a[2 * i] - b[2 * j]) / scale, p) + Math.Pow(Math.Abs(a[2 * i + 1] - b[2 * j + 1]) / scale, p), 1 / p);

    /// <summary>Mean distance to the k nearest other descriptors (batch) or archived ones, in doubles, by sorting.</summary>
    private static double[] Novelty(int k, double p, bool archive, bool normalize)
    {
        double scale = normalize ? Math.Sqrt(Enumerable.Range(0, 4).Average(i => Desc[2 * i] * Desc[2 * i] + Desc[2 * i + 1] * Desc[2 * i + 1])) : 1;
        return Enumerable.Range(0, 4).Select(i =>
        {
            var d = archive
                ? Enumerable.Range(0, 3).Select(j => Dist(Desc, i, Archive, j, p, scale))
                : Enumerable.Range(0, 4).Where(j => j != i).Select(j => Dist(Desc, i, Desc, j, p, scale));
            return d.OrderBy(v => v).Take(k).Average();
        }).ToArray();
    }

    private static Tensor Loss(double w, long k, double p = 2, bool archive = false, bool normalize = false, Reduction reduction = Reduction.Mean) =>
        F.aurora_loss(T.F64(Recon, 4, 3), T.F64(Obs, 4, 3), T.F64(Desc, 4, 2), archive ? T.F64(Archive, 3, 2) : null, w, k, p, normalize, reduction);

    [Theory]
    [InlineData(0.5, 1, 2.0, false, false)]
    [InlineData(0.5, 2, 2.0, false, true)]
    [InlineData(1.0, 3, 1.0, false, false)]
    [InlineData(0.2, 2, 2.0, true, false)]
    [InlineData(0.3, 3, 1.0, true, true)]
    public void IsTheReconstructionErrorMinusTheWeightedKnnNovelty(double w, int k, double p, bool archive, bool normalize)
    {
        var want = ReconstructionError().Zip(Novelty(k, p, archive, normalize), (r, n) => r - w * n).ToArray();
        T.Close(want, Loss(w, k, p, archive, normalize, Reduction.None), 1e-13);
        T.Close(want.Average(), Loss(w, k, p, archive, normalize), 1e-13);
        T.Close(want.Sum(), Loss(w, k, p, archive, normalize, Reduction.Sum), 1e-13);
    }

    [Fact]
    public void WithoutNoveltyItIsTheAutoencodersMeanSquaredErrorAndTermsAreReported()
    {
        T.Close(ReconstructionError().Average(), Loss(0, 2), 1e-14);
        T.Close(ReconstructionError().Average(), F.mse_loss(T.F64(Recon, 4, 3), T.F64(Obs, 4, 3)), 1e-14);
        var (loss, terms) = F.aurora_loss_terms(T.F64(Recon, 4, 3), T.F64(Obs, 4, 3), T.F64(Desc, 4, 2), null, 0.5, 2, 2.0, false);
        Assert.Equal(ReconstructionError().Average(), terms["reconstruction"], 12);
        Assert.Equal(Novelty(2, 2, false, false).Average(), terms["novelty"], 12);
        T.Close(terms["reconstruction"] - 0.5 * terms["novelty"], loss, 1e-13);
    }

    [Fact]
    public void NormalisedNoveltyIgnoresTheScaleOfTheLatentSpace()
    {
        Tensor At(double scale) => F.aurora_loss(T.F64(Recon, 4, 3), T.F64(Obs, 4, 3), T.F64(Desc, 4, 2) * scale, T.F64(Archive, 3, 2) * scale, 0.5, 2);
        T.Close(T.Scalar(At(1)), At(1000), 1e-12);
        T.Close(T.Scalar(At(1)), At(1e-3), 1e-12);
    }

    [Fact]
    public void TheNoveltyTermPushesNeighboursApartAndTheReconstructionTrainsTheDecoder()
    {
        // Two descriptors in one dimension, k = 1: l = rec - w |d1 - d2|, so dl/dd1 = -w sign(d1 - d2) / N (mean).
        var rec = T.F64(new[] { 0.0, 1.0 }, 2, 1);
        var g = T.Grad(x => F.aurora_loss(rec, T.F64(new[] { 0.5, 0.5 }, 2, 1), x, null, 0.8, 1, 2.0, false), T.F64(new[] { 2.0, -1.0 }, 2, 1));
        T.Close(new[] { -0.8 * 2 / 2, 0.8 * 2 / 2 }, g, 1e-14);
        T.Close(Enumerable.Range(0, 12).Select(j => 2 * (Recon[j] - Obs[j]) / 12).ToArray(), T.Grad(x => F.aurora_loss(x, T.F64(Obs, 4, 3), T.F64(Desc, 4, 2)), T.F64(Recon, 4, 3)), 1e-14);
        // Coincident descriptors: a zero, not NaN, gradient from the zero distance.
        T.Finite(T.Grad(x => F.aurora_loss(T.F64(Recon, 4, 3), T.F64(Obs, 4, 3), x, k: 2), torch.zeros(4, 2, dtype: ScalarType.Float64)));
    }

    [Fact]
    public void Float32ExtremesStayFiniteAndModuleAndRegistryMatch()
    {
        var big = T.F32(new[] { 1e4f, -1e4f, 0f, 1e4f, -1e4f, 5f }, 3, 2);
        T.Finite(F.aurora_loss(big, big.flip(0), big, k: 2), "loss");
        T.Finite(T.Grad(x => F.aurora_loss(big, big.flip(0), x, k: 2), big), "gradient");
        T.Finite(T.Grad(x => F.aurora_loss(x, big.flip(0), big, k: 2, normalize: false), big), "gradient, not normalised");
        double want = T.Scalar(Loss(0.2, 2, archive: true, normalize: true));
        T.Close(want, new AuroraLoss(0.2, 2).forward(T.F64(Recon, 4, 3), T.F64(Obs, 4, 3), T.F64(Desc, 4, 2), T.F64(Archive, 3, 2)), 1e-14);
        T.Close(want, LossCatalog.Create("aurora:novelty_weight=0.2,k=2").Forward(new Dictionary<string, Tensor>
        {
            ["reconstruction"] = T.F64(Recon, 4, 3), ["observations"] = T.F64(Obs, 4, 3), ["descriptors"] = T.F64(Desc, 4, 2), ["archive"] = T.F64(Archive, 3, 2),
        }), 1e-14);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var r = T.F64(Recon, 4, 3);
        var o = T.F64(Obs, 4, 3);
        var d = T.F64(Desc, 4, 2);
        Assert.Contains("observations", Assert.Throws<ArgumentException>(() => F.aurora_loss(r, T.F64(Obs, 3, 4), d)).Message);
        Assert.Contains("descriptors", Assert.Throws<ArgumentException>(() => F.aurora_loss(r, o, T.F64(Desc))).Message);
        Assert.Contains("descriptors", Assert.Throws<ArgumentException>(() => F.aurora_loss(r, o, d, k: 4)).Message);
        Assert.Contains("descriptors", Assert.Throws<ArgumentException>(() => F.aurora_loss(r, o, T.F64(Desc.Take(6).ToArray(), 3, 2))).Message);
        Assert.Contains("archive", Assert.Throws<ArgumentException>(() => F.aurora_loss(r, o, d, T.F64(new double[9], 3, 3))).Message);
        Assert.Contains("archive", Assert.Throws<ArgumentException>(() => F.aurora_loss(r, o, d, T.F64(Archive, 3, 2), k: 4)).Message);
        Assert.Contains("novelty_weight", Assert.Throws<ArgumentOutOfRangeException>(() => F.aurora_loss(r, o, d, novelty_weight: -1)).Message);
        Assert.Contains("p", Assert.Throws<ArgumentOutOfRangeException>(() => F.aurora_loss(r, o, d, p: 0.5)).ParamName);
    }
}
