using LossLab.Autograd;
using LossLab.Tests.Support;
using Xunit;
using static LossLab.Tests.Losses.Alignment.AlignmentRef;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Alignment;

public class KtoTests
{
    private static readonly double[] Labels = { 1, 0, 1 };
    // mismatched batch: 2 sequences
    private static readonly double[,] KlLogps = { { -0.2, -0.3, -5.0 }, { -1.0, -0.5, -0.5 } };
    private static readonly double[,] KlRef = { { -1.2, -0.9, -5.0 }, { -1.5, -0.7, -0.1 } };
    private static readonly double[,] KlMask = { { 1, 1, 0 }, { 1, 1, 1 } };

    private static double ZRef()
    {
        var p = Seq(KlLogps, KlMask, false);
        var r = Seq(KlRef, KlMask, false);
        return Math.Max(0, (p[0] - r[0] + p[1] - r[1]) / 2);
    }

    private static double[] Reference(double beta, double wd, double wu, double z)
    {
        var pc = Seq(ChosenLogps, ChosenMask, false);
        var rc = Seq(RefChosen, ChosenMask, false);
        return Enumerable.Range(0, 3).Select(i =>
        {
            double r = pc[i] - rc[i];
            return Labels[i] == 1 ? wd * (1 - Sigmoid(beta * (r - z))) : wu * (1 - Sigmoid(beta * (z - r)));
        }).ToArray();
    }

    private static Tensor Kto(double beta = 0.1, double wd = 1, double wu = 1, Reduction reduction = Reduction.None, bool kl = true) =>
        LossLab.Losses.kto_loss(F(ChosenLogps), F(RefChosen), F(ChosenMask), V(Labels),
            kl ? F(KlLogps) : null, kl ? F(KlRef) : null, kl ? F(KlMask) : null, beta, wd, wu, reduction);

    [Fact]
    public void MatchesTheHandComputedKtoLoss()
    {
        double z = ZRef();
        Assert.True(z > 0);
        T.Close(Reference(0.5, 1, 1, z), Kto(0.5));
        T.Close(Reference(0.5, 1.33, 0.6, z), Kto(0.5, 1.33, 0.6));
        T.Close(Reference(0.5, 1.33, 0.6, z).Average(), Kto(0.5, 1.33, 0.6, Reduction.Mean));
        T.Close(Reference(0.5, 1.33, 0.6, z).Sum(), Kto(0.5, 1.33, 0.6, Reduction.Sum));
        // without a mismatched batch the reference point is 0
        T.Close(Reference(0.5, 1, 1, 0), Kto(0.5, kl: false));
    }

    [Fact]
    public void NegativeKlEstimateIsClampedToZero()
    {
        // swap policy and reference in the mismatched batch: mean log-ratio < 0, so z_ref = 0
        var got = LossLab.Losses.kto_loss(F(ChosenLogps), F(RefChosen), F(ChosenMask), V(Labels), F(KlRef), F(KlLogps), F(KlMask), 0.5, reduction: Reduction.None);
        T.Close(Reference(0.5, 1, 1, 0), got);
        // the sequence-level form of the mismatched batch gives the same as the per-token form
        var seqP = V(Seq(KlLogps, KlMask, false));
        var seqR = V(Seq(KlRef, KlMask, false));
        T.Close(T.Values(Kto(0.5)), LossLab.Losses.kto_loss(F(ChosenLogps), F(RefChosen), F(ChosenMask), V(Labels), seqP, seqR, null, 0.5, reduction: Reduction.None));
    }

    [Fact]
    public void TheReferencePointIsHeld()
    {
        // no gradient reaches the mismatched batch, and the gradient of the main batch treats z as a constant:
        // d/dlogp[i,t] = w * beta * s(1-s) * m (desirable: s = sigmoid(beta (r - z)); undesirable: sign flips)
        var klp = F(KlLogps).requires_grad_(true);
        var loss = LossLab.Losses.kto_loss(F(ChosenLogps), F(RefChosen), F(ChosenMask), V(Labels), klp, F(KlRef), F(KlMask), 0.5, reduction: Reduction.Sum);
        Assert.False(loss.requires_grad);
        var g = T.Grad(x => LossLab.Losses.kto_loss(x, F(RefChosen), F(ChosenMask), V(Labels), F(KlLogps), F(KlRef), F(KlMask), 0.5, reduction: Reduction.Sum), F(ChosenLogps));
        double z = ZRef();
        var pc = Seq(ChosenLogps, ChosenMask, false);
        var rc = Seq(RefChosen, ChosenMask, false);
        var want = new double[12];
        for (int i = 0; i < 3; i++)
        {
            double r = pc[i] - rc[i];
            double s = Labels[i] == 1 ? Sigmoid(0.5 * (r - z)) : Sigmoid(0.5 * (z - r));
            double d = (Labels[i] == 1 ? -1 : 1) * 0.5 * s * (1 - s);
            for (int t = 0; t < 4; t++) want[i * 4 + t] = d * ChosenMask[i, t];
        }
        T.Close(want, g);
        using var rec = HeldTermRecorder.Start();
        Kto(0.5);
        Assert.Equal(new[] { "kl_ref" }, rec.Terms);
    }

    [Fact]
    public void ExtremeLogProbsStayFiniteInFloat32()
    {
        var p = T.F32(new float[] { -1e4f, -1e4f, -0.1f, -0.2f }, 2, 2);
        var r = T.F32(new float[] { -0.1f, -0.1f, -1e4f, -1e4f }, 2, 2);
        var labels = T.F32(new float[] { 1, 0 });
        T.Finite(LossLab.Losses.kto_loss(p, r, null, labels, r, p), "loss");
        T.Finite(T.Grad(x => LossLab.Losses.kto_loss(x, r, null, labels, r, p), p), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var p = F(ChosenLogps);
        Assert.Contains("labels", Assert.Throws<ArgumentException>(() => LossLab.Losses.kto_loss(p, F(RefChosen), null, V(1, 0))).Message);
        Assert.Contains("labels", Assert.Throws<ArgumentException>(() => LossLab.Losses.kto_loss(p, F(RefChosen), null, V(1, 2, 0))).Message);
        Assert.Contains("kl_ref_logps", Assert.Throws<ArgumentException>(() => LossLab.Losses.kto_loss(p, F(RefChosen), null, V(Labels), F(KlLogps))).Message);
        Assert.Contains("kl_ref_logps", Assert.Throws<ArgumentException>(() => LossLab.Losses.kto_loss(p, F(RefChosen), null, V(Labels), F(KlLogps), F(RefChosen))).Message);
        Assert.Contains("kl_mask", Assert.Throws<ArgumentException>(() => LossLab.Losses.kto_loss(p, F(RefChosen), null, V(Labels), F(KlLogps), F(KlRef), F(ChosenMask))).Message);
        Assert.Contains("ref_logps", Assert.Throws<ArgumentException>(() => LossLab.Losses.kto_loss(p, F(RefRejected), null, V(Labels))).Message);
        Assert.Contains("desirable_weight", Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.kto_loss(p, F(RefChosen), null, V(Labels), desirable_weight: -1)).Message);
        var module = new LossLab.KtoLoss(0.5, reduction: Reduction.None);
        T.Close(T.Values(Kto(0.5)), module.forward(p, F(RefChosen), F(ChosenMask), V(Labels), V(Seq(KlLogps, KlMask, false)), V(Seq(KlRef, KlMask, false))));
    }
}
