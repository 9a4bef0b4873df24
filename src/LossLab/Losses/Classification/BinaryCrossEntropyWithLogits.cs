using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Binary cross-entropy on logits, as PyTorch's <c>torch.nn.functional.binary_cross_entropy_with_logits</c>:
    /// per element <c>l = -w * (pos_weight * t * log sigmoid(x) + (1 - t) * log(1 - sigmoid(x)))</c>.
    /// </summary>
    /// <remarks>
    /// <para>Computed in PyTorch's stable form <c>l = w * ((1 - t) * x - (1 + (pos_weight - 1) * t) * logsigmoid(x))</c>,
    /// using <c>log(1 - sigmoid(x)) = logsigmoid(x) - x</c>: logits of magnitude 1e4 in float32 give finite values
    /// and gradients. <paramref name="pos_weight"/> weights the positive term; shape (C) broadcasts over the last
    /// dimension (one weight per class of a multi-label problem). Reduction mean is the plain mean over all elements.
    /// Gradients flow to the target too.</para>
    /// <code>
    /// var loss = Losses.binary_cross_entropy_with_logits(logits, labels, pos_weight: torch.tensor(new[] { 3.0, 1.0, 0.5 }));
    /// </code>
    /// Reference: PyTorch, <c>torch.nn.functional.binary_cross_entropy_with_logits</c>.
    /// </remarks>
    /// <param name="input">Logits, any shape.</param>
    /// <param name="target">Targets (usually in [0, 1]), the input's shape.</param>
    /// <param name="weight">Optional rescaling weight that broadcasts to the input's shape.</param>
    /// <param name="reduction">none: per-element losses (the input's shape); mean; sum.</param>
    /// <param name="pos_weight">Optional weight of the positive term that broadcasts to the input's shape, usually (C).</param>
    /// <returns>A scalar, or the input's shape for reduction none.</returns>
    public static Tensor binary_cross_entropy_with_logits(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? pos_weight = null)
    {
        const string name = "binary_cross_entropy_with_logits";
        Check.Floating(input, name, nameof(input));
        Check.Floating(target, name, nameof(target));
        Check.SameShape(input, nameof(input), target, nameof(target), name);
        if (weight is not null)
        {
            Check.Floating(weight, name, nameof(weight));
            Check.BroadcastsTo(weight, input.shape, name, nameof(weight), "the input's shape");
        }
        if (pos_weight is not null)
        {
            Check.Floating(pos_weight, name, nameof(pos_weight));
            Check.BroadcastsTo(pos_weight, input.shape, name, nameof(pos_weight), "the input's shape");
        }
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (weight, nameof(weight)), (pos_weight, nameof(pos_weight)));
        if (Kernels.FusedBinaryCrossEntropyWithLogits.Applies(input, target, weight, pos_weight))
            return Kernels.FusedBinaryCrossEntropyWithLogits.Apply(input, target, weight, reduction, pos_weight);

        using var scope = NewDisposeScope();
        var t = target.dtype == input.dtype ? target : target.to_type(input.dtype);
        var logSig = torch.nn.functional.logsigmoid(input);
        if (pos_weight is not null)
            logSig = logSig * ((pos_weight.to_type(input.dtype) - 1) * t + 1);
        var loss = (1 - t) * input - logSig;
        if (weight is not null) loss = loss * weight.to_type(input.dtype);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>Binary cross-entropy on logits as a module (PyTorch's <c>BCEWithLogitsLoss</c>); see <see cref="Losses.binary_cross_entropy_with_logits"/>.</summary>
public sealed class BCEWithLogitsLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Tensor? weight;
    private readonly Reduction reduction;
    private readonly Tensor? posWeight;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.binary_cross_entropy_with_logits"/>.</summary>
    public BCEWithLogitsLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? pos_weight = null) : base(nameof(BCEWithLogitsLoss))
    {
        Reduce.NoBatchMean(reduction, "BCEWithLogitsLoss");
        this.weight = weight;
        this.reduction = reduction;
        posWeight = pos_weight;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.binary_cross_entropy_with_logits(input, target, weight, reduction, posWeight);
}

internal sealed class BinaryCrossEntropyWithLogitsDefinition : LossDefinition
{
    public override string Name => "binary_cross_entropy_with_logits";
    public override string Family => "classification";
    public override string Summary => "Binary cross-entropy on logits with weight and pos_weight, in stable log-sigmoid form (PyTorch's binary_cross_entropy_with_logits).";
    public override string Math => "l = w * ((1 - t) * x - (1 + (pos_weight - 1) * t) * logsigmoid(x))";
    public override string Reference => "PyTorch, torch.nn.functional.binary_cross_entropy_with_logits";
    public override string Function => "Losses.binary_cross_entropy_with_logits";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) logits"),
        InputSpec.Grad("target", "(*) targets, the input's shape"),
        InputSpec.Optional("weight", "weight broadcasting to the input's shape"),
        InputSpec.Optional("pos_weight", "(C) positive-term weight, broadcast over the last dimension"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.binary_cross_entropy_with_logits(x.Required("input"), x.Required("target"), x.Optional("weight"), p.Reduction, x.Optional("pos_weight"));

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) mean", g => new() { ["input"] = Sample.Normal(g, [6, 4], 2), ["target"] = Sample.Binary(g, [6, 4]) });
        yield return GradcheckCase.Of("(5,3) soft targets, pos_weight, none", g => new()
        {
            ["input"] = Sample.Normal(g, [5, 3], 2),
            ["target"] = Sample.Uniform(g, [5, 3], 0, 1),
            ["pos_weight"] = Sample.Uniform(g, [3], 0.5, 3),
        }, ("reduction", "none"));
        yield return GradcheckCase.Of("(2,3,4) weight and pos_weight, sum", g => new()
        {
            ["input"] = Sample.Normal(g, [2, 3, 4]),
            ["target"] = Sample.Uniform(g, [2, 3, 4], 0, 1),
            ["weight"] = Sample.Uniform(g, [3, 4], 0.5, 2),
            ["pos_weight"] = Sample.Uniform(g, [4], 0.5, 3),
        }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,3) pos_weight, mean", g => new()
        {
            ["input"] = Sample.Normal(g, [1, 3]),
            ["target"] = Sample.Binary(g, [1, 3]),
            ["pos_weight"] = Sample.Uniform(g, [3], 0.5, 3),
        });
    }
}
