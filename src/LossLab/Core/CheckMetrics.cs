using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>Checks for metric inputs (scores, binary labels) and for group labels of contrastive losses.</summary>
public static partial class Check
{
    /// <summary>The tensor must hold at least one element.</summary>
    public static void HasSamples(Tensor t, string owner, string arg)
    {
        NotNull(t, owner, arg);
        if (t.numel() == 0)
            throw new ArgumentException($"{owner}: '{arg}' is empty (shape {Shape(t)}); at least one sample is needed", arg);
    }

    /// <summary>A floating tensor must hold no NaN (infinities are allowed: they still order).</summary>
    public static void NaNFree(Tensor t, string owner, string arg)
    {
        if (t.numel() == 0 || !t.dtype.IsFloatingPoint()) return;
        using var scope = NewDisposeScope();
        if (t.detach().isnan().any().item<bool>())
            throw new ArgumentException($"{owner}: '{arg}' contains NaN", arg);
    }

    /// <summary>
    /// Binary labels: a bool tensor, or numbers that are all 0 or 1, or all -1 or +1 (real or integer dtype).
    /// Label 1 (true) is the positive class. Returns nothing; throws naming the values found otherwise.
    /// </summary>
    public static void BinaryMetricLabels(Tensor labels, string owner, string arg)
    {
        NotNull(labels, owner, arg);
        if (labels.dtype.IsComplex())
            throw new ArgumentException($"{owner}: '{arg}' must hold 0/1 labels (bool, integer or real), got {labels.dtype}", arg);
        if (labels.numel() == 0 || labels.dtype == ScalarType.Bool) return;
        using var scope = NewDisposeScope();
        var l = labels.detach().to_type(ScalarType.Float64);
        var zero = l.eq(0.0);
        var one = l.eq(1.0);
        var minus = l.eq(-1.0);
        bool allValid = zero.logical_or(one).logical_or(minus).all().item<bool>();
        bool mixed = zero.any().item<bool>() && minus.any().item<bool>();
        if (!allValid || mixed)
        {
            var bad = l.masked_select(zero.logical_or(one).logical_or(minus).logical_not());
            string found = bad.numel() > 0 ? $"e.g. {bad[0].item<double>()}" : "both 0 and -1";
            throw new ArgumentException($"{owner}: '{arg}' must hold binary labels, all 0/1 or all -1/+1 (1 is the positive class), got {found}", arg);
        }
    }
}
