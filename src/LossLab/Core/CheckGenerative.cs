using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>Checks used by the generative and model-based RL losses: per-sample weights, batch prefixes, positive values.</summary>
public static partial class Check
{
    /// <summary>
    /// An optional per-sample weight must be a floating-point vector of <paramref name="batch"/> entries (one per sample)
    /// on the device of the batch.
    /// </summary>
    /// <param name="weight">The weight, or null (no weighting).</param>
    /// <param name="batch">The batch size (N).</param>
    /// <param name="loss">The loss, for the message.</param>
    /// <param name="arg">The argument's name.</param>
    public static void SampleWeights(Tensor? weight, long batch, string loss, string arg = "weight")
    {
        if (weight is null) return;
        Floating(weight, loss, arg);
        if (weight.dim() != 1 || weight.shape[0] != batch)
            throw new ArgumentException($"{loss}: '{arg}' must be a vector of {batch} per-sample weights (one per sample), got shape {Shape(weight)}", arg);
    }

    /// <summary>
    /// The tensor's shape must begin with <paramref name="prefix"/> (the batch dimensions another input defines), with
    /// exactly <paramref name="extra"/> further dimensions when <paramref name="extra"/> is given.
    /// </summary>
    /// <param name="t">The tensor.</param>
    /// <param name="prefix">The leading sizes it must have.</param>
    /// <param name="loss">The loss, for the message.</param>
    /// <param name="arg">The argument's name.</param>
    /// <param name="what">Where the prefix comes from, in words (e.g. "the batch dimensions of 'posterior_mean'").</param>
    /// <param name="extra">The number of dimensions after the prefix, or null for any number.</param>
    public static void ShapePrefix(Tensor t, long[] prefix, string loss, string arg, string what, int? extra = null)
    {
        NotNull(t, loss, arg);
        var s = t.shape;
        bool ok = s.Length >= prefix.Length && s.Take(prefix.Length).SequenceEqual(prefix) && (extra is null || s.Length == prefix.Length + extra.Value);
        if (!ok)
        {
            string tail = extra switch { null => ", ...", 0 => "", int k => ", " + string.Join(", ", Enumerable.Repeat("*", k)) };
            throw new ArgumentException($"{loss}: '{arg}' must have shape [{string.Join(", ", prefix)}{tail}] ({what}), got {Shape(t)}", arg);
        }
    }

    /// <summary>Every value must be strictly positive (and not NaN); <paramref name="what"/> says what the values are.</summary>
    public static void PositiveEntries(Tensor t, string loss, string arg, string what)
    {
        NotNull(t, loss, arg);
        if (t.numel() == 0) return;
        using var scope = NewDisposeScope();
        var d = t.detach();
        if (d.isnan().any().item<bool>())
            throw new ArgumentException($"{loss}: '{arg}' ({what}) contains NaN", arg);
        double mn = d.min().to_type(ScalarType.Float64).item<double>();
        if (mn <= 0)
            throw new ArgumentException($"{loss}: '{arg}' ({what}) must be > 0 everywhere, got a minimum of {mn}", arg);
    }
}
