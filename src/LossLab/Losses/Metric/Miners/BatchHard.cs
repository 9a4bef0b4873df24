using static TorchSharp.torch;

namespace LossLab.Miners;

/// <summary>
/// Batch-hard mining (Hermans et al. 2017, In Defense of the Triplet Loss): for each anchor, its hardest positive (the
/// farthest of its label) and its hardest negative (the closest of another label): one triplet per anchor that has
/// both. pytorch-metric-learning's <c>BatchHardMiner</c>; the same as <see cref="BatchEasyHard"/> with hard/hard.
/// </summary>
public sealed class BatchHard : RowMiner
{
    /// <inheritdoc/>
    public override string Name => "batch_hard";

    /// <inheritdoc/>
    protected override (Tensor Anchor, Tensor Positive, Tensor Negative) MineRows(Tensor? key, Tensor positive, Tensor negative) =>
        BatchEasyHard.Select(key!, positive, negative, MiningStrategy.Hard, MiningStrategy.Hard);
}
