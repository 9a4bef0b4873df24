using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class ActorCriticTests
{
    private static readonly double[] LogP = { -1.0, -0.5, -2.0, -0.25 };
    private static readonly double[] V = { 0.5, 1.0, -0.5, 2.0 };
    private static readonly double[] R = { 1.5, 0.0, 0.5, 2.5 };
    private static readonly double[] H = { 0.7, 0.2, 1.1, 0.4 };

    // SB3's A2C: policy_loss = -mean(A logp), value_loss = mean((R - V)^2), entropy_loss = -mean(H)
    private static double Sb3(double[] logp, double[] v, double[] r, double[] h, double vc, double ec)
    {
        var a = r.Zip(v, (x, y) => x - y).ToArray();
        double policy = -a.Zip(logp, (x, y) => x * y).Average();
        double value = r.Zip(v, (x, y) => (x - y) * (x - y)).Average();
        return policy + vc * value - ec * h.Average();
    }

    [Fact]
    public void MatchesSb3sCombinationWithReturns()
    {
        var got = F.actor_critic_loss(T.F64(LogP), T.F64(V), T.F64(R), entropy: T.F64(H));
        T.Close(Sb3(LogP, V, R, H, 0.5, 0.01), got, rtol: 1e-12);
        T.Close(Sb3(LogP, V, R, H, 1.0, 0.1) * 4, F.actor_critic_loss(T.F64(LogP), T.F64(V), T.F64(R), entropy: T.F64(H), value_coef: 1, entropy_coef: 0.1, reduction: Reduction.Sum), rtol: 1e-12);
        // without an entropy input the entropy is estimated by -log pi
        T.Close(Sb3(LogP, V, R, LogP.Select(x => -x).ToArray(), 0.5, 0.01), F.actor_critic_loss(T.F64(LogP), T.F64(V), T.F64(R)), rtol: 1e-12);
    }

    [Fact]
    public void AdvantageAndReturnsAreHeld()
    {
        var g = RlRef.Grads(x => F.actor_critic_loss(x[0], x[1], x[2], entropy: x[3]), T.F64(LogP), T.F64(V), T.F64(R), T.F64(H));
        int n = LogP.Length;
        // policy: -A / n; value: 0.5 * 2 (V - R) / n only (no gradient through A = R - V); returns get none
        T.Close(R.Zip(V, (r, v) => -(r - v) / n).ToArray(), T.F64(g[0]), rtol: 1e-12);
        T.Close(R.Zip(V, (r, v) => (v - r) / n).ToArray(), T.F64(g[1]), rtol: 1e-12);
        Assert.All(g[2], v => Assert.Equal(0.0, v));
        T.Close(Enumerable.Repeat(-0.01 / n, n).ToArray(), T.F64(g[3]), rtol: 1e-12);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.9)]
    [InlineData(0.0)]
    public void RewardsGiveGaeAdvantagesAndReturns(double lambda)
    {
        const int t = 6;
        var logp = RlRef.Normal(t, 61).Select(v => -Math.Abs(v)).ToArray();
        var v = RlRef.Normal(t, 62);
        var r = RlRef.Normal(t, 63);
        var d = RlRef.Flags(t, 64);
        const double boot = 0.7, gamma = 0.9;
        var vExt = v.Append(boot).ToArray();
        var a = RlRef.Gae(r, vExt, d, gamma, lambda);
        var ret = a.Select((x, i) => x + v[i]).ToArray();
        var want = Enumerable.Range(0, t).Select(i => -a[i] * logp[i] + 0.5 * (v[i] - ret[i]) * (v[i] - ret[i]) - 0.01 * (-logp[i])).ToArray();
        var got = F.actor_critic_loss(T.F64(logp), T.F64(v), rewards: T.F64(r), dones: T.F64(d), gamma: gamma, gae_lambda: lambda,
            bootstrap_value: torch.tensor(boot, dtype: ScalarType.Float64), reduction: Reduction.None);
        T.Close(want, got, rtol: 1e-10, atol: 1e-12);
        if (lambda == 1.0)
        {
            // lambda 1: the value target is the bootstrapped discounted return
            var g = RlRef.Returns(r, d, gamma, boot);
            T.Close(T.Values(got), F.actor_critic_loss(T.F64(logp), T.F64(v), T.F64(g), reduction: Reduction.None), rtol: 1e-10, atol: 1e-12);
        }
    }

    [Fact]
    public void NormalisedAdvantages()
    {
        var a = R.Zip(V, (r, v) => r - v).ToArray();
        double mean = a.Average(), std = Math.Sqrt(a.Sum(x => (x - mean) * (x - mean)) / (a.Length - 1));
        var want = Enumerable.Range(0, 4).Select(i => -(a[i] - mean) / (std + 1e-8) * LogP[i] + 0.5 * (V[i] - R[i]) * (V[i] - R[i]) - 0.01 * H[i]).ToArray();
        T.Close(want, F.actor_critic_loss(T.F64(LogP), T.F64(V), T.F64(R), entropy: T.F64(H), normalize_advantage: true, reduction: Reduction.None), rtol: 1e-10);
    }

    [Fact]
    public void ModuleMatchesFunctionAndFloat32LogitsOf1e4AreFinite()
    {
        var logits = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 1e4f }, 2, 3);
        var actions = T.I64(1, 0);
        var v = T.F32(new[] { 1e4f, -3f }, 2);
        var r = T.F32(new[] { -1e4f, 2f }, 2);
        Tensor Loss(Tensor x) => F.actor_critic_loss(F.policy_log_probs(x, actions), v, r, entropy: F.policy_entropy(x));
        T.Finite(Loss(logits), "loss");
        T.Finite(T.Grad(Loss, logits), "gradient");
        var logp = T.F64(LogP);
        T.Close(T.Scalar(F.actor_critic_loss(logp, T.F64(V), T.F64(R), entropy: T.F64(H), value_coef: 0.3)), new ActorCriticLoss(value_coef: 0.3).forward(logp, T.F64(V), T.F64(R), T.F64(H)));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(2, 3, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => F.actor_critic_loss(x, torch.zeros(2, 4, dtype: ScalarType.Float64), x));
        Assert.Contains("values", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.actor_critic_loss(x, x));
        Assert.Contains("returns", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.actor_critic_loss(x, x, x, entropy: torch.zeros(3, dtype: ScalarType.Float64)));
        Assert.Contains("entropy", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => F.actor_critic_loss(x, x, x, value_coef: -1));
        Assert.Contains("value_coef", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => F.actor_critic_loss(x, x, rewards: x, dones: torch.full(2, 3, -1.0)));
        Assert.Contains("dones", e5.Message);
        var e6 = Assert.Throws<ArgumentOutOfRangeException>(() => F.actor_critic_loss(x, x, rewards: x, gae_lambda: -0.5));
        Assert.Contains("gae_lambda", e6.Message);
    }
}
