using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Mean squared logarithmic error: per element <c>(log1p(input) - log1p(target))^2</c>, with every value of both
    /// tensors required to be &gt; -1.
    /// </summary>
    /// <remarks>
    /// <para>A squared error on the log scale: it penalises ratios rather than differences, so it suits non-negative
    /// targets spanning orders of magnitude (counts, prices, durations), and penalises under-prediction more than
    /// over-prediction of the same size. <c>log1p</c> keeps it accurate near 0.</para>
    /// <para>Values &lt;= -1 have no logarithm: they are an error naming the tensor, checked before computing (Keras
    /// instead clips both tensors at its epsilon, silently; scikit-learn's <c>mean_squared_log_error</c> also rejects
    /// them). The input's gradient is <c>2 (log1p(input) - log1p(target)) / (1 + input)</c>; gradients flow to both
    /// tensors, whose shapes must agree.</para>
    /// <code>
    /// var loss = Losses.msle_loss(predictedCounts, counts);
    /// </code>
    /// </remarks>
    /// <param name="input">Predictions, any shape, floating-point, every value &gt; -1.</param>
    /// <param name="target">Targets, the shape of <paramref name="input"/>, every value &gt; -1.</param>
    /// <param name="reduction">none: per-element losses; mean (over all elements); sum.</param>
    /// <returns>A scalar, or the per-element losses for reduction none.</returns>
    public static Tensor msle_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        const string name = "msle_loss";
        Check.ElementwisePair(input, target, name);
        Reduce.NoBatchMean(reduction, name);
        Check.ValuesAbove(input, -1, name, nameof(input), "log1p needs values > -1");
        Check.ValuesAbove(target, -1, name, nameof(target), "log1p needs values > -1");

        using var scope = NewDisposeScope();
        var loss = (input.log1p() - target.log1p()).square();
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The mean squared logarithmic error as a module; see <see cref="Losses.msle_loss"/>.</summary>
public sealed class MsleLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.msle_loss"/>.</summary>
    public MsleLoss(Reduction reduction = Reduction.Mean) : base(nameof(MsleLoss))
    {
        Reduce.NoBatchMean(reduction, nameof(MsleLoss));
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.msle_loss(input, target, reduction);
}

internal sealed class MsleDefinition : LossDefinition
{
    public override string Name => "msle";
    public override string Family => "regression";
    public override string Summary => "Mean squared logarithmic error, (log1p(input) - log1p(target))^2, values > -1 checked.";
    public override string Math => "l = (log1p(input) - log1p(target))^2, per element; input, target > -1";
    public override string Reference => "keras.losses.mean_squared_logarithmic_error; sklearn.metrics.mean_squared_log_error";
    public override string Function => "Losses.msle_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) predictions > -1"),
        InputSpec.Grad("target", "(*) targets > -1, the shape of input"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.msle_loss(x.Required("input"), x.Required("target"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,3) mean", g => new() { ["input"] = Sample.Uniform(g, [6, 3], 0, 20), ["target"] = Sample.Uniform(g, [6, 3], 0, 20) });
        yield return GradcheckCase.Of("(4,2,3) near -1 sum", g => new() { ["input"] = Sample.Uniform(g, [4, 2, 3], -0.9, 1), ["target"] = Sample.Uniform(g, [4, 2, 3], -0.9, 1) }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(7) large none", g => new() { ["input"] = Sample.Uniform(g, [7], 0, 1000), ["target"] = Sample.Uniform(g, [7], 0, 1000) }, ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) mean", g => new() { ["input"] = Sample.Uniform(g, [1, 4], 0, 5), ["target"] = Sample.Uniform(g, [1, 4], 0, 5) });
    }
}
