using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Mean absolute percentage error, as Keras' <c>mean_absolute_percentage_error</c>: per element
    /// <c>100 * |target - input| / max(|target|, eps)</c> (without the factor 100 when <paramref name="percent"/> is
    /// false, which with eps = 2.22e-16 is scikit-learn's <c>mean_absolute_percentage_error</c>).
    /// </summary>
    /// <remarks>
    /// <para>A relative error for strictly positive quantities far from zero (sales, prices, loads). It is asymmetric
    /// (over-prediction can cost without bound, under-prediction at most 100%) and explodes near target 0: the
    /// <paramref name="eps"/> in the denominator only keeps it finite, a target of 0 contributes
    /// <c>|input| / eps</c>. Prefer <see cref="nmae_loss"/> or a log-space loss (<see cref="msle_loss"/>) when targets
    /// can be near 0.</para>
    /// <para>The input's gradient is <c>100 * sign(input - target) / max(|target|, eps)</c> (0 where input = target).
    /// Gradients flow to the target too (through both the numerator and the denominator); shapes must agree.</para>
    /// <code>
    /// var loss = Losses.mape_loss(forecast, sales);              // in percent, as Keras
    /// var frac = Losses.mape_loss(forecast, sales, percent: false);
    /// </code>
    /// </remarks>
    /// <param name="input">Predictions, any shape, floating-point.</param>
    /// <param name="target">Targets, the shape of <paramref name="input"/>.</param>
    /// <param name="eps">The smallest denominator; finite and &gt; 0 (Keras: 1e-7).</param>
    /// <param name="percent">Multiply by 100 (Keras) or not (scikit-learn).</param>
    /// <param name="reduction">none: per-element values; mean (over all elements); sum.</param>
    /// <returns>A scalar, or the per-element values for reduction none.</returns>
    public static Tensor mape_loss(Tensor input, Tensor target, double eps = 1e-7, bool percent = true, Reduction reduction = Reduction.Mean)
    {
        const string name = "mape_loss";
        Check.ElementwisePair(input, target, name);
        Check.Param(eps > 0 && double.IsFinite(eps), name, nameof(eps), "a finite number > 0", eps);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var loss = (target - input).abs() / target.abs().clamp_min(eps);
        if (percent) loss = loss * 100.0;
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The mean absolute percentage error as a module; see <see cref="Losses.mape_loss"/>.</summary>
public sealed class MapeLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double eps;
    private readonly bool percent;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.mape_loss"/>.</summary>
    public MapeLoss(double eps = 1e-7, bool percent = true, Reduction reduction = Reduction.Mean) : base(nameof(MapeLoss))
    {
        Check.Param(eps > 0 && double.IsFinite(eps), nameof(MapeLoss), nameof(eps), "a finite number > 0", eps);
        Reduce.NoBatchMean(reduction, nameof(MapeLoss));
        this.eps = eps;
        this.percent = percent;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.mape_loss(input, target, eps, percent, reduction);
}

internal sealed class MapeDefinition : LossDefinition
{
    public override string Name => "mape";
    public override string Family => "regression";
    public override string Summary => "Mean absolute percentage error with eps in the denominator (Keras; scikit-learn without the factor 100).";
    public override string Math => "l = 100 * |target - input| / max(|target|, eps)  (percent = false: without the 100)";
    public override string Reference => "keras.losses.mean_absolute_percentage_error; sklearn.metrics.mean_absolute_percentage_error";
    public override string Function => "Losses.mape_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("eps", 1e-7, "smallest denominator (Keras' epsilon)", min: 0, minExclusive: true),
        ParamSpec.Bool("percent", true, "multiply by 100 (Keras) or not (scikit-learn)"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) predictions"),
        InputSpec.Grad("target", "(*) targets, the shape of input"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.mape_loss(x.Required("input"), x.Required("target"), p.Float("eps"), p.Bool("percent"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        // Targets of both signs away from 0 (|target| in [0.5, 3]) and errors away from 0.
        static Dictionary<string, Tensor> Make(Generator g, long[] shape)
        {
            var target = Sample.Signs(g, shape) * Sample.Uniform(g, shape, 0.5, 3);
            var error = Sample.Signs(g, shape) * Sample.Uniform(g, shape, 0.05, 2);
            return new() { ["input"] = target + error, ["target"] = target };
        }
        yield return GradcheckCase.Of("(6,3) mean", g => Make(g, [6, 3]));
        yield return GradcheckCase.Of("(4,2,3) fraction sum", g => Make(g, [4, 2, 3]), ("percent", "false"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(7) none", g => Make(g, [7]), ("reduction", "none"));
        // eps above some |target|: the denominator is clamped there (no gradient through the clamp).
        yield return GradcheckCase.Of("(1,6) eps=1", g => Make(g, [1, 6]), ("eps", "1"));
    }
}
