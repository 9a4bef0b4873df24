using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// Per-sample out-of-distribution scores of a classifier's logits. Every score follows one sign convention:
/// <b>higher score = more in-distribution</b>.
/// </summary>
public enum OodScore
{
    /// <summary>Maximum softmax probability, <c>max_c softmax(z)_c</c> (Hendrycks &amp; Gimpel 2017). In (0, 1].</summary>
    MaxSoftmax,
    /// <summary>Maximum logit, <c>max_c z_c</c> (Hendrycks et al. 2022, "Scaling Out-of-Distribution Detection").</summary>
    MaxLogit,
    /// <summary>Negative softmax entropy, <c>sum_c p_c log p_c</c>, in [-log C, 0].</summary>
    NegativeEntropy,
    /// <summary>Negative energy, <c>-E(z; T) = T logsumexp(z / T)</c> (Liu et al. 2020, "Energy-based Out-of-distribution Detection").</summary>
    Energy,
}

public static partial class Metrics
{
    /// <summary>
    /// Maximum softmax probability per sample, <c>max_c softmax(z)_c</c> (Hendrycks &amp; Gimpel 2017): higher = more
    /// in-distribution.
    /// </summary>
    /// <remarks>
    /// Computed as <c>exp(max_c log_softmax(z)_c)</c> in float64, finite for any finite logits. No gradient.
    /// <code>
    /// var s = Metrics.msp_score(logits);   // (N) float64
    /// </code>
    /// </remarks>
    /// <param name="logits">Logits, shape (N, C), floating, finite.</param>
    /// <returns>Scores, shape (N), float64, in (0, 1].</returns>
    /// <exception cref="ArgumentException">Not a finite floating (N, C) tensor with N, C &gt;= 1.</exception>
    public static Tensor msp_score(Tensor logits) => ood_score(logits, OodScore.MaxSoftmax);

    /// <summary>Maximum logit per sample, <c>max_c z_c</c>: higher = more in-distribution.</summary>
    /// <remarks>
    /// <code>
    /// var s = Metrics.max_logit_score(logits);   // (N) float64
    /// </code>
    /// </remarks>
    /// <param name="logits">Logits, shape (N, C), floating, finite.</param>
    /// <returns>Scores, shape (N), float64.</returns>
    /// <exception cref="ArgumentException">Not a finite floating (N, C) tensor with N, C &gt;= 1.</exception>
    public static Tensor max_logit_score(Tensor logits) => ood_score(logits, OodScore.MaxLogit);

    /// <summary>
    /// Negative softmax entropy per sample, <c>sum_c p_c log p_c</c>: higher (closer to 0, a confident prediction) = more
    /// in-distribution.
    /// </summary>
    /// <remarks>
    /// <c>p log p</c> is computed as <c>exp(l) * l</c> with <c>l = log_softmax(z)</c> in float64, so a probability that
    /// underflows to 0 contributes 0 and nothing is NaN.
    /// <code>
    /// var s = Metrics.negative_entropy_score(logits);   // (N) float64, in [-log C, 0]
    /// </code>
    /// </remarks>
    /// <param name="logits">Logits, shape (N, C), floating, finite.</param>
    /// <returns>Scores, shape (N), float64, in [-log C, 0].</returns>
    /// <exception cref="ArgumentException">Not a finite floating (N, C) tensor with N, C &gt;= 1.</exception>
    public static Tensor negative_entropy_score(Tensor logits) => ood_score(logits, OodScore.NegativeEntropy);

    /// <summary>
    /// The negative energy per sample, <c>-E(z; T) = T logsumexp(z / T)</c> (Liu et al. 2020, who define the energy
    /// <c>E(z; T) = -T logsumexp(z / T)</c> and flag a sample as OOD when its energy is high): higher = more
    /// in-distribution.
    /// </summary>
    /// <remarks>
    /// Computed with <c>logsumexp</c> in float64 (finite for any finite logits). At T = 1 it is the log of the softmax's
    /// normaliser; as T goes to 0 it tends to the maximum logit.
    /// <code>
    /// var s = Metrics.energy_score(logits, temperature: 1.0);   // (N) float64
    /// </code>
    /// </remarks>
    /// <param name="logits">Logits, shape (N, C), floating, finite.</param>
    /// <param name="temperature">The energy's temperature T, finite and &gt; 0.</param>
    /// <returns>Scores, shape (N), float64.</returns>
    /// <exception cref="ArgumentException">Not a finite floating (N, C) tensor with N, C &gt;= 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is not a positive finite number.</exception>
    public static Tensor energy_score(Tensor logits, double temperature = 1.0) => ood_score(logits, OodScore.Energy, temperature);

    /// <summary>
    /// One of the <see cref="OodScore"/> scores per sample; higher = more in-distribution for every kind.
    /// </summary>
    /// <remarks>
    /// <code>
    /// var s = Metrics.ood_score(logits, OodScore.Energy);
    /// </code>
    /// </remarks>
    /// <param name="logits">Logits, shape (N, C), floating, finite.</param>
    /// <param name="score">Which score.</param>
    /// <param name="temperature">The temperature of <see cref="OodScore.Energy"/> (ignored by the others), finite and &gt; 0.</param>
    /// <returns>Scores, shape (N), float64, no gradient.</returns>
    /// <exception cref="ArgumentException">Not a finite floating (N, C) tensor with N, C &gt;= 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A bad temperature or an unknown score.</exception>
    public static Tensor ood_score(Tensor logits, OodScore score, double temperature = 1.0)
    {
        const string name = "ood_score";
        Check.FiniteLogits(logits, name, nameof(logits));
        Check.Param(temperature > 0 && double.IsFinite(temperature), name, nameof(temperature), "a finite number > 0", temperature);
        Check.Param(Enum.IsDefined(score), name, nameof(score), "one of " + string.Join(", ", Enum.GetNames<OodScore>()), score);
        using var scope = NewDisposeScope();
        var z = logits.detach().to_type(ScalarType.Float64);
        Tensor result = score switch
        {
            OodScore.MaxSoftmax => torch.nn.functional.log_softmax(z, 1).max(1).values.exp(),
            OodScore.MaxLogit => z.max(1).values,
            OodScore.NegativeEntropy => NegativeEntropy(z),
            _ => torch.logsumexp(z / temperature, 1) * temperature,
        };
        return result.MoveToOuterDisposeScope();
    }

    private static Tensor NegativeEntropy(Tensor z)
    {
        var l = torch.nn.functional.log_softmax(z, 1);
        return (l.exp() * l).sum(1);
    }
}
