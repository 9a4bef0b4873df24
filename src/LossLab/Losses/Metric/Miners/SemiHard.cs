using static TorchSharp.torch;

namespace LossLab.Miners;

/// <summary>
/// Semi-hard triplets (Schroff et al. 2015, FaceNet): every valid triplet whose negative is farther from the anchor
/// than the positive but still inside the margin, <c>0 &lt; d(a, n) - d(a, p) &lt;= margin</c> (for a similarity,
/// <c>0 &lt; s(a, p) - s(a, n) &lt;= margin</c>): pytorch-metric-learning's <c>TripletMarginMiner(type_of_triplets="semihard")</c>.
/// These triplets have a loss in (0, margin]: they are the informative ones that do not collapse training early on.
/// </summary>
public sealed class SemiHard : RowMiner
{
    /// <summary>Creates the miner.</summary>
    /// <param name="margin">The margin of the band of semi-hard negatives, &gt; 0 (use the loss's margin).</param>
    /// <exception cref="ArgumentOutOfRangeException">The margin is not a finite number &gt; 0.</exception>
    public SemiHard(double margin = 0.2)
    {
        Check.PositiveFinite(margin, "SemiHard", nameof(margin));
        Margin = margin;
    }

    /// <summary>The margin of the band of semi-hard negatives.</summary>
    public double Margin { get; }

    /// <inheritdoc/>
    public override string Name => "semi_hard";

    /// <inheritdoc/>
    protected override (Tensor Anchor, Tensor Positive, Tensor Negative) MineRows(Tensor? key, Tensor positive, Tensor negative)
    {
        var (row, pos) = PositivePairs(positive);                                       // (P)
        // One float (P, N) block, P the chunk's positive pairs: d(a, n) - d(a, p) for every pair and candidate n.
        var gap = key!.index_select(0, row);
        gap.sub_(gap.gather(1, pos.unsqueeze(1)));
        var ok = negative.index_select(0, row).logical_and_(gap.gt(0)).logical_and_(gap.le(Margin));
        var hits = ok.nonzero();
        var pair = hits.select(1, 0);
        return (row.index_select(0, pair), pos.index_select(0, pair), hits.select(1, 1));
    }
}
