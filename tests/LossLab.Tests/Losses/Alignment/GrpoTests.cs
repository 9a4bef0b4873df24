using LossLab.Autograd;
using LossLab.Tests.Support;
using Xunit;
using static LossLab.Tests.Losses.Alignment.AlignmentRef;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Alignment;

public class GrpoTests
{
    // 4 completions = 2 prompts x 2, 3 tokens each
    private static readonly double[,] Logps = { { -0.5, -1.0, -0.2 }, { -2.0, -0.3, -4.0 }, { -0.1, -0.6, -0.9 }, { -1.4, -0.8, -3.0 } };
    private static readonly double[,] Ref = { { -0.7, -0.9, -0.5 }, { -1.0, -0.2, -1.0 }, { -0.3, -0.6, -0.4 }, { -1.0, -1.1, -2.0 } };
    private static readonly double[,] Old = { { -0.4, -1.5, -0.2 }, { -2.3, -0.2, -4.0 }, { -0.1, -0.3, -1.5 }, { -1.2, -0.8, -3.0 } };
    private static readonly double[,] Mask = { { 1, 1, 1 }, { 1, 1, 0 }, { 1, 0, 0 }, { 1, 1, 1 } };
    private static readonly double[] Rewards = { 1.0, 0.0, 0.5, 2.5 };

    private static double[] Advantages(double eps, bool scale)
    {
        var a = new double[4];
        for (int g = 0; g < 2; g++)
        {
            double r0 = Rewards[2 * g], r1 = Rewards[2 * g + 1], mean = (r0 + r1) / 2;
            double std = Math.Sqrt(((r0 - mean) * (r0 - mean) + (r1 - mean) * (r1 - mean)) / 1.0);   // unbiased, n - 1 = 1
            a[2 * g] = scale ? (r0 - mean) / (std + eps) : r0 - mean;
            a[2 * g + 1] = scale ? (r1 - mean) / (std + eps) : r1 - mean;
        }
        return a;
    }

    private static double[,] PerToken(double[,]? old, double epsLo, double epsHi, double beta, bool scale = true)
    {
        var a = Advantages(1e-4, scale);
        var res = new double[4, 3];
        for (int i = 0; i < 4; i++)
            for (int t = 0; t < 3; t++)
            {
                double rho = old is null ? 1 : Math.Exp(Logps[i, t] - old[i, t]);
                double clipped = Math.Clamp(rho, 1 - epsLo, 1 + epsHi);
                double l = -Math.Min(rho * a[i], clipped * a[i]);
                double lr = Ref[i, t] - Logps[i, t];
                res[i, t] = l + beta * (Math.Exp(lr) - lr - 1);
            }
        return res;
    }

    private static double SequenceMean(double[,] perToken) => Seq(perToken, Mask, true).Average();

    private static double TokenMean(double[,] perToken) => Seq(perToken, Mask, false).Sum() / Mask.Cast<double>().Sum();

    [Fact]
    public void OnPolicyValueIsMinusTheAdvantagePlusTheKlTerm()
    {
        var per = PerToken(null, 0.2, 0.2, 0.04);
        T.Close(SequenceMean(per), LossLab.Losses.grpo_loss(F(Logps), F(Mask), V(Rewards), F(Ref), group_size: 2));
        T.Close(TokenMean(per), LossLab.Losses.grpo_loss(F(Logps), F(Mask), V(Rewards), F(Ref), group_size: 2, loss_type: GrpoLossType.Token));
        T.Close(Seq(per, Mask, false).Sum(), LossLab.Losses.grpo_loss(F(Logps), F(Mask), V(Rewards), F(Ref), group_size: 2, reduction: Reduction.Sum));
        var none = LossLab.Losses.grpo_loss(F(Logps), F(Mask), V(Rewards), F(Ref), group_size: 2, reduction: Reduction.None);
        T.Close(per.Cast<double>().Zip(Mask.Cast<double>(), (v, m) => v * m).ToArray(), none.reshape(-1));
    }

    [Fact]
    public void OffPolicyRatiosAreClipped()
    {
        var per = PerToken(Old, 0.2, 0.28, 0.1);
        T.Close(SequenceMean(per), LossLab.Losses.grpo_loss(F(Logps), F(Mask), V(Rewards), F(Ref), F(Old), group_size: 2, epsilon_high: 0.28, beta: 0.1));
        // the ratios above straddle the clip range: some clip, some do not
        var rho = Logps.Cast<double>().Zip(Old.Cast<double>(), (l, o) => Math.Exp(l - o)).ToArray();
        Assert.Contains(rho, r => r > 1.28);
        Assert.Contains(rho, r => r < 0.8);
        var dr = PerToken(Old, 0.2, 0.2, 0, scale: false);
        T.Close(TokenMean(dr), LossLab.Losses.grpo_loss(F(Logps), F(Mask), V(Rewards), null, F(Old), group_size: 2, beta: 0, scale_rewards: false, loss_type: GrpoLossType.Token));
    }

    [Fact]
    public void OnPolicyGradientIsTheScoreFunctionPlusTheK3Gradient()
    {
        // ratio exp(logp - sg(logp)) has gradient 1 per token; k3 = exp(l) - l - 1 with l = ref - logp has d/dlogp = 1 - exp(l)
        var a = Advantages(1e-4, true);
        var g = T.Grad(x => LossLab.Losses.grpo_loss(x, F(Mask), V(Rewards), F(Ref), group_size: 2, beta: 0.3), F(Logps));
        var want = new double[12];
        for (int i = 0; i < 4; i++)
        {
            double len = Enumerable.Range(0, 3).Sum(t => Mask[i, t]);
            for (int t = 0; t < 3; t++)
                want[i * 3 + t] = Mask[i, t] * (-a[i] + 0.3 * (1 - Math.Exp(Ref[i, t] - Logps[i, t]))) / len / 4;
        }
        T.Close(want, g);
        using var rec = HeldTermRecorder.Start();
        LossLab.Losses.grpo_loss(F(Logps), F(Mask), V(Rewards), F(Ref), group_size: 2);
        Assert.Equal(new[] { "old_logps" }, rec.Terms);
    }

    [Fact]
    public void GroupIdsMatchTheConsecutiveLayout()
    {
        // permute the batch and give the group ids explicitly
        long[] perm = { 2, 0, 3, 1 };
        var idx = T.I64(perm);
        var want = LossLab.Losses.grpo_loss(F(Logps), F(Mask), V(Rewards), F(Ref), F(Old), group_size: 2, reduction: Reduction.None);
        var got = LossLab.Losses.grpo_loss(F(Logps).index_select(0, idx), F(Mask).index_select(0, idx), V(Rewards).index_select(0, idx), F(Ref).index_select(0, idx),
            F(Old).index_select(0, idx), groups: T.I64(perm.Select(p => p / 2 + 10).ToArray()), reduction: Reduction.None);
        T.Close(T.Values(want.index_select(0, idx)), got);
        // one group over the whole batch (group_size 0) equals group_size = B
        T.Close(T.Values(LossLab.Losses.grpo_loss(F(Logps), F(Mask), V(Rewards), F(Ref), group_size: 4)),
            LossLab.Losses.grpo_loss(F(Logps), F(Mask), V(Rewards), F(Ref)));
    }

    [Fact]
    public void PaddingGarbageNeverReachesValuesOrGradients()
    {
        var lp = (double[,])Logps.Clone();
        var rf = (double[,])Ref.Clone();
        var old = (double[,])Old.Clone();
        lp[1, 2] = double.NaN; rf[2, 1] = double.NegativeInfinity; old[2, 2] = double.NaN; lp[2, 2] = double.PositiveInfinity;
        var want = LossLab.Losses.grpo_loss(F(Logps), F(Mask), V(Rewards), F(Ref), F(Old), group_size: 2, beta: 0.1);
        T.Close(T.Scalar(want), LossLab.Losses.grpo_loss(F(lp), F(Mask), V(Rewards), F(rf), F(old), group_size: 2, beta: 0.1));
        var g = T.Grad(x => LossLab.Losses.grpo_loss(x, F(Mask), V(Rewards), F(rf), F(old), group_size: 2, beta: 0.1), F(lp));
        T.Finite(g, "gradient");
        Assert.Equal(0.0, T.Values(g)[1 * 3 + 2]);
        T.Finite(T.Grad(x => LossLab.Losses.kl_estimator(x, F(rf), F(Mask), KlApproximation.K3, KlGradientMode.InReward, F(old)), F(lp)), "kl_estimator gradient");
        T.Finite(T.Grad(x => LossLab.Losses.rlhf_kl_penalty(x, F(rf), F(Mask), estimator: KlApproximation.K3), F(lp)), "rlhf_kl_penalty gradient");
    }

    [Fact]
    public void ExtremeLogProbsStayFiniteInFloat32()
    {
        var lp = T.F32(new float[] { -1e4f, -0.1f, -0.2f, -1e4f }, 2, 2);
        var rf = T.F32(new float[] { -0.1f, -1e4f, -1e4f, -0.1f }, 2, 2);
        var old = T.F32(new float[] { -0.1f, -1e4f, -1e4f, -0.1f }, 2, 2);
        var r = T.F32(new float[] { 1f, -1f });
        foreach (var type in new[] { GrpoLossType.Sequence, GrpoLossType.Token })
        {
            T.Finite(LossLab.Losses.grpo_loss(lp, null, r, rf, old, loss_type: type), "loss");
            T.Finite(T.Grad(x => LossLab.Losses.grpo_loss(x, null, r, rf, old, loss_type: type), lp), "gradient");
            T.Finite(T.Grad(x => LossLab.Losses.grpo_loss(x, null, r, rf, null, loss_type: type), lp), "on-policy gradient");
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var lp = F(Logps);
        Assert.Contains("ref_logps", Assert.Throws<ArgumentNullException>(() => LossLab.Losses.grpo_loss(lp, null, V(Rewards))).Message);
        Assert.Contains("group_size", Assert.Throws<ArgumentException>(() => LossLab.Losses.grpo_loss(lp, null, V(Rewards), beta: 0, group_size: 3)).Message);
        Assert.Contains("group_size", Assert.Throws<ArgumentException>(() => LossLab.Losses.grpo_loss(lp, null, V(Rewards), beta: 0, group_size: 1)).Message);
        Assert.Contains("groups", Assert.Throws<ArgumentException>(() => LossLab.Losses.grpo_loss(lp, null, V(Rewards), beta: 0, groups: T.I64(0, 0, 0, 1))).Message);
        Assert.Contains("groups", Assert.Throws<ArgumentException>(() => LossLab.Losses.grpo_loss(lp, null, V(Rewards), beta: 0, groups: V(0, 0, 1, 1))).Message);
        Assert.Contains("rewards", Assert.Throws<ArgumentException>(() => LossLab.Losses.grpo_loss(lp, null, V(1, 2, 3), beta: 0)).Message);
        Assert.Contains("old_logps", Assert.Throws<ArgumentException>(() => LossLab.Losses.grpo_loss(lp, null, V(Rewards), beta: 0, old_logps: F(Ref).t())).Message);
        Assert.Contains("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.grpo_loss(lp, null, V(Rewards), beta: 0, epsilon: 1.5)).Message);
        var module = new LossLab.GrpoLoss(2, beta: 0.1);
        T.Close(SequenceMean(PerToken(Old, 0.2, 0.2, 0.1)), module.forward(lp, F(Mask), V(Rewards), F(Ref), F(Old)));
    }
}
