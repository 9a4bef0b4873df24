using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Check
{
    /// <summary>
    /// Per-token log-probabilities of a language model: a floating-point tensor of shape (B, T) (batch, tokens).
    /// </summary>
    /// <param name="logps">The log-probabilities.</param>
    /// <param name="loss">The loss's name, for messages.</param>
    /// <param name="arg">The argument's name.</param>
    public static void TokenLogProbs(Tensor logps, string loss, string arg)
    {
        Floating(logps, loss, arg);
        if (logps.dim() != 2)
            throw new ArgumentException($"{loss}: '{arg}' must hold per-token log-probabilities of shape (B, T), got {logps.dim()} dimension(s) (shape {Shape(logps)})", arg);
    }

    /// <summary>
    /// A token mask for per-token log-probabilities: null (every token counts), or a tensor of the shape of
    /// <paramref name="logps"/>, bool or 0/1 values of any real dtype, on the same device.
    /// </summary>
    /// <param name="mask">The mask, or null.</param>
    /// <param name="logps">The log-probabilities it masks.</param>
    /// <param name="loss">The loss's name, for messages.</param>
    /// <param name="maskArg">The mask's argument name.</param>
    /// <param name="logpsArg">The log-probabilities' argument name.</param>
    public static void TokenMask(Tensor? mask, Tensor logps, string loss, string maskArg, string logpsArg)
    {
        if (mask is null) return;
        if (mask.dtype.IsComplex())
            throw new ArgumentException($"{loss}: '{maskArg}' must be a bool or 0/1 tensor, got {mask.dtype}", maskArg);
        if (!mask.shape.SequenceEqual(logps.shape))
            throw new ArgumentException($"{loss}: '{maskArg}' must have the shape of '{logpsArg}' {Shape(logps)}, got {Shape(mask)}", maskArg);
        SameDevice(loss, (logps, logpsArg), (mask, maskArg));
        AlignmentZeroOne(mask, loss, maskArg, "must hold only 0 and 1 (or be bool)");
    }

    /// <summary>
    /// Every sequence must have at least one token in its mask (for losses that average log-probabilities over a
    /// sequence's length).
    /// </summary>
    /// <param name="mask">The mask (null: every token counts, so only T = 0 fails).</param>
    /// <param name="logps">The log-probabilities it masks.</param>
    /// <param name="loss">The loss's name, for messages.</param>
    /// <param name="maskArg">The mask's argument name.</param>
    public static void NonEmptySequences(Tensor? mask, Tensor logps, string loss, string maskArg)
    {
        if (logps.shape[0] == 0) return;
        if (mask is null)
        {
            if (logps.shape[1] == 0)
                throw new ArgumentException($"{loss}: sequences have no tokens (T = 0), so their average log-probability is undefined", maskArg);
            return;
        }
        using var scope = NewDisposeScope();
        var counts = mask.ne(0).sum(1);
        var empty = counts.eq(0);
        if (empty.any().item<bool>())
        {
            long row = empty.nonzero()[0, 0].item<long>();
            throw new ArgumentException($"{loss}: sequence {row} has no token in '{maskArg}', so its average log-probability is undefined", maskArg);
        }
    }

    /// <summary>Sequence-level labels or rewards: a tensor of shape (B) matching the batch of <paramref name="logps"/>.</summary>
    /// <param name="t">The per-sequence tensor.</param>
    /// <param name="logps">The (B, T) tensor it belongs to.</param>
    /// <param name="loss">The loss's name, for messages.</param>
    /// <param name="arg">The argument's name.</param>
    /// <param name="logpsArg">The log-probabilities' argument name.</param>
    public static void PerSequence(Tensor t, Tensor logps, string loss, string arg, string logpsArg)
    {
        NotNull(t, loss, arg);
        if (t.dim() != 1 || t.shape[0] != logps.shape[0])
            throw new ArgumentException($"{loss}: '{arg}' must have shape (B) = [{logps.shape[0]}] to match '{logpsArg}' {Shape(logps)}, got {Shape(t)}", arg);
        SameDevice(loss, (logps, logpsArg), (t, arg));
    }

    /// <summary>Binary feedback per example: bool, or 0/1 values of any real dtype (1: desirable).</summary>
    /// <param name="labels">The labels.</param>
    /// <param name="loss">The loss's name, for messages.</param>
    /// <param name="arg">The argument's name.</param>
    public static void BinaryFeedback(Tensor labels, string loss, string arg)
    {
        NotNull(labels, loss, arg);
        if (labels.dtype.IsComplex())
            throw new ArgumentException($"{loss}: '{arg}' must be bool or 0/1, got {labels.dtype}", arg);
        AlignmentZeroOne(labels, loss, arg, "must hold only 0 (undesirable) and 1 (desirable)");
    }

    private static void AlignmentZeroOne(Tensor t, string loss, string arg, string expected)
    {
        if (t.dtype == ScalarType.Bool || t.numel() == 0) return;
        using var scope = NewDisposeScope();
        var v = t.detach().to_type(ScalarType.Float64);
        var bad = v.ne(0.0).logical_and(v.ne(1.0));
        if (bad.any().item<bool>())
            throw new ArgumentException($"{loss}: '{arg}' {expected}, got {v.masked_select(bad)[0].item<double>()}", arg);
    }
}
