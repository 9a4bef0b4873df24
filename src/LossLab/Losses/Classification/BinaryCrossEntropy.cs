using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Binary cross-entropy between probabilities and targets, as PyTorch's
    /// <c>torch.nn.functional.binary_cross_entropy</c>: per element
    /// <c>l = -w * (t * max(log x, -100) + (1 - t) * max(log(1 - x), -100))</c>.
    /// </summary>
    /// <remarks>
    /// <para>Each log is clamped at -100, as PyTorch does, so that x = 0 or 1 gives a finite loss. This calls libtorch's
    /// own <c>binary_cross_entropy</c> kernel, so the gradient is PyTorch's exactly too, including its backward formula
    /// <c>w * (x - t) / max(x * (1 - x), 1e-12)</c> (which differs from the derivative of the clamped value within 1e-12
    /// of 0 and 1, and is finite there). The target also receives a gradient, <c>-w * logit(x)</c>.</para>
    /// <para>Reduction mean is the plain mean over all elements (the weights are not normalised). Both input and target
    /// must lie in [0, 1]. For logits, use <see cref="binary_cross_entropy_with_logits"/>, which is stable.</para>
    /// <code>
    /// var loss = Losses.binary_cross_entropy(torch.sigmoid(logits), labels);
    /// </code>
    /// Reference: PyTorch, <c>torch.nn.functional.binary_cross_entropy</c>.
    /// </remarks>
    /// <param name="input">Probabilities in [0, 1], any shape.</param>
    /// <param name="target">Targets in [0, 1] (labels or soft targets), the input's shape.</param>
    /// <param name="weight">Optional rescaling weight that broadcasts to the input's shape.</param>
    /// <param name="reduction">none: per-element losses (the input's shape); mean; sum.</param>
    /// <returns>A scalar, or the input's shape for reduction none.</returns>
    public static Tensor binary_cross_entropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "binary_cross_entropy";
        Check.Floating(input, name, nameof(input));
        Check.Floating(target, name, nameof(target));
        Check.SameShape(input, nameof(input), target, nameof(target), name);
        if (weight is not null)
        {
            Check.Floating(weight, name, nameof(weight));
            Check.BroadcastsTo(weight, input.shape, name, nameof(weight), "the input's shape");
        }
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (weight, nameof(weight)));
        Check.InRange(input, 0, 1, name, nameof(input));
        Check.InRange(target, 0, 1, name, nameof(target));

        using var scope = NewDisposeScope();
        var t = target.dtype == input.dtype ? target : target.to_type(input.dtype);
        var w = weight is null || weight.dtype == input.dtype ? weight : weight.to_type(input.dtype);
        var red = reduction switch
        {
            Reduction.None => nn.Reduction.None,
            Reduction.Sum => nn.Reduction.Sum,
            _ => nn.Reduction.Mean,
        };
        var result = torch.nn.functional.binary_cross_entropy(input, t, w, red);
        return result.MoveToOuterDisposeScope();
    }
}

/// <summary>Binary cross-entropy on probabilities as a module (PyTorch's <c>BCELoss</c>); see <see cref="Losses.binary_cross_entropy"/>.</summary>
public sealed class BCELoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Tensor? weight;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.binary_cross_entropy"/>.</summary>
    public BCELoss(Tensor? weight = null, Reduction reduction = Reduction.Mean) : base(nameof(BCELoss))
    {
        Reduce.NoBatchMean(reduction, "BCELoss");
        this.weight = weight;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.binary_cross_entropy(input, target, weight, reduction);
}

internal sealed class BinaryCrossEntropyDefinition : LossDefinition
{
    public override string Name => "binary_cross_entropy";
    public override string Family => "classification";
    public override string Summary => "Binary cross-entropy on probabilities, logs clamped at -100 (PyTorch's binary_cross_entropy).";
    public override string Math => "l = -w * (t * max(log x, -100) + (1 - t) * max(log(1 - x), -100))";
    public override string Reference => "PyTorch, torch.nn.functional.binary_cross_entropy";
    public override string Function => "Losses.binary_cross_entropy";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) probabilities in [0, 1]"),
        InputSpec.Grad("target", "(*) targets in [0, 1], the input's shape"),
        InputSpec.Optional("weight", "weight broadcasting to the input's shape"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.binary_cross_entropy(x.Required("input"), x.Required("target"), x.Optional("weight"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        // 0/1 targets sit on the edge of the allowed range: differentiate the input only there.
        yield return GradcheckCase.Of("(6,4) mean", g => new() { ["input"] = Sample.Uniform(g, [6, 4], 0.05, 0.95), ["target"] = Sample.Binary(g, [6, 4]) }) with { Wrt = ["input"] };
        yield return GradcheckCase.Of("(5,3) soft targets, weighted, none", g => new()
        {
            ["input"] = Sample.Uniform(g, [5, 3], 0.05, 0.95),
            ["target"] = Sample.Uniform(g, [5, 3], 0, 1),
            ["weight"] = Sample.Uniform(g, [5, 3], 0.5, 2),
        }, ("reduction", "none"));
        yield return GradcheckCase.Of("(2,3,4) weight (4) broadcast, sum", g => new()
        {
            ["input"] = Sample.Uniform(g, [2, 3, 4], 0.05, 0.95),
            ["target"] = Sample.Uniform(g, [2, 3, 4], 0, 1),
            ["weight"] = Sample.Uniform(g, [4], 0.5, 2),
        }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,3) mean", g => new() { ["input"] = Sample.Uniform(g, [1, 3], 0.1, 0.9), ["target"] = Sample.Binary(g, [1, 3]) }) with { Wrt = ["input"] };
    }
}
