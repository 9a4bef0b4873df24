using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// Cross entropy over the positions of token sequences, shared by the language-model losses (next token, masked LM):
/// checks, and PyTorch's <c>cross_entropy</c> on the positions that are scored, averaged over those positions.
/// </summary>
internal static class TokenCrossEntropy
{
    public static void Validate(string name, Tensor input, Tensor target, double labelSmoothing, Reduction reduction)
    {
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 3);
        if (input.shape[2] == 0)
            throw new ArgumentException($"{name}: 'input' must have a vocabulary of at least one token, got shape {Check.Shape(input)}", nameof(input));
        Check.Integer(target, name, nameof(target));
        Check.Rank(target, name, nameof(target), 2);
        if (target.shape[0] != input.shape[0] || target.shape[1] != input.shape[1])
            throw new ArgumentException($"{name}: 'target' must have shape (B, T) = [{input.shape[0]}, {input.shape[1]}] for input of shape {Check.Shape(input)}, got {Check.Shape(target)}", nameof(target));
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));
        Check.Param(labelSmoothing >= 0 && labelSmoothing <= 1, name, "label_smoothing", "in [0, 1]", labelSmoothing);
        Reduce.NoBatchMean(reduction, name);
    }

    /// <summary>
    /// Per-position cross entropy of logits (B, T, V) against targets (B, T) where <paramref name="scored"/> holds (0
    /// elsewhere), reduced: none gives (B, T); sum; mean over the scored positions (0 when there is none).
    /// </summary>
    public static Tensor Compute(Tensor logits, Tensor target, Tensor scored, long ignoreIndex, double labelSmoothing, Reduction reduction)
    {
        using var scope = NewDisposeScope();
        var t = torch.where(scored, target, torch.full_like(target, ignoreIndex));
        var perToken = Losses.cross_entropy(logits.permute(0, 2, 1), t, null, ignoreIndex, Reduction.None, labelSmoothing);   // (B, T), 0 where ignored
        Tensor result = reduction switch
        {
            Reduction.None => perToken,
            Reduction.Sum => perToken.sum(),
            _ => PairMath.SafeMean(perToken.sum(), scored.sum()),
        };
        return result.MoveToOuterDisposeScope();
    }
}
