using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// Curiosity bonuses of intrinsic-motivation RL, computed from the same predictions as their auxiliary losses
/// (<see cref="Losses.icm_loss"/>, <see cref="Losses.rnd_loss"/>). The rewards carry no gradient: they feed the policy's
/// returns, not the predictors' training.
/// </summary>
public static class IntrinsicReward
{
    /// <summary>
    /// ICM's curiosity reward (Pathak et al. 2017, equation 6): <c>r_i = eta / 2 * ||phi^(s_{t+1}) - phi(s_{t+1})||^2</c>, the
    /// forward model's prediction error in feature space, summed over the features.
    /// </summary>
    /// <remarks>
    /// <code>
    /// var bonus = IntrinsicReward.Icm(forwardModel.forward(phiT, actions), phiNext, eta: 0.01);
    /// </code>
    /// </remarks>
    /// <param name="predicted_features">The forward model's prediction phi^(s_{t+1}), (N, F) or (N, ...).</param>
    /// <param name="next_features">The encoder's phi(s_{t+1}), the shape of <paramref name="predicted_features"/>.</param>
    /// <param name="eta">The scaling factor eta, at least 0 (0.01 in the reference code).</param>
    /// <returns>(N), detached.</returns>
    public static Tensor Icm(Tensor predicted_features, Tensor next_features, double eta = 0.01)
    {
        const string name = "IntrinsicReward.Icm";
        CheckFeatures(predicted_features, next_features, name, nameof(next_features));
        Check.Param(eta >= 0 && double.IsFinite(eta), name, nameof(eta), "a finite number >= 0", eta);
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        return (SquaredErrorPerSample(predicted_features, next_features, mean: false) * (eta / 2)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// RND's exploration bonus (Burda et al. 2018): <c>r_i = mean_f (f^(s_i) - f(s_i))^2</c>, the predictor's error against the
    /// fixed random target network, averaged over the features as the reference code does. Normalise it by a running
    /// standard deviation of the intrinsic returns before use, as the paper does.
    /// </summary>
    /// <param name="predicted_features">The predictor network's output, (N, F) or (N, ...).</param>
    /// <param name="target_features">The fixed random target network's output, the shape of <paramref name="predicted_features"/>.</param>
    /// <returns>(N), detached.</returns>
    public static Tensor Rnd(Tensor predicted_features, Tensor target_features)
    {
        const string name = "IntrinsicReward.Rnd";
        CheckFeatures(predicted_features, target_features, name, nameof(target_features));
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        return SquaredErrorPerSample(predicted_features, target_features, mean: true).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The random mask with which RND trains its predictor on only a fraction of the samples (the reference code's
    /// <c>update_proportion</c>, 0.25 with 32 or more parallel environments): each entry is 1 with probability
    /// <paramref name="proportion"/>, else 0. Pass it as <see cref="Losses.rnd_loss"/>'s mask.
    /// </summary>
    /// <param name="n">The number of samples.</param>
    /// <param name="proportion">The probability of keeping a sample, in [0, 1].</param>
    /// <param name="generator">The random source (null: the global one).</param>
    /// <param name="dtype">The mask's dtype (float32 by default).</param>
    /// <returns>(N) of 0 and 1.</returns>
    public static Tensor RndUpdateMask(long n, double proportion = 0.25, Generator? generator = null, ScalarType dtype = ScalarType.Float32)
    {
        const string name = "IntrinsicReward.RndUpdateMask";
        Check.Param(n >= 0, name, nameof(n), ">= 0", n);
        Check.Param(proportion >= 0 && proportion <= 1, name, nameof(proportion), "in [0, 1]", proportion);
        using var scope = NewDisposeScope();
        return torch.rand(new[] { n }, dtype: ScalarType.Float64, generator: generator).lt(proportion).to_type(dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Features and their target: floating, same shape and device, at least one dimension (the batch).</summary>
    internal static void CheckFeatures(Tensor predicted, Tensor target, string name, string targetName, string predictedName = "predicted_features")
    {
        Check.ElementwisePair(predicted, target, name, predictedName, targetName);
        Check.MinRank(predicted, name, predictedName, 1);
    }

    /// <summary>The squared error of each sample, summed (or averaged) over all but the first dimension.</summary>
    internal static Tensor SquaredErrorPerSample(Tensor predicted, Tensor target, bool mean)
    {
        var sq = (predicted - target).square();
        if (sq.dim() == 1) return sq;
        var flat = sq.reshape(sq.shape[0], -1);
        return mean ? flat.mean(new long[] { 1 }) : flat.sum(1);
    }
}
