using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Generalised advantage estimation (Schulman, Moritz, Levine, Jordan, Abbeel 2016, "High-Dimensional Continuous
    /// Control Using Generalized Advantage Estimation"): <c>delta_t = r_t + gamma (1 - d_t) V_{t+1} - V_t</c>,
    /// <c>A_t = delta_t + gamma lambda (1 - d_t) A_{t+1}</c> (<c>A_T = 0</c>), and the returns <c>A_t + V_t</c>, computed
    /// backward over the last (time) dimension.
    /// </summary>
    /// <remarks>
    /// <c>d_t = 1</c> marks that the episode ended with step t (the done flag returned with r_t): the next value is not
    /// bootstrapped and the sum restarts. This is the computation of CleanRL's and SB3's rollout buffers, with flags in
    /// the "ended at t" convention (CleanRL stores "the next observation starts an episode", the same flag one slot later).
    /// lambda = 1 gives <c>A_t = G_t - V_t</c> with the bootstrapped discounted return G_t; lambda = 0 gives the TD error.
    /// The returns equal the lambda-returns of <see cref="lambda_returns"/>. Used by A2C and PPO to build advantages
    /// (held constant by their losses) and value targets.
    /// <code>
    /// var (adv, ret) = Losses.gae(rewards, values, dones, gamma: 0.99, gae_lambda: 0.95);   // values (B, T + 1)
    /// </code>
    /// </remarks>
    /// <param name="rewards">Rewards r_t, shape (T) or (B, T), floating-point.</param>
    /// <param name="values">State values V(s_0..s_T), shape (T + 1) or (B, T + 1) (the last is the bootstrap), or (T) / (B, T) with <paramref name="bootstrap_value"/> (0 when not given).</param>
    /// <param name="dones">Optional episode-end flags d_t (0/1), the shape of <paramref name="rewards"/>.</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="gae_lambda">The GAE lambda, in [0, 1].</param>
    /// <param name="bootstrap_value">V(s_T) when <paramref name="values"/> has T steps: shape () or (B).</param>
    /// <returns>The advantages A_t and the returns A_t + V_t, each the shape of <paramref name="rewards"/>.</returns>
    public static (Tensor Advantages, Tensor Returns) gae(Tensor rewards, Tensor values, Tensor? dones = null, double gamma = 0.99, double gae_lambda = 0.95, Tensor? bootstrap_value = null)
    {
        const string name = "gae";
        Rl.CheckRewards(rewards, dones, gamma, name);
        Rl.CheckValues(values, rewards, bootstrap_value, name);
        Check.UnitInterval(gae_lambda, name, nameof(gae_lambda));
        Check.SameDevice(name, (rewards, nameof(rewards)), (values, nameof(values)), (dones, nameof(dones)), (bootstrap_value, nameof(bootstrap_value)));

        using var scope = NewDisposeScope();
        var (advantages, returns) = GaeCore(rewards, Rl.Extended(values, rewards, bootstrap_value), dones, gamma, gae_lambda);
        return (advantages.MoveToOuterDisposeScope(), returns.MoveToOuterDisposeScope());
    }

    /// <summary>GAE from checked inputs, values with T + 1 steps.</summary>
    internal static (Tensor Advantages, Tensor Returns) GaeCore(Tensor rewards, Tensor values, Tensor? dones, double gamma, double lambda)
    {
        long t = rewards.shape[^1];
        var v = values.to_type(rewards.dtype);
        var current = v.narrow(-1, 0, t);
        var notDone = Rl.NotDone(dones, rewards);
        var delta = rewards + gamma * notDone * v.narrow(-1, 1, t) - current;
        var advantages = Rl.BackwardScan(delta, gamma * lambda * notDone, torch.zeros_like(rewards.select(-1, 0)));
        return (advantages, advantages + current);
    }
}
