using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class ReinforceTests
{
    private static readonly double[] LogP = { -1.0, -2.0, -0.5 };
    private static readonly double[] Rewards = { 1.0, 0.0, 2.0 };

    [Fact]
    public void HandWorkedEpisode()
    {
        // gamma 0.5: G = [1 + 0.5 * (0 + 0.5 * 2), 0 + 0.5 * 2, 2] = [1.5, 1, 2]; per step -log p * G = [1.5, 2, 1]
        var logp = T.F64(LogP);
        T.Close(new[] { 1.5, 2.0, 1.0 }, F.reinforce_loss(logp, rewards: T.F64(Rewards), gamma: 0.5, reduction: Reduction.None));
        T.Close(4.5, F.reinforce_loss(logp, rewards: T.F64(Rewards), gamma: 0.5, reduction: Reduction.Sum));
        T.Close(1.5, F.reinforce_loss(logp, rewards: T.F64(Rewards), gamma: 0.5));
        // given returns are used as they are
        T.Close(1.5, F.reinforce_loss(logp, returns: T.F64(new[] { 1.5, 1.0, 2.0 })));
    }

    [Fact]
    public void BaselineIsSubtractedAndHeld()
    {
        var returns = T.F64(new[] { 1.5, 1.0, 2.0 });
        var baseline = T.F64(new[] { 0.5, 2.0, 1.0 });
        // coefficients [1, -1, 1]: per step [1, -2, 0.5]
        T.Close(new[] { 1.0, -2.0, 0.5 }, F.reinforce_loss(T.F64(LogP), returns, baseline: baseline, reduction: Reduction.None));
        var g = RlRef.Grads(x => F.reinforce_loss(x[0], x[1], baseline: x[2]), T.F64(LogP), returns, baseline);
        T.Close(new[] { -1.0 / 3, 1.0 / 3, -1.0 / 3 }, T.F64(g[0]));
        Assert.All(g[1], v => Assert.Equal(0.0, v));
        Assert.All(g[2], v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void BatchedRewardsWithEpisodeEndsMatchBruteForceReturns()
    {
        const int b = 2, t = 6;
        var logp = RlRef.Normal(b * t, 51).Select(v => -Math.Abs(v)).ToArray();
        var r = RlRef.Normal(b * t, 52);
        var d = RlRef.Flags(b * t, 53);
        var boot = RlRef.Normal(b, 54);
        var g = Enumerable.Range(0, b).SelectMany(i => RlRef.Returns(RlRef.Row(r, i, t), RlRef.Row(d, i, t), 0.9, boot[i])).ToArray();
        var got = F.reinforce_loss(T.F64(logp, b, t), rewards: T.F64(r, b, t), dones: T.F64(d, b, t), gamma: 0.9, bootstrap_value: T.F64(boot, b), reduction: Reduction.None);
        T.Close(logp.Zip(g, (l, x) => -l * x).ToArray(), got, rtol: 1e-12);
    }

    [Fact]
    public void NormalisedCoefficientsAreStandardised()
    {
        var ret = new[] { 1.5, 1.0, 2.0, -0.5 };
        var logp = new[] { -1.0, -2.0, -0.5, -0.25 };
        double mean = ret.Average();
        double std = Math.Sqrt(ret.Sum(x => (x - mean) * (x - mean)) / (ret.Length - 1));
        var want = ret.Select((x, i) => -logp[i] * (x - mean) / (std + 1e-8)).ToArray();
        T.Close(want, F.reinforce_loss(T.F64(logp), T.F64(ret), normalize_advantage: true, reduction: Reduction.None), rtol: 1e-12);
        // a single step is left as it is
        T.Close(3.0, F.reinforce_loss(T.F64(new[] { -1.5 }), T.F64(new[] { 2.0 }), normalize_advantage: true));
    }

    [Fact]
    public void DiscountWeightingRestartsWithEachEpisode()
    {
        // dones [0, 1, 0, 0]: weights gamma^k = [1, 0.5, 1, 0.5]
        var logp = T.F64(new[] { -1.0, -1.0, -1.0, -1.0 });
        var ret = T.F64(new[] { 2.0, 2.0, 2.0, 2.0 });
        T.Close(new[] { 2.0, 1.0, 2.0, 1.0 }, F.reinforce_loss(logp, ret, dones: T.F64(new[] { 0.0, 1, 0, 0 }), gamma: 0.5, discount_weighting: true, reduction: Reduction.None));
        T.Close(new[] { 2.0, 1.0, 0.5, 0.25 }, F.reinforce_loss(logp, ret, gamma: 0.5, discount_weighting: true, reduction: Reduction.None));
    }

    [Fact]
    public void RegistryEntryTakesLogitsAndActions()
    {
        var logits = torch.randn(2, 4, 3, dtype: ScalarType.Float64, generator: new Generator(5));
        var actions = torch.randint(0, 3, new long[] { 2, 4 }, generator: new Generator(6));
        var rewards = torch.randn(2, 4, dtype: ScalarType.Float64, generator: new Generator(7));
        var def = LossCatalog.GetLoss("reinforce");
        var got = def.Compute(new Dictionary<string, Tensor> { ["logits"] = logits, ["actions"] = actions, ["rewards"] = rewards }, new Dictionary<string, string> { ["gamma"] = "0.8" });
        T.Close(T.Scalar(F.reinforce_loss(F.policy_log_probs(logits, actions), rewards: rewards, gamma: 0.8)), got);
        var e = Assert.Throws<ArgumentException>(() => def.Compute(new Dictionary<string, Tensor> { ["logits"] = logits, ["rewards"] = rewards }));
        Assert.Contains("actions", e.Message);
    }

    [Fact]
    public void ModuleMatchesFunctionAndLogitsOf1e4InFloat32AreFinite()
    {
        var logits = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 1e4f }, 2, 3);
        var actions = T.I64(1, 0);
        var ret = T.F32(new[] { 1f, -2f }, 2);
        var loss = F.reinforce_loss(F.policy_log_probs(logits, actions), ret);
        T.Finite(loss, "loss");
        T.Finite(T.Grad(x => F.reinforce_loss(F.policy_log_probs(x, actions), ret), logits), "gradient");
        T.Close(T.Scalar(loss), new ReinforceLoss().forward(F.policy_log_probs(logits, actions), ret));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var logp = torch.zeros(2, 3, dtype: ScalarType.Float64);
        var r = torch.zeros(2, 3, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => F.reinforce_loss(logp));
        Assert.Contains("returns", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.reinforce_loss(logp, r, r));
        Assert.Contains("returns", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.reinforce_loss(logp, rewards: torch.zeros(2, 4, dtype: ScalarType.Float64)));
        Assert.Contains("rewards", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => F.reinforce_loss(logp, rewards: r, dones: torch.full(2, 3, 3.0)));
        Assert.Contains("dones", e4.Message);
        var e5 = Assert.Throws<ArgumentOutOfRangeException>(() => F.reinforce_loss(logp, rewards: r, gamma: 2));
        Assert.Contains("gamma", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => F.reinforce_loss(logp, r, baseline: torch.zeros(3, dtype: ScalarType.Float64)));
        Assert.Contains("baseline", e6.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReinforceLoss(gamma: -1));
    }
}
