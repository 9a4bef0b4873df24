using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Huber loss, as <c>torch.nn.functional.huber_loss</c>: per element, with <c>z = |input - target|</c>,
    /// <c>0.5 z^2</c> where <c>z &lt; delta</c> and <c>delta (z - 0.5 delta)</c> elsewhere.
    /// </summary>
    /// <remarks>
    /// Quadratic near zero and linear (slope <paramref name="delta"/>) for large errors; its gradient is continuous.
    /// <c>huber_loss(x, y, delta) == delta * smooth_l1_loss(x, y, beta: delta)</c>. Gradients flow to both tensors.
    /// Shapes must agree exactly (PyTorch broadcasts with a warning).
    /// <code>
    /// var loss = Losses.huber_loss(prediction, target, delta: 0.5);
    /// </code>
    /// </remarks>
    /// <param name="input">Predictions, any shape, floating-point.</param>
    /// <param name="target">Targets, the shape of <paramref name="input"/>.</param>
    /// <param name="reduction">none: per-element losses; mean (over all elements); sum.</param>
    /// <param name="delta">Where the loss turns from quadratic to linear; finite and &gt; 0.</param>
    /// <returns>A scalar, or the per-element losses for reduction none.</returns>
    public static Tensor huber_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0)
    {
        const string name = "huber_loss";
        Check.ElementwisePair(input, target, name);
        Check.Param(delta > 0 && double.IsFinite(delta), name, nameof(delta), "a finite number > 0", delta);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var d = input - target;
        var z = d.abs();
        var loss = torch.where(z.lt(delta), 0.5 * d.square(), delta * (z - 0.5 * delta));
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The Huber loss as a module; see <see cref="Losses.huber_loss"/>.</summary>
public sealed class HuberLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;
    private readonly double delta;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.huber_loss"/>.</summary>
    public HuberLoss(Reduction reduction = Reduction.Mean, double delta = 1.0) : base(nameof(HuberLoss))
    {
        Check.Param(delta > 0 && double.IsFinite(delta), "HuberLoss", nameof(delta), "a finite number > 0", delta);
        Reduce.NoBatchMean(reduction, "HuberLoss");
        this.reduction = reduction;
        this.delta = delta;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.huber_loss(input, target, reduction, delta);
}

internal sealed class HuberLossDefinition : LossDefinition
{
    public override string Name => "huber_loss";
    public override string Family => "regression";
    public override string Summary => "Huber loss: quadratic for errors below delta, linear above (torch.nn.functional.huber_loss).";
    public override string Math => "z = |input - target|;  l = 0.5 z^2 if z < delta else delta (z - 0.5 delta)";
    public override string Reference => "Huber 1964, Robust Estimation of a Location Parameter; torch.nn.functional.huber_loss";
    public override string Function => "Losses.huber_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("delta", 1.0, "threshold between the quadratic and the linear part", min: 0, minExclusive: true),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) predictions"),
        InputSpec.Grad("target", "(*) targets, the shape of input"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.huber_loss(x.Required("input"), x.Required("target"), p.Reduction, p.Float("delta"));

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        foreach (var (shape, delta, red) in new (long[], string, string)[] { ([6, 3], "1", "mean"), ([4, 2, 3], "0.3", "sum"), ([7], "2.5", "none"), ([1, 5], "1", "mean") })
            yield return GradcheckCase.Of($"({string.Join(",", shape)}) delta={delta} {red}",
                g => AwayFromThreshold(g, shape, double.Parse(delta, System.Globalization.CultureInfo.InvariantCulture)), ("delta", delta), ("reduction", red));
    }

    /// <summary>Inputs whose errors |input - target| lie in [0.05, 0.8] or [1.25, 3] times the threshold: on both sides
    /// of it, away from it and from 0.</summary>
    internal static Dictionary<string, Tensor> AwayFromThreshold(Generator g, long[] shape, double threshold)
    {
        var input = Sample.Normal(g, shape);
        var u = Sample.Uniform(g, shape, 0, 1);
        var magnitude = torch.where(u.lt(0.5), 0.05 + u * 1.5, 1.25 + (u - 0.5) * 3.5) * threshold;
        var error = Sample.Signs(g, shape) * magnitude;
        return new() { ["input"] = input, ["target"] = input - error };
    }
}
