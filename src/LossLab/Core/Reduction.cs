namespace LossLab;

/// <summary>
/// How a loss turns its per-element (or per-sample) values into its result, as PyTorch's <c>reduction</c> argument.
/// </summary>
public enum Reduction
{
    /// <summary>No reduction: the per-element (or per-sample) losses are returned.</summary>
    None,

    /// <summary>The mean of the per-element losses (PyTorch's default).</summary>
    Mean,

    /// <summary>The sum of the per-element losses.</summary>
    Sum,

    /// <summary>The sum divided by the batch size (the first dimension), as PyTorch's <c>kl_div(..., reduction="batchmean")</c>.</summary>
    BatchMean,
}

/// <summary>Parsing and applying <see cref="Reduction"/>.</summary>
public static class ReductionExtensions
{
    /// <summary>The PyTorch spelling of a reduction: none, mean, sum or batchmean.</summary>
    public static string ToPyTorchName(this Reduction reduction) => reduction switch
    {
        Reduction.None => "none",
        Reduction.Mean => "mean",
        Reduction.Sum => "sum",
        Reduction.BatchMean => "batchmean",
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "unknown reduction"),
    };

    /// <summary>Parses the PyTorch spelling of a reduction (none, mean, sum, batchmean).</summary>
    /// <exception cref="ArgumentException">The text is not one of those names.</exception>
    public static Reduction Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "none" => Reduction.None,
        "mean" => Reduction.Mean,
        "sum" => Reduction.Sum,
        "batchmean" => Reduction.BatchMean,
        _ => throw new ArgumentException($"reduction must be one of none, mean, sum, batchmean; got '{text}'", nameof(text)),
    };
}
