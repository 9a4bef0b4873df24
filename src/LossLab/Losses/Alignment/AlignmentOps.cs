using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Sequence log-probabilities from per-token log-probabilities: the masked sum over tokens
    /// <c>sum_t m_t * logp_t</c>, or with <paramref name="average"/> the masked mean <c>sum_t m_t * logp_t / sum_t m_t</c>
    /// (the length-normalised log-probability of SimPO, ORPO and IPO).
    /// </summary>
    /// <remarks>
    /// Padding positions (mask 0) are never read into the result, so they may hold anything, even NaN or -inf.
    /// Every alignment loss in LossLab takes per-token log-probabilities with such a mask, so that any TorchSharp
    /// language model fits: gather the log-softmax of its logits at the sampled tokens.
    /// <code>
    /// var tokenLogps = log_softmax(logits, -1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1);   // (B, T)
    /// var seq = Losses.sequence_logps(tokenLogps, mask);                                        // (B)
    /// </code>
    /// </remarks>
    /// <param name="logps">Per-token log-probabilities, shape (B, T).</param>
    /// <param name="mask">Which tokens count, shape (B, T), bool or 0/1 (null: all).</param>
    /// <param name="average">Divide by the number of counted tokens (every sequence must have one).</param>
    /// <returns>Shape (B).</returns>
    public static Tensor sequence_logps(Tensor logps, Tensor? mask = null, bool average = false)
    {
        const string name = "sequence_logps";
        Check.TokenLogProbs(logps, name, nameof(logps));
        Check.TokenMask(mask, logps, name, nameof(mask), nameof(logps));
        if (average) Check.NonEmptySequences(mask, logps, name, nameof(mask));
        using var scope = NewDisposeScope();
        var result = AlignmentOps.SequenceLogps(logps, mask, average);
        return result.MoveToOuterDisposeScope();
    }
}

/// <summary>Shared pieces of the alignment losses (inputs already validated).</summary>
internal static partial class AlignmentOps
{
    /// <summary>The mask as bool, or null.</summary>
    public static Tensor? Bool(Tensor? mask) => mask is null ? null : mask.dtype == ScalarType.Bool ? mask : mask.ne(0);

    /// <summary>logps with padding replaced by 0 (no NaN from padding reaches values or gradients).</summary>
    public static Tensor Masked(Tensor logps, Tensor? mask)
    {
        var m = Bool(mask);
        return m is null ? logps : torch.where(m, logps, torch.zeros_like(logps));
    }

    /// <summary>The number of counted tokens per sequence, in the dtype of <paramref name="logps"/>.</summary>
    public static Tensor Lengths(Tensor logps, Tensor? mask) =>
        mask is null
            ? torch.full(new[] { logps.shape[0] }, (double)logps.shape[1], dtype: logps.dtype, device: logps.device)
            : Bool(mask)!.to_type(logps.dtype).sum(1);

    /// <summary>Masked sum (or mean) over tokens.</summary>
    public static Tensor SequenceLogps(Tensor logps, Tensor? mask, bool average)
    {
        var sum = Masked(logps, mask).sum(1);
        return average ? sum / Lengths(logps, mask) : sum;
    }

    /// <summary>The mask as 0/1 in the dtype of <paramref name="like"/> (ones where null).</summary>
    public static Tensor Weights(Tensor like, Tensor? mask) => mask is null ? torch.ones_like(like) : Bool(mask)!.to_type(like.dtype);

    /// <summary>exp(x) with x capped so that the result (and its gradient) stays finite in the dtype.</summary>
    public static Tensor CappedExp(Tensor x) => x.clamp_max(Losses.MaxExponent(x.dtype)).exp();

    /// <summary>
    /// log(1 - exp(x)) for x &lt; 0, computed stably (Maechler's log1mexp): log(-expm1(x)) for x &gt; -log 2, log1p(-exp(x))
    /// below. Each branch sees an input clamped to its own side, so neither produces NaN gradients through the other.
    /// x must already be strictly negative.
    /// </summary>
    public static Tensor Log1mExp(Tensor x)
    {
        const double ln2 = 0.69314718055994530942;
        var near = x.clamp_min(-ln2);
        var far = x.clamp_max(-ln2);
        var a = torch.log(-torch.special.expm1(near));
        var b = torch.log1p(-torch.exp(far));
        return torch.where(x.gt(-ln2), a, b);
    }

    /// <summary>Reduces per-sequence losses (B).</summary>
    public static Tensor ReducePerSequence(Tensor losses, Reduction reduction, string name) => Reduce.Apply(losses, reduction, name);

    /// <summary>
    /// Reduces per-token losses (B, T): none gives (B, T) with zeros at padding, sum the masked sum, mean the masked
    /// token mean (0 where no token counts).
    /// </summary>
    public static Tensor ReducePerToken(Tensor perToken, Tensor? mask, Reduction reduction)
    {
        var masked = Masked(perToken, mask);
        return reduction switch
        {
            Reduction.None => masked,
            Reduction.Sum => masked.sum(),
            _ => masked.sum() / Weights(perToken, mask).sum().clamp_min(1.0),
        };
    }

    /// <summary>The machine epsilon of a floating dtype.</summary>
    public static double MachineEpsilon(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => 2.220446049250313e-16,
        ScalarType.Float16 => 9.765625e-4,
        ScalarType.BFloat16 => 7.8125e-3,
        _ => 1.1920928955078125e-7,
    };
}
