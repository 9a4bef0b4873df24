using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>Checks on the values of a tensor (strict bounds, categorical probabilities, a non-zero normaliser).</summary>
public static partial class Check
{
    /// <summary>
    /// Every value must be strictly greater than <paramref name="bound"/> (and not NaN); <paramref name="why"/> says why,
    /// for the message (e.g. "scales of a Laplace distribution").
    /// </summary>
    /// <param name="t">The tensor.</param>
    /// <param name="bound">The exclusive lower bound.</param>
    /// <param name="loss">The loss, for the message.</param>
    /// <param name="arg">The argument's name.</param>
    /// <param name="why">Why the bound holds, for the message.</param>
    public static void ValuesAbove(Tensor t, double bound, string loss, string arg, string why)
    {
        NotNull(t, loss, arg);
        if (t.numel() == 0) return;
        NaNFree(t, loss, arg);
        using var scope = NewDisposeScope();
        double mn = t.detach().min().to_type(ScalarType.Float64).item<double>();
        if (mn <= bound)
            throw new ArgumentException($"{loss}: every value of '{arg}' must be > {bound} ({why}), got a value {mn}", arg);
    }

    /// <summary>
    /// Probabilities of categorical distributions along dimension <paramref name="dim"/>: no negative or NaN value, and
    /// every distribution with a positive total (so that it can be normalised).
    /// </summary>
    /// <param name="probs">The probabilities (unnormalised allowed).</param>
    /// <param name="dim">The class dimension.</param>
    /// <param name="loss">The loss, for the message.</param>
    /// <param name="arg">The argument's name.</param>
    public static void CategoricalProbs(Tensor probs, long dim, string loss, string arg)
    {
        NonNegativeValues(probs, loss, arg, "probabilities");
        if (probs.numel() == 0) return;
        using var scope = NewDisposeScope();
        var total = probs.detach().sum(dim);
        if (!total.gt(0).all().item<bool>())
            throw new ArgumentException($"{loss}: every distribution in '{arg}' must have a positive total along dimension {dim}; some are all zero", arg);
        if (!total.isfinite().all().item<bool>())
            throw new ArgumentException($"{loss}: '{arg}' holds an infinite probability", arg);
    }

    /// <summary>A normaliser computed from the data must be finite and non-zero; <paramref name="what"/> names it.</summary>
    /// <param name="value">The normaliser.</param>
    /// <param name="loss">The loss, for the message.</param>
    /// <param name="arg">The argument it was computed from.</param>
    /// <param name="what">What it is, in words (e.g. "the range max - min of the target").</param>
    public static void NonZeroNormaliser(double value, string loss, string arg, string what)
    {
        if (value == 0 || !double.IsFinite(value))
            throw new ArgumentException($"{loss}: cannot normalise by {what}, which is {value} for '{arg}'; use the other normalization or a batch whose '{arg}' varies", arg);
    }
}
