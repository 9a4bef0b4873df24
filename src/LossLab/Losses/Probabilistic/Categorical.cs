using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>How a categorical distribution is given to <see cref="Losses.kl_divergence_loss"/>,
/// <see cref="Losses.js_divergence_loss"/> and <see cref="Losses.entropy_loss"/>.</summary>
public enum CategoricalInput
{
    /// <summary>Unnormalised log-probabilities (logits); the distribution is their softmax along the class dimension.</summary>
    Logits,
    /// <summary>Non-negative probabilities; they are normalised along the class dimension (as
    /// <c>torch.distributions.Categorical(probs=...)</c> does), so each slice needs a positive total.</summary>
    Probs,
}

/// <summary>
/// Shared parts of the losses over categorical distributions: checks, log-probabilities in log space, the class
/// dimension (1, or 0 for an unbatched vector) and the reduction of per-distribution values.
/// </summary>
internal static class Categorical
{
    /// <summary>The registry choice names of <see cref="CategoricalInput"/>.</summary>
    public static readonly string[] Names = ["logits", "probs"];

    /// <summary>Parses a registry choice (logits, probs).</summary>
    public static CategoricalInput Parse(string text) => text == "probs" ? CategoricalInput.Probs : CategoricalInput.Logits;

    /// <summary>The class dimension: 1 for (N, C, d1, ...), 0 for an unbatched (C).</summary>
    public static long ClassDim(Tensor t) => t.dim() == 1 ? 0 : 1;

    /// <summary>Checks one categorical input: floating, at least one dimension, at least one class, probabilities valid.</summary>
    public static void CheckInput(Tensor t, CategoricalInput type, string loss, string arg)
    {
        Check.Floating(t, loss, arg);
        Check.MinRank(t, loss, arg, 1);
        Check.HasSamples(t, loss, arg);
        if (type == CategoricalInput.Probs) Check.CategoricalProbs(t, ClassDim(t), loss, arg);
    }

    /// <summary>Checks two categorical inputs of the same shape, dtype and device.</summary>
    public static void CheckPair(Tensor input, Tensor target, CategoricalInput type, string loss)
    {
        CheckInput(input, type, loss, "input");
        Check.Floating(target, loss, "target");
        Check.SameShape(input, "input", target, "target", loss);
        Check.SameFloatType(loss, (input, "input"), (target, "target"));
        Check.SameDevice(loss, (input, "input"), (target, "target"));
        CheckInput(target, type, loss, "target");
    }

    /// <summary>
    /// Log-probabilities along the class dimension: <c>log_softmax</c> of logits, or <c>log p - log sum p</c> of
    /// probabilities, with <c>-inf</c> (and a zero gradient, never NaN) where a probability is 0.
    /// </summary>
    public static Tensor LogProbs(Tensor t, CategoricalInput type)
    {
        long dim = ClassDim(t);
        if (type == CategoricalInput.Logits) return torch.nn.functional.log_softmax(t, dim);
        var positive = t.gt(0);
        var safe = torch.where(positive, t, torch.ones_like(t));
        var logp = safe.log() - t.sum(dim, keepdim: true).log();
        return torch.where(positive, logp, torch.full_like(t, double.NegativeInfinity));
    }

    /// <summary>Where the distribution has mass: its log-probability is not -inf.</summary>
    public static Tensor Support(Tensor logp) => logp.gt(double.NegativeInfinity);

    /// <summary>
    /// <c>sum p (log p - log q)</c> along the class dimension, for log-probabilities <paramref name="logp"/> and
    /// <paramref name="logq"/>: terms where p = 0 are 0 with a zero gradient (no 0 * inf); where p &gt; 0 and q = 0 the
    /// divergence is +inf.
    /// </summary>
    public static Tensor Kl(Tensor logp, Tensor logq, long dim)
    {
        var diff = torch.where(Support(logp), logp - logq, torch.zeros_like(logp));
        return (logp.exp() * diff).sum(dim);
    }

    /// <summary>Reduces per-distribution values: none, mean over distributions, sum, batchmean (sum / the first dimension of the input).</summary>
    public static Tensor Reduce(Tensor values, Tensor input, Reduction reduction, string loss) => reduction switch
    {
        Reduction.BatchMean => input.dim() <= 1 ? values.sum() : values.sum() / (double)input.shape[0],
        _ => LossLab.Reduce.Apply(values, reduction, loss),
    };
}
