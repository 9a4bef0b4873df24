using LossLab.Tests.Support;
using Xunit;
using static LossLab.Tests.Losses.Alignment.AlignmentRef;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Alignment;

public class SimPoTests
{
    private static double[] Gaps() =>
        Seq(ChosenLogps, ChosenMask, true).Zip(Seq(RejectedLogps, RejectedMask, true), (c, r) => c - r).ToArray();

    private static Tensor SimPo(double beta, double gamma, double ls = 0, bool hinge = false, Reduction reduction = Reduction.None) =>
        LossLab.Losses.simpo_loss(F(ChosenLogps), F(RejectedLogps), F(ChosenMask), F(RejectedMask), beta, gamma, ls, hinge, reduction);

    [Fact]
    public void IsMinusLogSigmoidOfTheScaledAverageGapMinusGamma()
    {
        var d = Gaps();
        T.Close(d.Select(x => -LogSigmoid(2.0 * x - 0.5)).ToArray(), SimPo(2.0, 0.5));
        T.Close(d.Select(x => -LogSigmoid(2.5 * x - 1.4)).Average(), SimPo(2.5, 1.4, reduction: Reduction.Mean));
        T.Close(d.Select(x => -LogSigmoid(2.5 * x - 1.4)).Sum(), SimPo(2.5, 1.4, reduction: Reduction.Sum));
        T.Close(d.Select(x => -0.9 * LogSigmoid(2 * x - 1) - 0.1 * LogSigmoid(1 - 2 * x)).ToArray(), SimPo(2, 1, 0.1));
        T.Close(d.Select(x => Math.Max(0, 1 - (2 * x - 1))).ToArray(), SimPo(2, 1, hinge: true));
    }

    [Fact]
    public void WithGammaZeroItIsReferenceFreeDpoOnAverages()
    {
        var dpo = LossLab.Losses.dpo_loss(F(ChosenLogps), F(RejectedLogps), null, null, F(ChosenMask), F(RejectedMask), beta: 2.0,
            length_normalization: DpoLengthNormalization.Mean, reference_free: true, reduction: Reduction.None);
        T.Close(T.Values(dpo), SimPo(2.0, 0.0));
    }

    [Fact]
    public void LengthDoesNotChangeTheRewardOfRepeatedTokens()
    {
        // a response of n identical tokens has average log-prob equal to that token's: the loss ignores length
        var shortC = T.F64(new[] { -0.5, -0.5, 0, 0 }, 1, 4);
        var longC = T.F64(new[] { -0.5, -0.5, -0.5, -0.5 }, 1, 4);
        var r = T.F64(new[] { -1.0, -1.0 }, 1, 2);
        var a = LossLab.Losses.simpo_loss(shortC, r, T.F64(new[] { 1.0, 1, 0, 0 }, 1, 4));
        var b = LossLab.Losses.simpo_loss(longC, r);
        T.Close(T.Scalar(a), b);
        T.Close(-LogSigmoid(2.0 * 0.5 - 0.5), b);
    }

    [Fact]
    public void GradientIsTheClosedForm()
    {
        // d/dlogp_c[i,t] of mean_i -logsig(beta d_i - gamma) = -beta sigmoid(-(beta d_i - gamma)) m_it / (len_i B)
        var d = Gaps();
        var g = T.Grad(x => LossLab.Losses.simpo_loss(x, F(RejectedLogps), F(ChosenMask), F(RejectedMask), 2.0, 0.5), F(ChosenLogps));
        var want = new double[12];
        for (int i = 0; i < 3; i++)
        {
            double len = Enumerable.Range(0, 4).Sum(t => ChosenMask[i, t]);
            for (int t = 0; t < 4; t++) want[i * 4 + t] = -2.0 * Sigmoid(-(2.0 * d[i] - 0.5)) * ChosenMask[i, t] / len / 3;
        }
        T.Close(want, g);
    }

    [Fact]
    public void ExtremeLogProbsStayFiniteInFloat32()
    {
        var c = T.F32(new float[] { -1e4f, -1e4f, -0.1f, -0.1f }, 2, 2);
        var r = T.F32(new float[] { -0.1f, -0.1f, -1e4f, -1e4f }, 2, 2);
        foreach (bool hinge in new[] { false, true })
        {
            T.Finite(LossLab.Losses.simpo_loss(c, r, hinge: hinge), "loss");
            T.Finite(T.Grad(x => LossLab.Losses.simpo_loss(x, r, hinge: hinge), c), "gradient");
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var c = F(ChosenLogps);
        var r = F(RejectedLogps);
        var empty = new double[,] { { 1, 1, 0 }, { 0, 0, 0 }, { 1, 0, 0 } };
        Assert.Contains("rejected_mask", Assert.Throws<ArgumentException>(() => LossLab.Losses.simpo_loss(c, r, null, F(empty))).Message);
        Assert.Contains("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.simpo_loss(c, r, gamma: -1)).Message);
        Assert.Contains("rejected_logps", Assert.Throws<ArgumentException>(() => LossLab.Losses.simpo_loss(c, r.to_type(ScalarType.Float32))).Message);
        var module = new LossLab.SimPoLoss(2.0, 0.5, reduction: Reduction.None);
        T.Close(T.Values(SimPo(2.0, 0.5)), module.forward(c, r, F(ChosenMask), F(RejectedMask)));
    }
}
