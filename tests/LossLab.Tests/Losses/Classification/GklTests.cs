using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class GklTests
{
    private static readonly double[] In = { 1.0, -0.5, 2.0, 0.2, /**/ 0.3, 0.1, -1.2, 0.9, /**/ -2.0, 3.0, 0.5, 0.0 };
    private static readonly double[] Tg = { 2.5, 0.0, 1.0, -0.4, /**/ -1.0, 2.0, 0.5, 0.3, /**/ 0.0, 4.0, -3.0, 1.0 };
    private static readonly double[] Prior = { 0.7, 0.1, 0.1, 0.1, /**/ 0.2, 0.5, 0.2, 0.1, /**/ 0.1, 0.1, 0.6, 0.2, /**/ 0.25, 0.25, 0.25, 0.25 };
    private static readonly long[] Labels = { 0, 2, 1 };

    // The authors' DKLv2 dkl_loss, written out: alpha/4 sum (delta_t - delta_s)^2 p_n / sum p_n + beta mean CE.
    private static double Reference(double[] input, double alpha, double beta, double gamma, double temperature, double t2, bool prior)
    {
        var x = ClassificationRef.Rows(input, 4);
        var t = ClassificationRef.Rows(Tg, 4);
        var p = ClassificationRef.Rows(Prior, 4);
        double num = 0, den = 0, ce = 0;
        for (int i = 0; i < x.Length; i++)
        {
            var s = (prior ? p[Labels[i]] : DklRef.Softmax(t[i], t2)).Select(v => Math.Pow(v, gamma)).ToArray();
            num += DklRef.PairSum(s, t[i], x[i]);
            den += Math.Pow(s.Sum(), 2);
            ce += DklRef.SoftCe(x[i], t[i], temperature);
        }
        return alpha / 4 * num / den + beta * ce / x.Length;
    }

    [Theory]
    [InlineData(1.0, 1.0, 1.0, 1.0, 1.0, false)]
    [InlineData(20.0, 4.0, 0.5, 4.0, 2.0, false)]
    [InlineData(1.0, 1.0, 2.0, 1.0, 1.0, true)]
    [InlineData(3.0, 0.5, 0.0, 2.0, 1.0, false)]
    public void MatchesTheAuthorsFormulaForEachReduction(double alpha, double beta, double gamma, double temperature, double t2, bool prior)
    {
        double want = Reference(In, alpha, beta, gamma, temperature, t2, prior);
        var x = T.F64(In, 3, 4);
        var t = T.F64(Tg, 3, 4);
        Tensor? cp = prior ? T.F64(Prior, 4, 4) : null;
        Tensor? lb = prior ? T.I64(Labels) : null;
        T.Close(want, F.gkl_loss(x, t, alpha, beta, gamma, temperature, t2, cp, lb));
        T.Close(3 * want, F.gkl_loss(x, t, alpha, beta, gamma, temperature, t2, cp, lb, Reduction.Sum));
        var none = F.gkl_loss(x, t, alpha, beta, gamma, temperature, t2, cp, lb, Reduction.None);
        Assert.Equal(new long[] { 3 }, none.shape);
        T.Close(want, none.mean());
    }

    [Fact]
    public void GammaOneWithoutGlobalInformationIsTheSymmetricDkl()
    {
        // softmax weights sum to 1 per sample, so the batch normaliser is N: GKL = DKL with the asymmetry broken.
        var x = T.F64(In, 3, 4);
        var t = T.F64(Tg, 3, 4);
        T.Close(T.Values(F.dkl_loss(x, t, 2.0, 0.7, asymmetric: false, reduction: Reduction.None)), F.gkl_loss(x, t, 2.0, 0.7, reduction: Reduction.None));
    }

    [Fact]
    public void GradientWithRespectToTheInputIsThatOfTheFormula()
    {
        // The held weights and soft labels depend on the target only.
        const double h = 1e-6;
        foreach (bool prior in new[] { false, true })
        {
            Tensor? cp = prior ? T.F64(Prior, 4, 4) : null;
            Tensor? lb = prior ? T.I64(Labels) : null;
            var g = T.Values(T.Grad(v => F.gkl_loss(v, T.F64(Tg, 3, 4), 5.0, 2.0, 0.5, 2.0, 1.5, cp, lb), T.F64(In, 3, 4)));
            for (int e = 0; e < In.Length; e++)
            {
                var up = (double[])In.Clone(); up[e] += h;
                var dn = (double[])In.Clone(); dn[e] -= h;
                double numeric = (Reference(up, 5.0, 2.0, 0.5, 2.0, 1.5, prior) - Reference(dn, 5.0, 2.0, 0.5, 2.0, 1.5, prior)) / (2 * h);
                Assert.Equal(numeric, g[e], 6);
            }
        }
    }

    [Fact]
    public void RegistryEntryTakesTheGlobalInformationAsNamedInputs()
    {
        var spec = LossCatalog.Create("gkl:gamma=2");
        var got = spec.Forward(new Dictionary<string, Tensor> { ["input"] = T.F64(In, 3, 4), ["target"] = T.F64(Tg, 3, 4), ["class_prior"] = T.F64(Prior, 4, 4), ["labels"] = T.I64(Labels) });
        T.Close(Reference(In, 1, 1, 2, 1, 1, true), got);
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        foreach (double gamma in new[] { 0.5, 1.0 })
        {
            DklRef.FiniteAtExtremes((x, t) => F.gkl_loss(x, t, gamma: gamma));
            DklRef.FiniteAtExtremes((x, t) => F.gkl_loss(x, t, gamma: gamma, temperature: 4, weight_temperature: 2));
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = T.F64(In, 3, 4);
        var t = T.F64(Tg, 3, 4);
        Assert.Contains("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => F.gkl_loss(x, t, gamma: -1)).Message);
        Assert.Contains("weight_temperature", Assert.Throws<ArgumentOutOfRangeException>(() => F.gkl_loss(x, t, weight_temperature: 0)).Message);
        Assert.Contains("class_prior", Assert.Throws<ArgumentException>(() => F.gkl_loss(x, t, labels: T.I64(Labels))).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.gkl_loss(T.F64(In), T.F64(Tg))).Message);
    }
}
