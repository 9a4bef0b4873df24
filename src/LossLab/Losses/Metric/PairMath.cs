using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>Small numerical pieces shared by the pairwise losses: anchor chunks, a square root safe at 0, a gradient-connected zero.</summary>
internal static class PairMath
{
    /// <summary>The (start, length) ranges of rows [0, n) in chunks of <paramref name="chunkSize"/> (0: one chunk).</summary>
    public static IEnumerable<(long Start, long Length)> Chunks(long n, long chunkSize)
    {
        long step = chunkSize <= 0 ? Math.Max(n, 1) : chunkSize;
        for (long s = 0; s < n; s += step) yield return (s, Math.Min(step, n - s));
    }

    /// <summary>
    /// <c>sqrt(x)</c> for <c>x &gt; 0</c> and 0 elsewhere, with a finite gradient everywhere: entries at 0 (a point's
    /// distance to itself, or to an identical point) get gradient 0 instead of the 0/0 = NaN of <c>sqrt</c>'s backward.
    /// </summary>
    /// <remarks>Built from <c>masked_fill</c>, whose backward keeps only a bool mask, so that autograd keeps one float
    /// matrix (the root) for the backward pass.</remarks>
    public static Tensor SafeSqrt(Tensor x)
    {
        using var scope = NewDisposeScope();
        var zero = x.le(0);
        return x.masked_fill(zero, 1.0).sqrt().masked_fill(zero, 0.0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>max(0, x)</c> whose backward keeps only the bool mask of <c>x &lt;= 0</c> (not a float copy, as
    /// <c>clamp_min</c> and <c>relu</c> do): the hinge of the pairwise losses.
    /// </summary>
    public static Tensor Hinge(Tensor x)
    {
        using var scope = NewDisposeScope();
        return x.masked_fill(x.le(0), 0.0).MoveToOuterDisposeScope();
    }

    /// <summary><c>log(1 + exp(x))</c> exactly (as <c>logaddexp(x, 0)</c>): no overflow, no linear cut-off, finite gradient.</summary>
    public static Tensor Softplus(Tensor x)
    {
        using var scope = NewDisposeScope();
        return torch.logaddexp(x, torch.zeros_like(x)).MoveToOuterDisposeScope();
    }

    /// <summary>A scalar 0 of <paramref name="like"/>'s dtype that is connected to it in the autograd graph (gradient 0), never NaN.</summary>
    public static Tensor ConnectedZero(Tensor like) => like.flatten().narrow(0, 0, 0).sum();

    /// <summary><c>sum / count</c>, or 0 (connected to <paramref name="sum"/>) when the count is 0.</summary>
    public static Tensor SafeMean(Tensor sum, Tensor count) =>
        sum / count.to_type(sum.dtype).clamp_min(1.0);

    /// <summary><c>sum / count</c>, or <paramref name="sum"/> itself (0) when the count is 0.</summary>
    public static Tensor SafeMean(Tensor sum, long count) => count > 0 ? sum / count : sum;
}
