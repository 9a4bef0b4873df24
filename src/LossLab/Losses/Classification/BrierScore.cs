using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Multi-class Brier score (Brier 1950) as a loss: per sample <c>sum_c (p_c - y_c)^2</c>, with <c>p = softmax(input)</c>
    /// (or the input itself when it holds probabilities) and <c>y</c> the one-hot target (or the target's probabilities).
    /// </summary>
    /// <remarks>
    /// <para><b>When to use it.</b> The Brier score is a strictly proper scoring rule, like the log loss, but bounded (in
    /// [0, 2] per sample): it penalises confident mistakes far less than cross-entropy, which makes it robust to label
    /// noise and a common calibration-aware training objective or evaluation measure. This is Brier's original
    /// multi-class form (the sum over classes); scikit-learn's binary <c>brier_score_loss</c> is half of it for C = 2.</para>
    /// <para>No logarithm is involved: from logits the softmax is exact in float32 even at magnitude 1e4 and its
    /// gradient is finite.</para>
    /// <code>
    /// var loss = Losses.brier_score_loss(logits, labels);
    /// var score = Losses.brier_score_loss(probabilities, labels, from_logits: false);
    /// </code>
    /// Reference: Brier 1950, "Verification of forecasts expressed in terms of probability".
    /// </remarks>
    /// <param name="input">Logits (or probabilities without <paramref name="from_logits"/>), shape (N, C).</param>
    /// <param name="target">Class indices, shape (N), int64; or class probabilities, shape (N, C), floating-point.</param>
    /// <param name="from_logits">Whether the input holds logits (softmax is applied) or probabilities in [0, 1].</param>
    /// <param name="reduction">none: per-sample scores (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor brier_score_loss(Tensor input, Tensor target, bool from_logits = true, Reduction reduction = Reduction.Mean)
    {
        const string name = "brier_score_loss";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        Reduce.NoBatchMean(reduction, name);
        bool probabilities = Check.IndicesOrProbabilities(input, target, name, nameof(target));
        if (!from_logits) Check.InRange(input, 0, 1, name, nameof(input));

        using var scope = NewDisposeScope();
        var p = from_logits ? torch.softmax(input, 1) : input;
        var y = probabilities ? target.to_type(input.dtype) : torch.nn.functional.one_hot(target.to_type(ScalarType.Int64), input.shape[1]).to_type(input.dtype);
        var loss = (p - y).square().sum(1);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The multi-class Brier score as a module; see <see cref="Losses.brier_score_loss"/>.</summary>
public sealed class BrierScoreLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly bool fromLogits;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.brier_score_loss"/>.</summary>
    public BrierScoreLoss(bool from_logits = true, Reduction reduction = Reduction.Mean) : base(nameof(BrierScoreLoss))
    {
        Reduce.NoBatchMean(reduction, nameof(BrierScoreLoss));
        fromLogits = from_logits;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.brier_score_loss(input, target, fromLogits, reduction);
}

internal sealed class BrierScoreDefinition : LossDefinition
{
    public override string Name => "brier_score";
    public override string Family => "classification";
    public override string Summary => "Multi-class Brier score: squared distance between the predicted distribution and the one-hot target.";
    public override string Math => "l_i = sum_c (p_ic - y_ic)^2,  p = softmax(input) (from_logits) or input; y = onehot(target) or target probabilities";
    public override string Reference => "Brier 1950, Verification of forecasts expressed in terms of probability";
    public override string Function => "Losses.brier_score_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Bool("from_logits", true, "input holds logits (softmax applied); false: probabilities"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) logits, or probabilities"),
        InputSpec.Data("target", "(N) class indices, or (N, C) class probabilities"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.brier_score_loss(x.Required("input"), x.Required("target"), p.Bool("from_logits"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) logits mean", g => new() { ["input"] = Sample.Normal(g, [6, 4], 2), ["target"] = Sample.Labels(g, 6, 4) });
        yield return GradcheckCase.Of("(5,3) probabilities none", g => new() { ["input"] = Sample.Simplex(g, 5, 3), ["target"] = Sample.Labels(g, 5, 3) },
            ("from_logits", "false"), ("reduction", "none"));
        yield return GradcheckCase.Of("(4,5) soft targets sum", g => new() { ["input"] = Sample.Normal(g, [4, 5]), ["target"] = Sample.Simplex(g, 4, 5) }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,3) logits", g => new() { ["input"] = Sample.Normal(g, [1, 3]), ["target"] = Sample.Labels(g, 1, 3) });
    }
}
