using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The log-probabilities <c>log pi(a | s)</c> of the actions taken under a categorical policy given by logits,
    /// computed with <c>log_softmax</c> (finite for logits of magnitude 1e4 in float32).
    /// </summary>
    /// <remarks>
    /// This is <c>torch.distributions.Categorical(logits=logits).log_prob(actions)</c>. The policy-gradient losses
    /// (<see cref="reinforce_loss"/>, <see cref="actor_critic_loss"/>, <see cref="ppo_loss"/>) take its result.
    /// <code>
    /// var logp = Losses.policy_log_probs(policyNet.forward(states), actions);   // (B, T, A), (B, T) -> (B, T)
    /// </code>
    /// </remarks>
    /// <param name="logits">Unnormalised log-probabilities, shape (…, A), floating-point.</param>
    /// <param name="actions">The actions taken, shape (…) (the shape of <paramref name="logits"/> without its last dimension), int64 in [0, A).</param>
    /// <returns>The log-probabilities, shape (…).</returns>
    public static Tensor policy_log_probs(Tensor logits, Tensor actions)
    {
        const string name = "policy_log_probs";
        CheckPolicyLogits(logits, name);
        Check.Integer(actions, name, nameof(actions));
        if (!actions.shape.SequenceEqual(logits.shape[..^1]))
            throw new ArgumentException($"{name}: 'actions' must have shape [{string.Join(", ", logits.shape[..^1])}] (one action per row of 'logits' {Check.Shape(logits)}), got {Check.Shape(actions)}", nameof(actions));
        Check.ClassIndices(actions, logits.shape[^1], name, nameof(actions));
        Check.SameDevice(name, (logits, nameof(logits)), (actions, nameof(actions)));

        using var scope = NewDisposeScope();
        var logp = torch.nn.functional.log_softmax(logits, -1);
        return logp.gather(-1, actions.unsqueeze(-1)).squeeze(-1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The entropy <c>-sum_a pi(a) log pi(a)</c> of a categorical policy given by logits, from <c>log_softmax</c> (finite
    /// value and gradient for logits of magnitude 1e4 in float32: probabilities that underflow contribute 0).
    /// </summary>
    /// <remarks>
    /// This is <c>torch.distributions.Categorical(logits=logits).entropy()</c>.
    /// <code>
    /// var entropy = Losses.policy_entropy(logits);   // (B, T, A) -> (B, T)
    /// </code>
    /// </remarks>
    /// <param name="logits">Unnormalised log-probabilities, shape (…, A), floating-point.</param>
    /// <returns>The entropy of each row, shape (…).</returns>
    public static Tensor policy_entropy(Tensor logits)
    {
        CheckPolicyLogits(logits, "policy_entropy");
        using var scope = NewDisposeScope();
        var logp = torch.nn.functional.log_softmax(logits, -1);
        return (-(logp.exp() * logp).sum(-1)).MoveToOuterDisposeScope();
    }

    private static void CheckPolicyLogits(Tensor logits, string name)
    {
        Check.Floating(logits, name, nameof(logits));
        Check.MinRank(logits, name, nameof(logits), 1);
        if (logits.shape[^1] == 0)
            throw new ArgumentException($"{name}: 'logits' must have at least one action in its last dimension, got shape {Check.Shape(logits)}", nameof(logits));
    }
}
