using LossLab.Tests.Support;
using Xunit;
using static LossLab.Tests.Losses.Alignment.AlignmentRef;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Alignment;

public class OrpoTests
{
    // log odds of a probability exp(a): log(p / (1 - p)), straight from the definition
    private static double LogOdds(double a)
    {
        double p = Math.Exp(a);
        return Math.Log(p / (1 - p));
    }

    private static double[] OddsRatioTerms()
    {
        var ac = Seq(ChosenLogps, ChosenMask, true);
        var ar = Seq(RejectedLogps, RejectedMask, true);
        return ac.Zip(ar, (c, r) => -LogSigmoid(LogOdds(c) - LogOdds(r))).ToArray();
    }

    [Fact]
    public void PerPairIsNllPlusLambdaTimesTheOddsRatioTerm()
    {
        var ac = Seq(ChosenLogps, ChosenMask, true);
        var or = OddsRatioTerms();
        var want = ac.Zip(or, (c, o) => -c + 0.5 * o).ToArray();
        T.Close(want, LossLab.Losses.orpo_loss(F(ChosenLogps), F(RejectedLogps), F(ChosenMask), F(RejectedMask), 0.5, Reduction.None));
        T.Close(want.Sum(), LossLab.Losses.orpo_loss(F(ChosenLogps), F(RejectedLogps), F(ChosenMask), F(RejectedMask), 0.5, Reduction.Sum));
    }

    [Fact]
    public void MeanUsesTrlsTokenLevelNll()
    {
        // NLL over all chosen tokens of the batch (cross-entropy with ignore_index), plus lambda * mean odds-ratio term
        double tokens = ChosenMask.Cast<double>().Sum();
        double nll = -Seq(ChosenLogps, ChosenMask, false).Sum() / tokens;
        T.Close(nll + 0.1 * OddsRatioTerms().Average(), LossLab.Losses.orpo_loss(F(ChosenLogps), F(RejectedLogps), F(ChosenMask), F(RejectedMask)));
        // lambda 0 is plain SFT
        T.Close(nll, LossLab.Losses.orpo_loss(F(ChosenLogps), F(RejectedLogps), F(ChosenMask), F(RejectedMask), 0));
    }

    [Fact]
    public void LogOddsAreStableNearProbabilityOne()
    {
        // average log-prob -1e-10: odds ~ 1e10; naive log1p(-exp(a)) loses everything in float32 but the value is
        // log(1e10) - ... ; check against the closed form log odds(a) = a - log(-expm1(a)) in doubles
        double a = -1e-10, b = -2.0;
        double want = -LogSigmoid((a - Math.Log(-(Math.Exp(a) - 1))) - (b - Math.Log(1 - Math.Exp(b))));
        var got = LossLab.Losses.orpo_loss(T.F64(new[] { a }, 1, 1), T.F64(new[] { b }, 1, 1), lambda: 1, reduction: Reduction.None);
        T.Close(-a + want, got, rtol: 1e-6);
        // probability exactly 1 (log-prob 0) is capped: finite value and gradient
        var c = T.F32(new float[] { 0f, 0f }, 1, 2);
        var r = T.F32(new float[] { -1f, -2f }, 1, 2);
        T.Finite(LossLab.Losses.orpo_loss(c, r), "loss");
        T.Finite(T.Grad(x => LossLab.Losses.orpo_loss(x, r), c), "gradient");
    }

    [Fact]
    public void ExtremeLogProbsStayFiniteInFloat32()
    {
        var c = T.F32(new float[] { -1e4f, -1e4f, -1e-8f, -0.1f }, 2, 2);
        var r = T.F32(new float[] { -0.1f, -1e-8f, -1e4f, -1e4f }, 2, 2);
        T.Finite(LossLab.Losses.orpo_loss(c, r, lambda: 1), "loss");
        T.Finite(T.Grad(x => LossLab.Losses.orpo_loss(x, r, lambda: 1), c), "chosen gradient");
        T.Finite(T.Grad(x => LossLab.Losses.orpo_loss(c, x, lambda: 1), r), "rejected gradient");
    }

    [Fact]
    public void GradientMatchesTheClosedForm()
    {
        // per pair (none, summed): d/dlogp_c[i,t] = m/len * (-1 + lambda * (-sigmoid(-z)) * dz/da_c), dz/da_c = 1 / (1 - exp(a_c))
        var ac = Seq(ChosenLogps, ChosenMask, true);
        var ar = Seq(RejectedLogps, RejectedMask, true);
        var g = T.Grad(x => LossLab.Losses.orpo_loss(x, F(RejectedLogps), F(ChosenMask), F(RejectedMask), 0.7, Reduction.Sum), F(ChosenLogps));
        var want = new double[12];
        for (int i = 0; i < 3; i++)
        {
            double z = LogOdds(ac[i]) - LogOdds(ar[i]);
            double dz = 1 / (1 - Math.Exp(ac[i]));
            double len = Enumerable.Range(0, 4).Sum(t => ChosenMask[i, t]);
            for (int t = 0; t < 4; t++) want[i * 4 + t] = ChosenMask[i, t] / len * (-1 - 0.7 * Sigmoid(-z) * dz);
        }
        T.Close(want, g, rtol: 1e-8);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var c = F(ChosenLogps);
        Assert.Contains("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.orpo_loss(c, F(RejectedLogps), lambda: double.NaN)).Message);
        Assert.Contains("chosen_logps", Assert.Throws<ArgumentException>(() => LossLab.Losses.orpo_loss(T.I64(1, 2), F(RejectedLogps))).Message);
        Assert.Contains("rejected_logps", Assert.Throws<ArgumentException>(() => LossLab.Losses.orpo_loss(c, F(RejectedLogps).narrow(0, 0, 1))).Message);
        var module = new LossLab.OrpoLoss(0.5, Reduction.Sum);
        T.Close(T.Scalar(LossLab.Losses.orpo_loss(c, F(RejectedLogps), F(ChosenMask), F(RejectedMask), 0.5, Reduction.Sum)), module.forward(c, F(RejectedLogps), F(ChosenMask), F(RejectedMask)));
    }
}
