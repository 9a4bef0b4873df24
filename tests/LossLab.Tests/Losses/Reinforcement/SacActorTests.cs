using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class SacActorTests
{
    [Fact]
    public void HandWorkedWithTwinCritics()
    {
        // alpha 0.2: [0.2 * -1 - min(1, 2), 0.2 * 0.5 - min(3, -1)] = [-1.2, 1.1]
        var logp = T.F64(new[] { -1.0, 0.5 });
        var q = T.F64(new[] { 1.0, 2.0, 3.0, -1.0 }, 2, 2);
        T.Close(new[] { -1.2, 1.1 }, F.sac_actor_loss(logp, q, reduction: Reduction.None));
        T.Close(-0.05, F.sac_actor_loss(logp, q));
        T.Close(-0.1, F.sac_actor_loss(logp, q, reduction: Reduction.Sum));
        // one critic, alpha 0
        T.Close(new[] { -1.0, -3.0 }, F.sac_actor_loss(logp, q.select(1, 0), alpha: 0, reduction: Reduction.None));
    }

    [Fact]
    public void LearnedTemperatureIsHeldAndTheGradientReachesTheSmallestCritic()
    {
        var logp = T.F64(new[] { -1.0, 0.5 });
        var q = T.F64(new[] { 1.0, 2.0, 3.0, -1.0 }, 2, 2);
        var logAlpha = torch.tensor(Math.Log(0.5), dtype: ScalarType.Float64);
        T.Close(new[] { -1.5, 1.25 }, F.sac_actor_loss(logp, q, log_alpha: logAlpha, reduction: Reduction.None), rtol: 1e-12);
        var g = RlRef.Grads(x => F.sac_actor_loss(x[0], x[1], log_alpha: x[2]), logp, q, logAlpha);
        T.Close(new[] { 0.25, 0.25 }, T.F64(g[0]), rtol: 1e-12);
        T.Close(new[] { -0.5, 0.0, 0.0, -0.5 }, T.F64(g[1]));
        Assert.Equal(0.0, g[2][0]);
        T.Close(T.Scalar(F.sac_actor_loss(logp, q, 0.3)), new SacActorLoss(0.3).forward(logp, q, null));
    }

    [Fact]
    public void LargeFloat32ValuesStayFinite()
    {
        var logp = T.F32(new[] { -1e4f, 1e4f }, 2);
        var q = T.F32(new[] { 1e4f, -1e4f, 3f, 1e4f }, 2, 2);
        T.Finite(F.sac_actor_loss(logp, q), "loss");
        T.Finite(T.Grad(x => F.sac_actor_loss(x, q), logp), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var logp = torch.zeros(3, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => F.sac_actor_loss(logp, torch.zeros(4, 2, dtype: ScalarType.Float64)));
        Assert.Contains("q_values", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.sac_actor_loss(logp, logp, log_alpha: torch.zeros(2)));
        Assert.Contains("log_alpha", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => F.sac_actor_loss(logp, logp, alpha: -0.1));
        Assert.Contains("alpha", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => F.sac_actor_loss(torch.zeros(3, 1), logp));
        Assert.Contains("log_probs", e4.Message);
    }
}
