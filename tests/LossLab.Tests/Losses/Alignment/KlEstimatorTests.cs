using LossLab.Autograd;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Alignment;

/// <summary>
/// The unified view of Liu et al. 2025 checked numerically on a categorical policy pi = softmax(theta) over 5 tokens:
/// the expected gradient of each estimator, over tokens sampled from a distribution q, is computed exactly by
/// enumerating the support (sum_x q(x) grad L(x), q held) and compared with closed forms written here in doubles.
/// </summary>
public class KlEstimatorTests
{
    private static readonly double[] Theta = { 0.5, -1.0, 0.3, 1.2, -0.4 };
    private static readonly double[] ThetaOld = { 0.0, 0.2, 1.0, -1.0, 0.5 };
    private static readonly double[] Rho = { 0.1, 0.3, 0.2, 0.15, 0.25 };   // the reference policy

    private static double[] Softmax(double[] z)
    {
        double m = z.Max();
        var e = z.Select(v => Math.Exp(v - m)).ToArray();
        double s = e.Sum();
        return e.Select(v => v / s).ToArray();
    }

    private static readonly double[] Pi = Softmax(Theta);
    private static readonly double[] PiOld = Softmax(ThetaOld);

    // Closed forms: reverse KL(pi || rho) = sum pi (log pi - log rho); d/dtheta_j = pi_j (l_j - KL), l = log pi - log rho.
    private static double ReverseKl() => Enumerable.Range(0, 5).Sum(k => Pi[k] * (Math.Log(Pi[k]) - Math.Log(Rho[k])));

    private static double[] ReverseKlGradient()
    {
        double kl = ReverseKl();
        return Enumerable.Range(0, 5).Select(j => Pi[j] * (Math.Log(Pi[j]) - Math.Log(Rho[j]) - kl)).ToArray();
    }

    // Forward KL(rho || pi) = sum rho (log rho - log pi); d/dtheta_j = pi_j - rho_j.
    private static double[] ForwardKlGradient() => Enumerable.Range(0, 5).Select(j => Pi[j] - Rho[j]).ToArray();

    /// <summary>
    /// sum_x q(x) * grad_theta L(x), where L(x) is the per-sample loss of token x (batch of the 5 tokens, T = 1),
    /// and the expected value sum_x q(x) L(x).
    /// </summary>
    private static (double[] Gradient, double Value) Expected(double[] q, Func<Tensor, Tensor, Tensor> perSample)
    {
        var theta = T.F64(Theta).requires_grad_(true);
        var logps = torch.nn.functional.log_softmax(theta, 0).unsqueeze(1);          // (5, 1): log pi(x) for each x
        var refLogps = T.F64(Rho.Select(v => Math.Log(v)).ToArray(), 5, 1);
        var losses = perSample(logps, refLogps);                                       // (5, 1)
        var value = (losses * T.F64(q, 5, 1)).sum();
        var grad = torch.autograd.grad(new List<Tensor> { value }, new List<Tensor> { theta })[0];
        return (T.Values(grad), T.Scalar(value));
    }

    private static Func<Tensor, Tensor, Tensor> Estimator(KlApproximation k, KlGradientMode mode, double[]? old = null) =>
        (lp, rf) => LossLab.Losses.kl_estimator(lp, rf, null, k, mode, old is null ? null : T.F64(old.Select(v => Math.Log(v)).ToArray(), 5, 1), Reduction.None);

    private static double MaxDiff(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [Fact]
    public void OnPolicyK1InRewardAndK2AsLossBothGiveTheReverseKlGradient()
    {
        var want = ReverseKlGradient();
        Assert.True(want.Select(Math.Abs).Max() > 0.05, "the test policy must be far from the reference");
        T.Close(want, T.F64(Expected(Pi, Estimator(KlApproximation.K1, KlGradientMode.InReward)).Gradient), 1e-10, 1e-12);
        T.Close(want, T.F64(Expected(Pi, Estimator(KlApproximation.K2, KlGradientMode.AsLoss)).Gradient), 1e-10, 1e-12);
    }

    [Fact]
    public void OnPolicyK3AsLossGivesTheForwardKlGradientInstead()
    {
        var k3 = Expected(Pi, Estimator(KlApproximation.K3, KlGradientMode.AsLoss)).Gradient;
        Assert.True(MaxDiff(k3, ReverseKlGradient()) > 0.05, "k3 as loss must not match the reverse KL gradient");
        T.Close(ForwardKlGradient(), T.F64(k3), 1e-10, 1e-12);
        // k1 as loss: E[grad log pi] = 0, no regularisation at all (Liu et al.'s counterexample)
        T.Close(new double[5], T.F64(Expected(Pi, Estimator(KlApproximation.K1, KlGradientMode.AsLoss)).Gradient), 0, 1e-12);
    }

    [Fact]
    public void K1AndK3AreUnbiasedValueEstimatesButK2IsNot()
    {
        double kl = ReverseKl();
        Assert.Equal(kl, Expected(Pi, Estimator(KlApproximation.K1, KlGradientMode.AsLoss)).Value, 12);
        Assert.Equal(kl, Expected(Pi, Estimator(KlApproximation.K3, KlGradientMode.AsLoss)).Value, 12);
        Assert.True(Math.Abs(Expected(Pi, Estimator(KlApproximation.K2, KlGradientMode.AsLoss)).Value - kl) > 1e-3);
    }

    [Fact]
    public void OffPolicyTheImportanceWeightsRestoreTheReverseKlGradient()
    {
        var want = ReverseKlGradient();
        // tokens drawn from pi_old, no correction: biased
        var k2Biased = Expected(PiOld, Estimator(KlApproximation.K2, KlGradientMode.AsLoss)).Gradient;
        var k1Biased = Expected(PiOld, Estimator(KlApproximation.K1, KlGradientMode.InReward)).Gradient;
        Assert.True(MaxDiff(k2Biased, want) > 0.02, "uncorrected off-policy k2 as loss must be biased");
        Assert.True(MaxDiff(k1Biased, want) > 0.02, "uncorrected off-policy k1 in reward must be biased");
        // with the held weights pi / pi_old: exact again
        T.Close(want, T.F64(Expected(PiOld, Estimator(KlApproximation.K2, KlGradientMode.AsLoss, PiOld)).Gradient), 1e-10, 1e-12);
        T.Close(want, T.F64(Expected(PiOld, Estimator(KlApproximation.K1, KlGradientMode.InReward, PiOld)).Gradient), 1e-10, 1e-12);
        // with pi_old = pi the weights are 1 and change nothing
        T.Close(want, T.F64(Expected(Pi, Estimator(KlApproximation.K2, KlGradientMode.AsLoss, Pi)).Gradient), 1e-10, 1e-12);
    }

    [Fact]
    public void MovingTheStopGradientBreaksTheEquality()
    {
        var want = ReverseKlGradient();
        // k1 "in reward" with the stop-gradient moved from the estimate to log pi: sg(log pi) * k1
        var moved = Expected(Pi, (lp, rf) => Surrogate.Hold("log_pi", lp) * (lp - rf)).Gradient;
        Assert.True(MaxDiff(moved, want) > 0.05, "a misplaced stop-gradient must break the equality");
        // k1 in reward with no stop-gradient at all: k1 * log pi differentiated through both factors
        var none = Expected(Pi, (lp, rf) => (lp - rf) * lp).Gradient;
        Assert.True(MaxDiff(none, want) > 0.05);
        // importance weights that are not held: w * k2 with w = pi / pi_old differentiated
        var logOld = T.F64(PiOld.Select(v => Math.Log(v)).ToArray(), 5, 1);
        var unheld = Expected(PiOld, (lp, rf) => (lp - logOld).exp() * (rf - lp).square() * 0.5).Gradient;
        Assert.True(MaxDiff(unheld, want) > 0.02, "unheld importance weights must break the equality");
        // and the library's own placement gives the right answer on the same inputs (sanity for the comparison)
        T.Close(want, T.F64(Expected(Pi, (lp, rf) => Surrogate.Hold("k", lp - rf) * lp).Gradient), 1e-10, 1e-12);
    }

    [Fact]
    public void SampledTokensAgreeWithTheExactExpectation()
    {
        // 40000 seeded samples from pi: the Monte Carlo mean gradient of k2-as-loss equals k1-in-reward's sample by
        // sample, and both approach the reverse KL gradient
        var idx = torch.multinomial(T.F64(Pi), 40000, replacement: true, generator: new Generator(11));
        Tensor MeanGrad(KlApproximation k, KlGradientMode mode)
        {
            var theta = T.F64(Theta).requires_grad_(true);
            var lp = torch.nn.functional.log_softmax(theta, 0).index_select(0, idx).unsqueeze(1);
            var rf = T.F64(Rho.Select(v => Math.Log(v)).ToArray()).index_select(0, idx).unsqueeze(1);
            var loss = LossLab.Losses.kl_estimator(lp, rf, null, k, mode);
            return torch.autograd.grad(new List<Tensor> { loss }, new List<Tensor> { theta })[0];
        }
        var a = MeanGrad(KlApproximation.K1, KlGradientMode.InReward);
        var b = MeanGrad(KlApproximation.K2, KlGradientMode.AsLoss);
        T.Close(T.Values(a), b, 1e-10, 1e-12);
        T.Close(ReverseKlGradient(), a, 0, 0.02);
        Assert.True(MaxDiff(T.Values(MeanGrad(KlApproximation.K3, KlGradientMode.AsLoss)), ReverseKlGradient()) > 0.05);
    }

    [Fact]
    public void ValuesPerTokenAndReductions()
    {
        double[,] lp = { { -0.5, -1.0, -2.0 }, { -0.3, -0.7, -9.0 } };
        double[,] rf = { { -0.9, -0.8, -1.0 }, { -0.4, -1.2, -1.0 } };
        double[,] m = { { 1, 1, 1 }, { 1, 1, 0 } };
        foreach (var k in Enum.GetValues<KlApproximation>())
        {
            var want = new double[6];
            for (int i = 0; i < 2; i++)
                for (int t = 0; t < 3; t++)
                {
                    double l = rf[i, t] - lp[i, t];
                    double kv = k switch { KlApproximation.K1 => -l, KlApproximation.K2 => l * l / 2, _ => Math.Exp(l) - 1 - l };
                    want[i * 3 + t] = m[i, t] * kv;
                }
            var x = AlignmentRef.F(lp);
            T.Close(want, LossLab.Losses.kl_estimator(x, AlignmentRef.F(rf), AlignmentRef.F(m), k, KlGradientMode.AsLoss, reduction: Reduction.None).reshape(-1));
            T.Close(want.Sum() / 5, LossLab.Losses.kl_estimator(x, AlignmentRef.F(rf), AlignmentRef.F(m), k, KlGradientMode.AsLoss));
            // in reward: value sg(k) * log pi, summed
            double inReward = Enumerable.Range(0, 6).Sum(j => want[j] * lp[j / 3, j % 3] * m[j / 3, j % 3]);
            T.Close(inReward, LossLab.Losses.kl_estimator(x, AlignmentRef.F(rf), AlignmentRef.F(m), k, KlGradientMode.InReward, reduction: Reduction.Sum));
        }
        using var rec = HeldTermRecorder.Start();
        LossLab.Losses.kl_estimator(AlignmentRef.F(lp), AlignmentRef.F(rf), null, KlApproximation.K1, KlGradientMode.InReward, AlignmentRef.F(rf));
        Assert.Equal(new[] { "is_weight", "kl_estimate" }, rec.Terms);
    }

    [Fact]
    public void ExtremeLogProbsStayFiniteInFloat32()
    {
        var lp = T.F32(new float[] { -1e4f, -0.1f, -3f }, 1, 3);
        var rf = T.F32(new float[] { -0.1f, -1e4f, -3f }, 1, 3);
        var old = T.F32(new float[] { -0.1f, -1e4f, -1e4f }, 1, 3);
        foreach (var k in Enum.GetValues<KlApproximation>())
            foreach (var mode in Enum.GetValues<KlGradientMode>())
            {
                T.Finite(LossLab.Losses.kl_estimator(lp, rf, null, k, mode, old), $"{k} {mode} value");
                T.Finite(T.Grad(x => LossLab.Losses.kl_estimator(x, rf, null, k, mode, old), lp), $"{k} {mode} gradient");
            }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var lp = T.F64(new[] { -1.0, -2.0 }, 1, 2);
        Assert.Contains("ref_logps", Assert.Throws<ArgumentException>(() => LossLab.Losses.kl_estimator(lp, T.F64(new[] { -1.0 }, 1, 1))).Message);
        Assert.Contains("old_logps", Assert.Throws<ArgumentException>(() => LossLab.Losses.kl_estimator(lp, lp, old_logps: T.F64(new[] { -1.0 }, 1, 1))).Message);
        Assert.Contains("logps", Assert.Throws<ArgumentException>(() => LossLab.Losses.kl_estimator(T.F64(new[] { -1.0, -2.0 }), lp)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.kl_estimator(lp, lp, estimator: (KlApproximation)7));
        var module = new LossLab.KlEstimatorLoss(KlApproximation.K2, KlGradientMode.AsLoss);
        T.Close(0.0, module.forward(lp, lp, null, null));
    }
}
