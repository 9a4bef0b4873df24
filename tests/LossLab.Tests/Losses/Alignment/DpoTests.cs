using LossLab.Tests.Support;
using Xunit;
using static LossLab.Tests.Losses.Alignment.AlignmentRef;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Alignment;

public class DpoTests
{
    // h_i = (pi_c - pi_r) - (ref_c - ref_r) from masked sums (or means), in plain doubles.
    private static double[] Margins(bool average)
    {
        var pc = Seq(ChosenLogps, ChosenMask, average);
        var pr = Seq(RejectedLogps, RejectedMask, average);
        var rc = Seq(RefChosen, ChosenMask, average);
        var rr = Seq(RefRejected, RejectedMask, average);
        return Enumerable.Range(0, 3).Select(i => pc[i] - pr[i] - (rc[i] - rr[i])).ToArray();
    }

    private static Tensor Dpo(DpoLossType type, double beta = 0.1, double ls = 0, DpoLengthNormalization norm = DpoLengthNormalization.Auto, Reduction reduction = Reduction.None) =>
        LossLab.Losses.dpo_loss(F(ChosenLogps), F(RejectedLogps), F(RefChosen), F(RefRejected), F(ChosenMask), F(RejectedMask), beta, type, ls, norm, false, reduction);

    [Fact]
    public void SigmoidIsMinusLogSigmoidOfBetaTimesTheMargin()
    {
        var h = Margins(false);
        T.Close(h.Select(x => -LogSigmoid(0.1 * x)).ToArray(), Dpo(DpoLossType.Sigmoid));
        T.Close(h.Select(x => -LogSigmoid(0.5 * x)).Average(), Dpo(DpoLossType.Sigmoid, 0.5, reduction: Reduction.Mean));
        T.Close(h.Select(x => -LogSigmoid(0.5 * x)).Sum(), Dpo(DpoLossType.Sigmoid, 0.5, reduction: Reduction.Sum));
    }

    [Fact]
    public void LabelSmoothingMixesBothDirections()
    {
        var h = Margins(false);
        T.Close(h.Select(x => -0.8 * LogSigmoid(0.3 * x) - 0.2 * LogSigmoid(-0.3 * x)).ToArray(), Dpo(DpoLossType.Sigmoid, 0.3, 0.2));
    }

    [Fact]
    public void RobustIsTheUnbiasedCorrection()
    {
        var h = Margins(false);
        T.Close(h.Select(x => (-0.9 * LogSigmoid(0.3 * x) + 0.1 * LogSigmoid(-0.3 * x)) / 0.8).ToArray(), Dpo(DpoLossType.Robust, 0.3, 0.1));
        // with no smoothing, robust is plain DPO
        T.Close(T.Values(Dpo(DpoLossType.Sigmoid, 0.3)), Dpo(DpoLossType.Robust, 0.3));
    }

    [Fact]
    public void HingeAndIpo()
    {
        var h = Margins(false);
        T.Close(h.Select(x => Math.Max(0, 1 - 0.5 * x)).ToArray(), Dpo(DpoLossType.Hinge, 0.5));
        // IPO averages token log-probabilities (TRL), unless told to sum
        var ha = Margins(true);
        T.Close(ha.Select(x => Math.Pow(x - 1 / (2 * 0.25), 2)).ToArray(), Dpo(DpoLossType.Ipo, 0.25));
        T.Close(h.Select(x => Math.Pow(x - 1 / (2 * 0.25), 2)).ToArray(), Dpo(DpoLossType.Ipo, 0.25, norm: DpoLengthNormalization.Sum));
        T.Close(ha.Select(x => -LogSigmoid(0.1 * x)).ToArray(), Dpo(DpoLossType.Sigmoid, norm: DpoLengthNormalization.Mean));
    }

    [Fact]
    public void ReferenceFreeDropsTheReferenceTerms()
    {
        var pc = Seq(ChosenLogps, ChosenMask, false);
        var pr = Seq(RejectedLogps, RejectedMask, false);
        var got = LossLab.Losses.dpo_loss(F(ChosenLogps), F(RejectedLogps), null, null, F(ChosenMask), F(RejectedMask), reference_free: true, reduction: Reduction.None);
        T.Close(pc.Zip(pr, (c, r) => -LogSigmoid(0.1 * (c - r))).ToArray(), got);
    }

    [Fact]
    public void PaddingIsNeverReadAndNullMasksCountEveryToken()
    {
        var c = (double[,])ChosenLogps.Clone();
        var r = (double[,])RejectedLogps.Clone();
        c[0, 3] = double.NaN; c[1, 2] = double.NegativeInfinity; r[2, 1] = double.NaN;
        var got = LossLab.Losses.dpo_loss(F(c), F(r), F(RefChosen), F(RefRejected), F(ChosenMask), F(RejectedMask), reduction: Reduction.None);
        T.Close(T.Values(Dpo(DpoLossType.Sigmoid)), got);
        T.Finite(T.Grad(x => LossLab.Losses.dpo_loss(x, F(r), F(RefChosen), F(RefRejected), F(ChosenMask), F(RejectedMask)), F(c)), "gradient");
        // no masks: plain row sums
        var ones = new double[,] { { 1, 1, 1, 1 }, { 1, 1, 1, 1 }, { 1, 1, 1, 1 } };
        var onesR = new double[,] { { 1, 1, 1 }, { 1, 1, 1 }, { 1, 1, 1 } };
        T.Close(T.Values(LossLab.Losses.dpo_loss(F(ChosenLogps), F(RejectedLogps), F(RefChosen), F(RefRejected), F(ones), F(onesR), reduction: Reduction.None)),
            LossLab.Losses.dpo_loss(F(ChosenLogps), F(RejectedLogps), F(RefChosen), F(RefRejected), reduction: Reduction.None));
    }

    [Fact]
    public void GradientIsTheClosedForm()
    {
        // d/d logp_c[i,t] of mean_i -logsig(beta h_i) = -beta sigmoid(-beta h_i) m_it / B
        var h = Margins(false);
        var g = T.Grad(x => LossLab.Losses.dpo_loss(x, F(RejectedLogps), F(RefChosen), F(RefRejected), F(ChosenMask), F(RejectedMask), beta: 0.5), F(ChosenLogps));
        var want = new double[12];
        for (int i = 0; i < 3; i++)
            for (int t = 0; t < 4; t++)
                want[i * 4 + t] = -0.5 * Sigmoid(-0.5 * h[i]) * ChosenMask[i, t] / 3;
        T.Close(want, g);
    }

    [Fact]
    public void ExtremeLogProbsStayFiniteInFloat32()
    {
        var c = T.F32(new float[] { -1e4f, -1e4f, -0.1f, -3f }, 2, 2);
        var r = T.F32(new float[] { -0.1f, -0.2f, -1e4f, -1e4f }, 2, 2);
        var rc = T.F32(new float[] { -0.1f, -0.1f, -1e4f, -1f }, 2, 2);
        var rr = T.F32(new float[] { -1e4f, -1e4f, -0.5f, -0.5f }, 2, 2);
        foreach (var type in Enum.GetValues<DpoLossType>())
        {
            var loss = LossLab.Losses.dpo_loss(c, r, rc, rr, beta: 0.5, loss_type: type, label_smoothing: type == DpoLossType.Robust ? 0.1 : 0);
            T.Finite(loss, $"{type} loss");
            T.Finite(T.Grad(x => LossLab.Losses.dpo_loss(x, r, rc, rr, beta: 0.5, loss_type: type), c), $"{type} gradient");
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var c = F(ChosenLogps);
        var r = F(RejectedLogps);
        Assert.Contains("ref_chosen_logps", Assert.Throws<ArgumentNullException>(() => LossLab.Losses.dpo_loss(c, r, null, F(RefRejected))).Message);
        Assert.Contains("ref_rejected_logps", Assert.Throws<ArgumentException>(() => LossLab.Losses.dpo_loss(c, r, F(RefChosen), F(RefChosen))).Message);
        Assert.Contains("chosen_logps", Assert.Throws<ArgumentException>(() => LossLab.Losses.dpo_loss(c.reshape(-1), r, F(RefChosen), F(RefRejected))).Message);
        Assert.Contains("rejected_logps", Assert.Throws<ArgumentException>(() => LossLab.Losses.dpo_loss(c, r.narrow(0, 0, 2), F(RefChosen), F(RefRejected))).Message);
        Assert.Contains("chosen_mask", Assert.Throws<ArgumentException>(() => LossLab.Losses.dpo_loss(c, r, F(RefChosen), F(RefRejected), F(RejectedMask))).Message);
        var badMask = (double[,])ChosenMask.Clone();
        badMask[0, 0] = 0.5;
        Assert.Contains("chosen_mask", Assert.Throws<ArgumentException>(() => LossLab.Losses.dpo_loss(c, r, F(RefChosen), F(RefRejected), F(badMask))).Message);
        Assert.Contains("label_smoothing", Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.dpo_loss(c, r, F(RefChosen), F(RefRejected), label_smoothing: 0.5)).Message);
        Assert.Contains("beta", Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.dpo_loss(c, r, F(RefChosen), F(RefRejected), beta: 0)).Message);
        var emptyRow = (double[,])ChosenMask.Clone();
        for (int t = 0; t < 4; t++) emptyRow[1, t] = 0;
        Assert.Contains("chosen_mask", Assert.Throws<ArgumentException>(() => LossLab.Losses.dpo_loss(c, r, F(RefChosen), F(RefRejected), F(emptyRow), loss_type: DpoLossType.Ipo)).Message);
    }

    [Fact]
    public void ModuleAndRegistryAgreeWithTheFunction()
    {
        var want = T.Values(Dpo(DpoLossType.Ipo, 0.2, reduction: Reduction.Mean));
        var module = new LossLab.DpoLoss(0.2, DpoLossType.Ipo);
        T.Close(want, module.forward(F(ChosenLogps), F(RejectedLogps), F(RefChosen), F(RefRejected), F(ChosenMask), F(RejectedMask)));
        var reg = LossLab.Registry.LossCatalog.GetLoss("dpo").Compute(new Dictionary<string, Tensor>
        {
            ["chosen_logps"] = F(ChosenLogps), ["rejected_logps"] = F(RejectedLogps), ["ref_chosen_logps"] = F(RefChosen),
            ["ref_rejected_logps"] = F(RefRejected), ["chosen_mask"] = F(ChosenMask), ["rejected_mask"] = F(RejectedMask),
        }, new Dictionary<string, string> { ["loss_type"] = "ipo", ["beta"] = "0.2" });
        T.Close(want, reg);
    }
}
