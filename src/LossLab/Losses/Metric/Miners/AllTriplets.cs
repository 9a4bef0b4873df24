using static TorchSharp.torch;

namespace LossLab.Miners;

/// <summary>
/// Every valid triplet of the batch (pytorch-metric-learning's default when a loss gets no miner): for each anchor a,
/// each positive p != a of its label and each negative n of another label, in the order (a, p, n) lexicographic.
/// A batch of N samples in classes of K has <c>N (K - 1) (N - K)</c> of them: use chunks for large batches.
/// </summary>
public sealed class AllTriplets : RowMiner
{
    /// <inheritdoc/>
    public override string Name => "all";

    /// <inheritdoc/>
    protected override bool NeedsDistances => false;

    /// <inheritdoc/>
    protected override (Tensor Anchor, Tensor Positive, Tensor Negative) MineRows(Tensor? key, Tensor positive, Tensor negative)
    {
        var (row, pos) = PositivePairs(positive);             // (P)
        var hits = negative.index_select(0, row).nonzero();    // (T, 2): pair index, negative
        var pair = hits.select(1, 0);
        return (row.index_select(0, pair), pos.index_select(0, pair), hits.select(1, 1));
    }
}
