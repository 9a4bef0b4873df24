using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Metrics
{
    /// <summary>
    /// Negative log-likelihood of the labels, <c>-(1/N) sum_i log p_i,y_i</c>: from logits the mean cross-entropy
    /// (<c>log p = log_softmax(logits)</c>), from probabilities the mean of <c>-log p_y</c>.
    /// </summary>
    /// <remarks>
    /// Computed in float64. From logits it goes through <c>log_softmax</c> (finite for any finite logits, however
    /// large); from probabilities the rows are used as given and a zero probability for a label makes the result
    /// +infinity, as the definition says (no clipping). The result is a float64 scalar holding no gradient; for a
    /// training loss use <see cref="Losses.cross_entropy"/>.
    /// <code>
    /// double nll = Metrics.nll(logits, labels).item&lt;double&gt;();
    /// double nll2 = Metrics.nll(probs, labels, MetricInput.Probabilities).item&lt;double&gt;();
    /// </code>
    /// </remarks>
    /// <param name="input">Logits (finite) or probabilities (in [0, 1]), shape (N, C), floating.</param>
    /// <param name="labels">True classes, shape (N), integer in [0, C).</param>
    /// <param name="input_kind">What <paramref name="input"/> holds.</param>
    /// <returns>A float64 scalar, at least 0 (+infinity possible from probabilities).</returns>
    /// <exception cref="ArgumentException">Bad shapes or dtypes, non-finite logits, probabilities outside [0, 1], labels out of range, no samples.</exception>
    public static Tensor nll(Tensor input, Tensor labels, MetricInput input_kind = MetricInput.Logits)
    {
        const string name = "nll";
        var logp = LabelLogProbabilities(name, input, labels, input_kind);
        using var scope = NewDisposeScope();
        return logp.neg().mean().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Validates a classifier's output and returns <c>log p_y</c> per sample, (N) float64, no gradient.
    /// </summary>
    internal static Tensor LabelLogProbabilities(string owner, Tensor input, Tensor labels, MetricInput kind)
    {
        var probs = ValidatedProbabilitySource(owner, input, labels, kind);
        using var scope = NewDisposeScope();
        var x = probs.to_type(ScalarType.Float64);
        var y = labels.detach().to_type(ScalarType.Int64).unsqueeze(1);
        var logp = kind == MetricInput.Logits
            ? torch.nn.functional.log_softmax(x, 1).gather(1, y).squeeze(1)
            : x.gather(1, y).squeeze(1).log();
        return logp.MoveToOuterDisposeScope();
    }

    /// <summary>Checks logits (finite) or probabilities (in [0, 1]) with their labels; returns the detached input.</summary>
    internal static Tensor ValidatedProbabilitySource(string owner, Tensor input, Tensor labels, MetricInput kind)
    {
        Check.ClassifierOutputs(input, nameof(input), labels, nameof(labels), owner);
        if (kind == MetricInput.Logits) Check.FiniteLogits(input, owner, nameof(input));
        else if (kind == MetricInput.Probabilities) Check.InRange(input, 0.0, 1.0, owner, nameof(input));
        else throw new ArgumentOutOfRangeException("input_kind", kind, $"{owner}: 'input_kind' must be Logits or Probabilities, got {kind}");
        return input.detach();
    }
}

internal sealed class NllDefinition : MetricDefinition
{
    public override string Name => "nll";
    public override string Family => "calibration";
    public override string Summary => "Mean negative log-likelihood of the labels (from logits: mean cross-entropy; from probs: mean -log p_y).";
    public override string Math => "NLL = -(1/N) sum_i log p_{i,y_i}, log p = log_softmax(logits) or log(probs)";
    public override string Reference => "Guo et al. 2017; Quinonero-Candela et al. 2006 (probabilistic evaluation)";
    public override string Function => "Metrics.nll";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [];
    public override IReadOnlyList<InputSpec> Inputs => ClassifierMetricInputs.Specs;

    public override Tensor Compute(LossInputs x, LossParameters p)
    {
        var (input, kind) = ClassifierMetricInputs.Pick(Name, x);
        return Metrics.nll(input, x.Required("labels"), kind);
    }
}
