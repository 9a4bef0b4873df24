using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Miners;

/// <summary>Which positive or negative a batch miner picks for each anchor.</summary>
public enum MiningStrategy
{
    /// <summary>The easiest: the closest positive, or the farthest negative.</summary>
    Easy,
    /// <summary>The hardest: the farthest positive, or the closest negative.</summary>
    Hard,
    /// <summary>The hardest one that still keeps the triplet in order: a negative farther than the chosen positive
    /// (the closest such), or a positive closer than the chosen negative (the farthest such).</summary>
    SemiHard,
}

/// <summary>
/// Easy-positive / hard-negative batch mining (Xuan et al. 2020, Improved Embeddings with Easy Positive Triplet Mining),
/// pytorch-metric-learning's <c>BatchEasyHardMiner</c>: one triplet per anchor, the positive and the negative chosen by
/// the two strategies. The default, easy positive and semi-hard negative, takes each anchor's closest positive and then
/// the closest negative that is farther than it; anchors without such a pair are left out.
/// </summary>
public sealed class BatchEasyHard : RowMiner
{
    /// <summary>Creates the miner.</summary>
    /// <param name="positiveStrategy">How the positive is picked (default easy).</param>
    /// <param name="negativeStrategy">How the negative is picked (default semi-hard).</param>
    /// <exception cref="ArgumentException">Both strategies semi-hard (each would depend on the other).</exception>
    public BatchEasyHard(MiningStrategy positiveStrategy = MiningStrategy.Easy, MiningStrategy negativeStrategy = MiningStrategy.SemiHard)
    {
        if (!Enum.IsDefined(positiveStrategy)) throw new ArgumentOutOfRangeException(nameof(positiveStrategy), positiveStrategy, "BatchEasyHard: unknown strategy");
        if (!Enum.IsDefined(negativeStrategy)) throw new ArgumentOutOfRangeException(nameof(negativeStrategy), negativeStrategy, "BatchEasyHard: unknown strategy");
        if (positiveStrategy == MiningStrategy.SemiHard && negativeStrategy == MiningStrategy.SemiHard)
            throw new ArgumentException("BatchEasyHard: 'positiveStrategy' and 'negativeStrategy' cannot both be SemiHard", nameof(negativeStrategy));
        PositiveStrategy = positiveStrategy;
        NegativeStrategy = negativeStrategy;
    }

    /// <summary>How the positive is picked.</summary>
    public MiningStrategy PositiveStrategy { get; }

    /// <summary>How the negative is picked.</summary>
    public MiningStrategy NegativeStrategy { get; }

    /// <inheritdoc/>
    public override string Name => "batch_easy_hard";

    /// <inheritdoc/>
    protected override (Tensor Anchor, Tensor Positive, Tensor Negative) MineRows(Tensor? key, Tensor positive, Tensor negative) =>
        Select(key!, positive, negative, PositiveStrategy, NegativeStrategy);

    // One positive and one negative per row; rows lacking either are dropped. key: smaller is closer.
    internal static (Tensor Anchor, Tensor Positive, Tensor Negative) Select(Tensor key, Tensor positive, Tensor negative, MiningStrategy pos, MiningStrategy neg)
    {
        Tensor p, n, foundP, foundN;
        if (pos == MiningStrategy.SemiHard)
        {
            (n, foundN) = ArgExtreme(key, negative, largest: neg == MiningStrategy.Easy);
            var an = key.gather(1, n.unsqueeze(1));
            (p, foundP) = ArgExtreme(key, key.lt(an).logical_and_(positive), largest: true);
        }
        else
        {
            (p, foundP) = ArgExtreme(key, positive, largest: pos == MiningStrategy.Hard);
            var allowed = negative;
            if (neg == MiningStrategy.SemiHard) allowed = key.gt(key.gather(1, p.unsqueeze(1))).logical_and_(negative);
            (n, foundN) = ArgExtreme(key, allowed, largest: neg == MiningStrategy.Easy);
        }
        var keep = foundP.logical_and(foundN).nonzero().squeeze(1);
        return (keep, p.index_select(0, keep), n.index_select(0, keep));
    }
}
