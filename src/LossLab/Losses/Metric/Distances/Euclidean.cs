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
    protected override Tensor Compute(Tensor query, Tensor reference)
    {
        using var scope = NewDisposeScope();
        return PairMath.SafeSqrt(SquaredDistances(query, reference)).MoveToOuterDisposeScope();
    }
}
