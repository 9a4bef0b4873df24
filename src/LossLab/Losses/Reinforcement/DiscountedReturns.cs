using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Discounted returns of reward sequences: <c>G_t = r_t + gamma * (1 - d_t) * G_{t+1}</c>, <c>G_T</c> = the
    /// bootstrap value (0 when not given), computed backward over the last (time) dimension.
    /// </summary>
    /// <remarks>
    /// <c>d_t = 1</c> marks that the episode ended with step t: the return restarts there, so several episodes can
    /// follow one another in one row. Without episode ends and bootstrap this is the Monte-Carlo return
    /// <c>G_t = sum_{k &gt;= 0} gamma^k r_{t+k}</c> of REINFORCE (Williams 1992; Sutton and Barto, sec. 13.3); with the
    /// critic's <c>V(s_T)</c> as bootstrap it is the n-step return of A2C (Mnih et al. 2016). The result is a plain
    /// function of its inputs (gradients flow through it when they require grad); the losses hold it constant.
    /// <code>
    /// var returns = Losses.discounted_returns(rewards, gamma: 0.99, dones: dones);   // (B, T) -> (B, T)
    /// </code>
    /// </remarks>
    /// <param name="rewards">Rewards r_t, shape (T) or (B, T), floating-point.</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="dones">Optional episode-end flags d_t (0/1, bool, integer or floating), the shape of <paramref name="rewards"/>.</param>
    /// <param name="bootstrap_value">Optional value of the state after the last step, V(s_T): shape () for (T) rewards, (B) for (B, T).</param>
    /// <returns>The returns G_t, the shape of <paramref name="rewards"/>.</returns>
    public static Tensor discounted_returns(Tensor rewards, double gamma = 0.99, Tensor? dones = null, Tensor? bootstrap_value = null)
    {
        const string name = "discounted_returns";
        Rl.CheckRewards(rewards, dones, gamma, name);
        Rl.CheckBootstrap(bootstrap_value, rewards, name);
        Check.SameDevice(name, (rewards, nameof(rewards)), (dones, nameof(dones)), (bootstrap_value, nameof(bootstrap_value)));

        using var scope = NewDisposeScope();
        var init = bootstrap_value is null ? torch.zeros_like(rewards.select(-1, 0)) : bootstrap_value.to_type(rewards.dtype);
        return Rl.BackwardScan(rewards, gamma * Rl.NotDone(dones, rewards), init).MoveToOuterDisposeScope();
    }
}
