using LossLab.Tests.Support;
using Xunit;
using static LossLab.Tests.Losses.Alignment.AlignmentRef;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Alignment;

public class RlhfKlPenaltyTests
{
    private static readonly double[] Scores = { 2.0, -1.0, 0.5 };

    private static double K(double logp, double reference, string est)
    {
        double l = reference - logp;
        return est switch { "k1" => -l, "k2" => l * l / 2, _ => Math.Exp(l) - 1 - l };
    }

    [Theory]
    [InlineData("k1", KlApproximation.K1)]
    [InlineData("k2", KlApproximation.K2)]
    [InlineData("k3", KlApproximation.K3)]
    public void ShapesTheRewardAsTrlsPpoDoes(string est, KlApproximation kind)
    {
        // r_t = -beta k_t, plus the score at the last counted token; 0 at padding
        var want = new double[12];
        for (int i = 0; i < 3; i++)
        {
            int last = Enumerable.Range(0, 4).Last(t => ChosenMask[i, t] != 0);
            for (int t = 0; t < 4; t++)
                want[i * 4 + t] = ChosenMask[i, t] == 0 ? 0 : -0.2 * K(ChosenLogps[i, t], RefChosen[i, t], est) + (t == last ? Scores[i] : 0);
        }
        var got = LossLab.Losses.rlhf_kl_penalty(F(ChosenLogps), F(RefChosen), F(ChosenMask), V(Scores), 0.2, kind);
        T.Close(want, got.reshape(-1));
        T.Close(want.Sum(), LossLab.Losses.rlhf_kl_penalty(F(ChosenLogps), F(RefChosen), F(ChosenMask), V(Scores), 0.2, kind, Reduction.Sum));
        T.Close(want.Sum() / ChosenMask.Cast<double>().Sum(), LossLab.Losses.rlhf_kl_penalty(F(ChosenLogps), F(RefChosen), F(ChosenMask), V(Scores), 0.2, kind, Reduction.Mean));
    }

    [Fact]
    public void ScoresGoToTheLastCountedTokenEvenWithGaps()
    {
        var mask = T.F64(new[] { 1.0, 0, 1, 0 }, 1, 4);
        var lp = T.F64(new[] { -1.0, -1, -1, -1 }, 1, 4);
        var got = LossLab.Losses.rlhf_kl_penalty(lp, lp, mask, V(3.0));
        T.Close(new[] { 0.0, 0, 3, 0 }, got.reshape(-1));
        // a sequence with no counted token gets no score
        var none = LossLab.Losses.rlhf_kl_penalty(lp, lp, T.F64(new[] { 0.0, 0, 0, 0 }, 1, 4), V(3.0));
        T.Close(new[] { 0.0, 0, 0, 0 }, none.reshape(-1));
    }

    [Fact]
    public void GradientIsMinusBetaTimesTheEstimatorsDerivative()
    {
        // k1: d/dlogp = 1; k2: logp - ref; k3: 1 - exp(ref - logp)
        foreach (var (kind, d) in new (KlApproximation, Func<double, double, double>)[]
                 { (KlApproximation.K1, (_, _) => 1), (KlApproximation.K2, (p, r) => p - r), (KlApproximation.K3, (p, r) => 1 - Math.Exp(r - p)) })
        {
            var g = T.Grad(x => LossLab.Losses.rlhf_kl_penalty(x, F(RefChosen), F(ChosenMask), V(Scores), 0.3, kind), F(ChosenLogps));
            var want = new double[12];
            for (int i = 0; i < 3; i++)
                for (int t = 0; t < 4; t++) want[i * 4 + t] = ChosenMask[i, t] * -0.3 * d(ChosenLogps[i, t], RefChosen[i, t]);
            T.Close(want, g);
        }
    }

    [Fact]
    public void ExtremeLogProbsStayFiniteInFloat32()
    {
        var lp = T.F32(new float[] { -1e4f, -0.1f }, 1, 2);
        var rf = T.F32(new float[] { -0.1f, -1e4f }, 1, 2);
        foreach (var kind in Enum.GetValues<KlApproximation>())
        {
            T.Finite(LossLab.Losses.rlhf_kl_penalty(lp, rf, estimator: kind), "rewards");
            T.Finite(T.Grad(x => LossLab.Losses.rlhf_kl_penalty(x, rf, estimator: kind), lp), "gradient");
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var lp = F(ChosenLogps);
        Assert.Contains("scores", Assert.Throws<ArgumentException>(() => LossLab.Losses.rlhf_kl_penalty(lp, F(RefChosen), scores: V(1, 2))).Message);
        Assert.Contains("ref_logps", Assert.Throws<ArgumentException>(() => LossLab.Losses.rlhf_kl_penalty(lp, F(RefRejected))).Message);
        Assert.Contains("beta", Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.rlhf_kl_penalty(lp, F(RefChosen), beta: -0.1)).Message);
        Assert.Contains("mask", Assert.Throws<ArgumentException>(() => LossLab.Losses.rlhf_kl_penalty(lp, F(RefChosen), F(RejectedMask))).Message);
        var module = new LossLab.RlhfKlPenalty(0.2, KlApproximation.K3);
        T.Close(T.Values(LossLab.Losses.rlhf_kl_penalty(lp, F(RefChosen), F(ChosenMask), V(Scores), 0.2, KlApproximation.K3)), module.forward(lp, F(RefChosen), F(ChosenMask), V(Scores)));
    }
}
