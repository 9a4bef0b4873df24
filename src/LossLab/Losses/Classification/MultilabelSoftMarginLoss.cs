using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Multi-label one-versus-all logistic loss, as PyTorch's <c>torch.nn.functional.multilabel_soft_margin_loss</c>:
    /// per sample <c>l = -1/C * sum_c w[c] * (t[c] * logsigmoid(x[c]) + (1 - t[c]) * logsigmoid(-x[c]))</c>, C the
    /// size of the last dimension.
    /// </summary>
    /// <remarks>
    /// Log-sigmoid form, so that logits of magnitude 1e4 in float32 give finite values and gradients. The class
    /// dimension is the last one; reduction none returns one value per sample (the input's shape without its last
    /// dimension), mean averages those. Gradients flow to the target too.
    /// <code>
    /// var loss = Losses.multilabel_soft_margin_loss(logits, multiHot);
    /// </code>
    /// Reference: PyTorch, <c>torch.nn.functional.multilabel_soft_margin_loss</c>.
    /// </remarks>
    /// <param name="input">Logits, shape (N, C) or (C).</param>
    /// <param name="target">Labels in {0, 1} (or soft targets), broadcasting to the input's shape; floating or integer.</param>
    /// <param name="weight">Optional weight broadcasting to the input's shape, usually per class (C).</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor multilabel_soft_margin_loss(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "multilabel_soft_margin_loss";
        Check.Floating(input, name, nameof(input));
        Check.MinRank(input, name, nameof(input), 1);
        Check.NotNull(target, name, nameof(target));
        if (target.dtype == ScalarType.Bool || target.dtype.IsComplex())
            throw new ArgumentException($"{name}: 'target' must hold 0/1 labels as a floating or integer tensor, got {target.dtype}", nameof(target));
        Check.BroadcastsTo(target, input.shape, name, nameof(target), "the input's shape");
        if (weight is not null)
        {
            Check.Floating(weight, name, nameof(weight));
            Check.BroadcastsTo(weight, input.shape, name, nameof(weight), "the input's shape");
        }
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (weight, nameof(weight)));

        using var scope = NewDisposeScope();
        var t = target.dtype == input.dtype ? target : target.to_type(input.dtype);
        var loss = -(t * torch.nn.functional.logsigmoid(input) + (1 - t) * torch.nn.functional.logsigmoid(-input));
        if (weight is not null) loss = loss * weight.to_type(input.dtype);
        long c = input.shape[^1];
        loss = loss.sum(-1) / (double)c;
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The multi-label soft-margin loss as a module (PyTorch's <c>MultiLabelSoftMarginLoss</c>); see <see cref="Losses.multilabel_soft_margin_loss"/>.</summary>
public sealed class MultiLabelSoftMarginLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Tensor? weight;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.multilabel_soft_margin_loss"/>.</summary>
    public MultiLabelSoftMarginLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean) : base(nameof(MultiLabelSoftMarginLoss))
    {
        Reduce.NoBatchMean(reduction, "MultiLabelSoftMarginLoss");
        this.weight = weight;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.multilabel_soft_margin_loss(input, target, weight, reduction);
}

internal sealed class MultilabelSoftMarginLossDefinition : LossDefinition
{
    public override string Name => "multilabel_soft_margin_loss";
    public override string Family => "classification";
    public override string Summary => "Multi-label one-versus-all logistic loss, averaged over classes (PyTorch's multilabel_soft_margin_loss).";
    public override string Math => "l_i = -1/C sum_c w[c] (t_ic logsigmoid(x_ic) + (1 - t_ic) logsigmoid(-x_ic))";
    public override string Reference => "PyTorch, torch.nn.functional.multilabel_soft_margin_loss";
    public override string Function => "Losses.multilabel_soft_margin_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) logits"),
        InputSpec.Grad("target", "(N, C) labels in {0, 1}"),
        InputSpec.Optional("weight", "(C) per-class weights"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.multilabel_soft_margin_loss(x.Required("input"), x.Required("target"), x.Optional("weight"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) mean", g => new() { ["input"] = Sample.Normal(g, [6, 4], 2), ["target"] = Sample.Binary(g, [6, 4]) });
        yield return GradcheckCase.Of("(5,3) weighted none", g => new()
        {
            ["input"] = Sample.Normal(g, [5, 3], 2),
            ["target"] = Sample.Binary(g, [5, 3]),
            ["weight"] = Sample.Uniform(g, [3], 0.5, 2),
        }, ("reduction", "none"));
        yield return GradcheckCase.Of("(4,5) soft targets, sum", g => new() { ["input"] = Sample.Normal(g, [4, 5]), ["target"] = Sample.Uniform(g, [4, 5], 0, 1) }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,3) weighted mean", g => new()
        {
            ["input"] = Sample.Normal(g, [1, 3]),
            ["target"] = Sample.Binary(g, [1, 3]),
            ["weight"] = Sample.Uniform(g, [3], 0.5, 2),
        });
    }
}
