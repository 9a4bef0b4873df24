using Xunit;

namespace LossLab.Tests.Losses.Divergence;

/// <summary>The f-divergence table, checked numerically from the definitions.</summary>
public class FDivergenceTests
{
    public static TheoryData<LossLab.Divergence> All()
    {
        var d = new TheoryData<LossLab.Divergence>();
        foreach (var v in Enum.GetValues<LossLab.Divergence>()) d.Add(v);
        return d;
    }

    // sup over u > 0 of (t u - f(u)) by golden-section search on log u (t u - f(u) is concave in u).
    private static double NumericConjugate(Func<double, double> f, double t)
    {
        double G(double s) { double u = Math.Exp(s); return t * u - f(u); }
        double a = -25, b = 12;
        const double phi = 0.6180339887498949;
        double c = b - phi * (b - a), d = a + phi * (b - a);
        for (int i = 0; i < 300; i++)
        {
            if (G(c) > G(d)) b = d; else a = c;
            c = b - phi * (b - a);
            d = a + phi * (b - a);
        }
        return G((a + b) / 2);
    }

    // Points x inside phi's domain. For the chi2 rows, x < 2: with u restricted to u >= 0 (a density ratio) the
    // supremum for t = -x < -2 sits at u = 0 and f* is flat there (docs/iq-loss.md explains what that means).
    private static IEnumerable<double> Inside(LossLab.FDivergence row)
    {
        bool chi2 = row.Divergence is LossLab.Divergence.Chi2 or LossLab.Divergence.PearsonChi2;
        double lo = double.IsNegativeInfinity(row.DomainLow) ? -2.5 : row.DomainLow;
        double hi = chi2 ? 1.9 : double.IsPositiveInfinity(row.DomainHigh) ? 3.0 : row.DomainHigh;
        for (int k = 1; k <= 9; k++) yield return lo + (hi - lo) * k / 10.0;
    }

    [Theory]
    [MemberData(nameof(All))]
    public void TheConjugateIsTheSupremumOfTheDefinition(LossLab.Divergence d)
    {
        var row = LossLab.FDivergence.Of(d);
        foreach (double x in Inside(row))
        {
            double t = -x;
            double want = NumericConjugate(row.Generator, t);
            Assert.True(Math.Abs(row.Conjugate(t) - want) < 1e-6 * (1 + Math.Abs(want)), $"{d}: f*({t}) = {row.Conjugate(t)}, numeric sup {want}");
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public void PhiIsMinusTheConjugateAtMinusXAndPhiPrimeItsDerivative(LossLab.Divergence d)
    {
        var row = LossLab.FDivergence.Of(d);
        foreach (double x in Inside(row))
        {
            Assert.Equal(-row.Conjugate(-x), row.Phi(x), 12);
            const double h = 1e-6;
            double numeric = (row.Phi(x + h) - row.Phi(x - h)) / (2 * h);
            Assert.True(Math.Abs(numeric - row.PhiPrime(x)) < 1e-6 * (1 + Math.Abs(numeric)), $"{d}: phi'({x}) = {row.PhiPrime(x)}, numeric {numeric}");
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public void TheActivationKeepsRewardsInsidePhisDomain(LossLab.Divergence d)
    {
        var row = LossLab.FDivergence.Of(d);
        var x = TorchSharp.torch.linspace(-1e4, 1e4, 20001, dtype: TorchSharp.torch.ScalarType.Float64);
        foreach (bool shifted in new[] { false, true })
        {
            var r = Support.T.Values(row.Reward(x, shifted));
            Assert.All(r, v => Assert.True(v > row.DomainLow || (d == LossLab.Divergence.TotalVariation && v >= row.DomainLow), $"{d}: reward {v} below {row.DomainLow}"));
            Assert.All(r, v => Assert.True(v <= row.DomainHigh, $"{d}: reward {v} above {row.DomainHigh}"));
            Assert.All(Support.T.Values(row.PhiPrimeOf(row.Reward(x, shifted))), v => Assert.True(double.IsFinite(v)));
        }
    }

    [Fact]
    public void ThePapersFourMatchAppendixA()
    {
        // Appendix A as the conformance README states it, written out independently.
        double[] xs = { -3, -0.5, 0, 0.7, 4 };
        foreach (double x in xs)
        {
            double sp = Math.Log(1 + Math.Exp(x));
            Assert.Equal(Math.Exp(-x), LossLab.FDivergence.Of(LossLab.Divergence.ReverseKl).PhiPrime(x), 12);
            double rjs = sp - Math.Log(2) + 1e-5;
            Assert.Equal(Math.Exp(-rjs) / (2 - Math.Exp(-rjs)), LossLab.FDivergence.Of(LossLab.Divergence.JensenShannon).PhiPrime(rjs), 12);
            double rh = sp - 1 + 1e-5;
            Assert.Equal(1 / Math.Pow(1 + rh, 2), LossLab.FDivergence.Of(LossLab.Divergence.Hellinger).PhiPrime(rh), 12);
            var t = Support.T.F64([x]);
            Assert.Equal(rjs, Support.T.Scalar(LossLab.Losses.IqReward(t, LossLab.Divergence.JensenShannon)), 12);
            Assert.Equal(rh, Support.T.Scalar(LossLab.Losses.IqReward(t, LossLab.Divergence.Hellinger)), 12);
        }
        // the shifted Hellinger activation gives reward 1e-5 at logit 0
        Assert.Equal(1e-5, Support.T.Scalar(LossLab.FDivergence.Of(LossLab.Divergence.Hellinger).Reward(Support.T.F64([0.0]), true)), 12);
    }
}
