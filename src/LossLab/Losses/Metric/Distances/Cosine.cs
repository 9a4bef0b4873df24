using static TorchSharp.torch;

namespace LossLab.Distances;

/// <summary>
/// The cosine between L2-normalised embeddings: as a distance <c>1 - cos(x, y)</c> (smaller is closer, in [0, 2]), or
/// with <paramref name="asSimilarity"/> the similarity <c>cos(x, y)</c> itself (larger is closer, pytorch-metric-learning's
/// <c>CosineSimilarity</c>). The two give the same triplet loss; margins of pair losses are read in the chosen units.
/// </summary>
/// <param name="asSimilarity">Return <c>cos</c> (a similarity) instead of <c>1 - cos</c>.</param>
public sealed class Cosine(bool asSimilarity = false) : Distance(normalizeEmbeddings: true, isSimilarity: asSimilarity)
{
    /// <inheritdoc/>
    public override string Name => IsSimilarity ? "cosine_similarity" : "cosine";

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor query, Tensor reference)
    {
        var cos = query.mm(reference.t());
        return IsSimilarity ? cos : cos.neg_().add_(1.0);       // 1 - cos in place: exactly 1.0 - cos, no second matrix
    }
}
