using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>Applies a <see cref="Reduction"/> to a tensor of per-element losses.</summary>
internal static class Reduce
{
    /// <summary>Reduces <paramref name="losses"/>: none returns it, mean averages all elements, sum adds them,
    /// batchmean adds them and divides by the size of the first dimension.</summary>
    /// <remarks>The mean of an empty tensor is NaN in PyTorch too; callers that can produce an empty selection
    /// (ignore_index) use <see cref="WeightedMean"/> instead.</remarks>
    public static Tensor Apply(Tensor losses, Reduction reduction, string loss)
    {
        switch (reduction)
        {
            case Reduction.None: return losses;
            case Reduction.Mean: return losses.mean();
            case Reduction.Sum: return losses.sum();
            case Reduction.BatchMean:
                {
                    long n = losses.dim() == 0 ? 1 : losses.shape[0];
                    return n == 0 ? losses.sum() : losses.sum() / n;
                }
            default: throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"{loss}: unknown reduction");
        }
    }

    /// <summary>Rejects batchmean for losses that do not define it.</summary>
    public static void NoBatchMean(Reduction reduction, string loss)
    {
        if (reduction == Reduction.BatchMean)
            throw new ArgumentException($"{loss}: reduction 'batchmean' is only defined for kl_div; use none, mean or sum", nameof(reduction));
    }

    /// <summary><c>sum(losses) / sum(weights)</c>, the weighted mean PyTorch uses for class-weighted losses.
    /// A zero total weight (every target ignored) gives NaN, as PyTorch does.</summary>
    public static Tensor WeightedMean(Tensor losses, Tensor weights) => losses.sum() / weights.sum();
}
