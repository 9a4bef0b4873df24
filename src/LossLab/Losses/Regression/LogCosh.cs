using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Log-cosh loss (as optax's <c>log_cosh</c>): per element <c>log(cosh(input - target))</c>, about
    /// <c>x^2 / 2</c> for small errors and <c>|x| - log 2</c> for large ones; its gradient is <c>tanh(input - target)</c>.
    /// </summary>
    /// <remarks>
    /// Computed without overflow for any error: for <c>|x| &gt;= 1</c> as <c>|x| + softplus(-2|x|) - log 2</c>, and for
    /// <c>|x| &lt; 1</c> as <c>log1p(2 sinh(x/2)^2)</c> (the same value, without the cancellation of the first form near 0).
    /// Errors of 1e4 in float32 give finite values and gradients. Gradients flow to both tensors.
    /// Optax returns the per-element losses; here the default reduction is mean, like the other regression losses.
    /// <code>
    /// var loss = Losses.log_cosh_loss(prediction, target);
    /// </code>
    /// </remarks>
    /// <param name="input">Predictions, any shape, floating-point.</param>
    /// <param name="target">Targets, the shape of <paramref name="input"/>.</param>
    /// <param name="reduction">none: per-element losses; mean (over all elements); sum.</param>
    /// <returns>A scalar, or the per-element losses for reduction none.</returns>
    public static Tensor log_cosh_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        const string name = "log_cosh_loss";
        Check.ElementwisePair(input, target, name);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var x = input - target;
        var a = x.abs();
        var small = a.lt(1.0);
        // The small-error form only sees small errors (elsewhere 0), so that neither branch overflows nor gives NaN gradients.
        var xs = torch.where(small, x, torch.zeros_like(x));
        var near = (2.0 * (0.5 * xs).sinh().square()).log1p();
        var far = a + (-2.0 * a).softplus() - System.Math.Log(2.0);
        var loss = torch.where(small, near, far);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The log-cosh loss as a module; see <see cref="Losses.log_cosh_loss"/>.</summary>
public sealed class LogCoshLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.log_cosh_loss"/>.</summary>
    public LogCoshLoss(Reduction reduction = Reduction.Mean) : base(nameof(LogCoshLoss))
    {
        Reduce.NoBatchMean(reduction, "LogCoshLoss");
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.log_cosh_loss(input, target, reduction);
}

internal sealed class LogCoshDefinition : LossDefinition
{
    public override string Name => "log_cosh";
    public override string Family => "regression";
    public override string Summary => "Log-cosh loss: quadratic for small errors, linear for large ones, smooth everywhere.";
    public override string Math => "l = log(cosh(input - target)), per element";
    public override string Reference => "optax.log_cosh; Chen et al. 2019, Log Hyperbolic Cosine Loss Improves Variational Auto-Encoder";
    public override string Function => "Losses.log_cosh_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) predictions"),
        InputSpec.Grad("target", "(*) targets, the shape of input"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.log_cosh_loss(x.Required("input"), x.Required("target"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,3) mean", g => new() { ["input"] = Sample.Normal(g, [6, 3], 2), ["target"] = Sample.Normal(g, [6, 3]) });
        yield return GradcheckCase.Of("(4,2,3) large errors sum", g => new() { ["input"] = Sample.Normal(g, [4, 2, 3], 30), ["target"] = Sample.Normal(g, [4, 2, 3]) }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(8) small errors none", g => new() { ["input"] = Sample.Normal(g, [8], 0.01), ["target"] = Sample.Normal(g, [8], 0.01) }, ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) mean", g => new() { ["input"] = Sample.Normal(g, [1, 4]), ["target"] = Sample.Normal(g, [1, 4]) });
    }
}
