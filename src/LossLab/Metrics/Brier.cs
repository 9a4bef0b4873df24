using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Metrics
{
    /// <summary>
    /// Brier score (Brier 1950), multi-class: the mean over samples of the squared distance between the probability
    /// vector and the one-hot label, <c>(1/N) sum_i sum_c (p_ic - [c = y_i])^2</c>.
    /// </summary>
    /// <remarks>
    /// Summed over classes and averaged over samples, as Brier's original definition and Mukhoti et al.'s
    /// <c>brier_score</c> (not divided by C); it lies in [0, 2] for rows that sum to 1. From logits the probabilities are
    /// <c>softmax(logits)</c> in float64; probabilities are used as given. Computed directly
    /// in float64 (no expansion that would cancel); a float64 scalar holding no gradient.
    /// <code>
    /// double bs = Metrics.brier(logits, labels).item&lt;double&gt;();
    /// </code>
    /// </remarks>
    /// <param name="input">Logits (finite) or probabilities (in [0, 1]), shape (N, C), floating.</param>
    /// <param name="labels">True classes, shape (N), integer in [0, C).</param>
    /// <param name="input_kind">What <paramref name="input"/> holds.</param>
    /// <returns>A float64 scalar, at least 0.</returns>
    /// <exception cref="ArgumentException">Bad shapes or dtypes, non-finite logits, probabilities outside [0, 1], labels out of range, no samples.</exception>
    public static Tensor brier(Tensor input, Tensor labels, MetricInput input_kind = MetricInput.Logits)
    {
        const string name = "brier";
        var x = ValidatedProbabilitySource(name, input, labels, input_kind);
        using var scope = NewDisposeScope();
        var p = x.to_type(ScalarType.Float64);
        if (input_kind == MetricInput.Logits) p = torch.softmax(p, 1);
        var onehot = torch.nn.functional.one_hot(labels.detach().to_type(ScalarType.Int64), p.shape[1]).to_type(ScalarType.Float64);
        return (p - onehot).square().sum(1).mean().MoveToOuterDisposeScope();
    }
}

internal sealed class BrierDefinition : MetricDefinition
{
    public override string Name => "brier";
    public override string Family => "calibration";
    public override string Summary => "Multi-class Brier score: mean over samples of sum over classes of (p_c - onehot_c)^2.";
    public override string Math => "BS = (1/N) sum_i sum_c (p_ic - [c = y_i])^2, p = softmax(logits) or probs";
    public override string Reference => "Brier 1950, Verification of forecasts expressed in terms of probability; Mukhoti et al. 2020 (brier_score)";
    public override string Function => "Metrics.brier";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [];
    public override IReadOnlyList<InputSpec> Inputs => ClassifierMetricInputs.Specs;

    public override Tensor Compute(LossInputs x, LossParameters p)
    {
        var (input, kind) = ClassifierMetricInputs.Pick(Name, x);
        return Metrics.brier(input, x.Required("labels"), kind);
    }
}
