using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// The bool masks of the pairwise losses for one chunk of anchors, made with as few (chunk, N) temporaries as possible:
/// no mask of the anchors themselves (the diagonal of a chunk is a strided view, cleared in place).
/// </summary>
internal static class PairMasks
{
    /// <summary>
    /// For anchors <c>start .. start + c - 1</c> with labels <paramref name="rowLabels"/> (c) against all
    /// <paramref name="labels"/> (N): positive = same label and not the anchor itself, and (when asked) negative =
    /// another label. Two (c, N) bool tensors (one without <paramref name="withNegative"/>).
    /// </summary>
    public static (Tensor Positive, Tensor? Negative) Of(Tensor rowLabels, Tensor labels, long start, bool withNegative = true)
    {
        var positive = rowLabels.unsqueeze(1).eq(labels.unsqueeze(0));              // (c, N): same label
        var negative = withNegative ? positive.logical_not() : null;
        FillSelf(positive, start, 0);
        return (positive, negative);
    }

    /// <summary>Sets the entries (r, start + r) of a (c, N) block, the anchors against themselves, to <paramref name="value"/>, in place.</summary>
    public static void FillSelf(Tensor block, long start, double value)
    {
        using var diagonal = block.diagonal(start);
        diagonal.fill_(value);
    }
}
