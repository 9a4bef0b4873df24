using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Generative;

public class LsganTests
{
    private static readonly double[] Real = { 1.5, -0.3, 0.4, 2.2 };
    private static readonly double[] Fake = { -2.0, 0.7, -0.5, 0.1 };

    [Theory]
    [InlineData(0.0, 1.0, 1.0)]
    [InlineData(-1.0, 1.0, 0.0)]
    [InlineData(0.3, 0.8, 0.5)]
    public void DiscriminatorAndGeneratorAreHalfSquaredErrorsToTheirTargets(double a, double b, double c)
    {
        var d = Real.Zip(Fake, (r, f) => 0.5 * (r - b) * (r - b) + 0.5 * (f - a) * (f - a)).ToArray();
        T.Close(d, F.lsgan_loss(T.F64(Real, 2, 2), T.F64(Fake, 2, 2), a: a, b: b, c: c, reduction: Reduction.None));
        T.Close(d.Average(), F.lsgan_loss(T.F64(Real), T.F64(Fake), a: a, b: b, c: c));
        T.Close(d.Sum(), F.lsgan_loss(T.F64(Real), T.F64(Fake), a: a, b: b, c: c, reduction: Reduction.Sum));
        var g = Fake.Select(f => 0.5 * (f - c) * (f - c)).ToArray();
        T.Close(g.Average(), F.lsgan_loss(null, T.F64(Fake), GanRole.Generator, a, b, c));
        T.Close(Fake.Select(f => (f - c) / 4).ToArray(), T.Grad(x => F.lsgan_loss(null, x, GanRole.Generator, a, b, c), T.F64(Fake)));
        T.Close(Real.Select(r => (r - b) / 4).ToArray(), T.Grad(x => F.lsgan_loss(x, T.F64(Fake), a: a, b: b, c: c), T.F64(Real)));
    }

    [Fact]
    public void WithTheChi2CodingTheGeneratorObjectiveIsHalfThePearsonChi2()
    {
        // Mao et al. 3.2.2: with D* = (b p_d + a p_g) / (p_d + p_g) and b - c = 1, b - a = 2,
        // 2 C(G) = chi2_Pearson(p_d + p_g || 2 p_g) = sum (p_g - p_d)^2 / (p_d + p_g), where
        // C(G) = 1/2 E_pd[(D* - c)^2] + 1/2 E_pg[(D* - c)^2].
        double a = -1, b = 1, c = 0;
        double[] pd = { 0.5, 0.25, 0.25 }, pg = { 0.25, 0.25, 0.5 };
        int[] realPoints = { 0, 0, 1, 2 }, fakePoints = { 0, 1, 2, 2 };
        double DStar(int k) => (b * pd[k] + a * pg[k]) / (pd[k] + pg[k]);
        var onReal = F.lsgan_loss(null, T.F64(realPoints.Select(DStar).ToArray()), GanRole.Generator, a, b, c);
        var onFake = F.lsgan_loss(null, T.F64(fakePoints.Select(DStar).ToArray()), GanRole.Generator, a, b, c);
        double chi2 = Enumerable.Range(0, 3).Sum(k => (pg[k] - pd[k]) * (pg[k] - pd[k]) / (pd[k] + pg[k]));
        T.Close(chi2, 2 * (onReal + onFake), 1e-12);
    }

    [Fact]
    public void Float32ScoresOf1e4StayFiniteAndModuleMatches()
    {
        var r = T.F32(new[] { 1e4f, -1e4f }, 2);
        var f = T.F32(new[] { -1e4f, 1e4f }, 2);
        T.Close(new[] { 0.5 * 9999.0 * 9999 + 0.5 * 1e8, 0.5 * 10001.0 * 10001 + 0.5 * 1e8 }, F.lsgan_loss(r, f, reduction: Reduction.None), 1e-6);
        T.Finite(T.Grad(x => F.lsgan_loss(x, f), r));
        T.Close(T.Scalar(F.lsgan_loss(T.F64(Real), T.F64(Fake), a: -1, c: 0)), new LsganLoss(a: -1, c: 0).forward(T.F64(Real), T.F64(Fake)));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => F.lsgan_loss(T.F64(Real), T.F64(Fake), b: double.NaN));
        Assert.Contains("'b'", e.Message);
        var e2 = Assert.Throws<ArgumentNullException>(() => F.lsgan_loss(null, T.F64(Fake)));
        Assert.Contains("real_logits", e2.Message);
        Assert.Throws<ArgumentException>(() => F.lsgan_loss(T.F64(Real), T.F64(Fake), reduction: Reduction.BatchMean));
    }
}
