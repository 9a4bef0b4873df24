using static TorchSharp.torch;

namespace LossLab.Distances;

/// <summary>
/// The Euclidean distance <c>||x - y||_2</c> (pytorch-metric-learning's <c>LpDistance</c>), by default between
/// L2-normalised embeddings as PML does. Computed as <c>sqrt(max(||x||^2 + ||y||^2 - 2 x.y, 0))</c> with a square
/// root whose gradient is 0 (not NaN) where the distance is 0.
/// </summary>
/// <param name="normalizeEmbeddings">L2-normalise the embeddings first (the default, as PML).</param>
public sealed class Euclidean(bool normalizeEmbeddings = true) : Distance(normalizeEmbeddings, isSimilarity: false)
{
    /// <inheritdoc/>
    public override string Name => "euclidean";

    /// <inheritdoc/>
    /// <remarks>
    /// The square root safe at 0 of <see cref="PairMath.SafeSqrt"/> (the same operations, so the same values and
    /// gradients), written for the (N, M) case: the squared distances are overwritten in place and dropped as soon as
    /// the root exists, so that at most two float (N, M) matrices exist at a time and autograd keeps one (the root)
    /// plus two bool masks.
    /// </remarks>
    protected override Tensor Compute(Tensor query, Tensor reference)
    {
        using var sq = SquaredDistances(query, reference);
        using var zero = sq.le(0);
        sq.masked_fill_(zero, 1.0);
        using var root = sq.sqrt();
        sq.Dispose();
        return root.masked_fill(zero, 0.0);
    }
}
