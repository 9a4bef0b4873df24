using static TorchSharp.torch;

namespace LossLab.Distances;

/// <summary>
/// The squared Euclidean distance <c>||x - y||_2^2</c> (pytorch-metric-learning's <c>LpDistance(power=2)</c>), by
/// default between L2-normalised embeddings, where it equals <c>2 - 2 cos</c>. Smooth everywhere.
/// </summary>
/// <param name="normalizeEmbeddings">L2-normalise the embeddings first (the default, as PML).</param>
public sealed class SquaredEuclidean(bool normalizeEmbeddings = true) : Distance(normalizeEmbeddings, isSimilarity: false)
{
    /// <inheritdoc/>
    public override string Name => "squared_euclidean";

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor query, Tensor reference) => SquaredDistances(query, reference);
}
