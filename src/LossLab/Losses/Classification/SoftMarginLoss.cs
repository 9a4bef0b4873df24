using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Two-class logistic loss, as PyTorch's <c>torch.nn.functional.soft_margin_loss</c>: per element
    /// <c>l = log(1 + exp(-t * x))</c>, t in {-1, +1}.
    /// </summary>
    /// <remarks>
    /// Computed as <c>-logsigmoid(t * x)</c>, which equals PyTorch's <c>log1p(exp(-t * x))</c> wherever that is finite
    /// and stays finite (value and gradient) where PyTorch's overflows (<c>-t * x</c> above about 88 in float32, 709 in
    /// float64: PyTorch then gives an infinite value and a NaN gradient). Reduction mean is the mean over all elements.
    /// <code>
    /// var loss = Losses.soft_margin_loss(scores, signs);
    /// </code>
    /// Reference: PyTorch, <c>torch.nn.functional.soft_margin_loss</c>.
    /// </remarks>
    /// <param name="input">Scores, any shape.</param>
    /// <param name="target">Labels -1 or +1 (floating or integer), broadcasting to the input's shape.</param>
    /// <param name="reduction">none: per-element losses (the input's shape); mean; sum.</param>
    /// <returns>A scalar, or the input's shape for reduction none.</returns>
    public static Tensor soft_margin_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        const string name = "soft_margin_loss";
        Check.Floating(input, name, nameof(input));
        Check.NotNull(target, name, nameof(target));
        if (target.dtype == ScalarType.Bool || target.dtype.IsComplex())
            throw new ArgumentException($"{name}: 'target' must hold -1/+1 labels as a floating or integer tensor, got {target.dtype}", nameof(target));
        Check.BroadcastsTo(target, input.shape, name, nameof(target), "the input's shape");
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));

        using var scope = NewDisposeScope();
        var t = target.dtype == input.dtype ? target : target.to_type(input.dtype);
        var loss = -torch.nn.functional.logsigmoid(input * t);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The soft-margin loss as a module (PyTorch's <c>SoftMarginLoss</c>); see <see cref="Losses.soft_margin_loss"/>.</summary>
public sealed class SoftMarginLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.soft_margin_loss"/>.</summary>
    public SoftMarginLoss(Reduction reduction = Reduction.Mean) : base(nameof(SoftMarginLoss))
    {
        Reduce.NoBatchMean(reduction, "SoftMarginLoss");
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.soft_margin_loss(input, target, reduction);
}

internal sealed class SoftMarginLossDefinition : LossDefinition
{
    public override string Name => "soft_margin_loss";
    public override string Family => "classification";
    public override string Summary => "Two-class logistic loss log(1 + exp(-t x)) with t in {-1, +1} (PyTorch's soft_margin_loss), stable form.";
    public override string Math => "l = log(1 + exp(-t * x)) = -logsigmoid(t * x)";
    public override string Reference => "PyTorch, torch.nn.functional.soft_margin_loss";
    public override string Function => "Losses.soft_margin_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) scores"),
        InputSpec.Data("target", "(*) labels -1 / +1"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.soft_margin_loss(x.Required("input"), x.Required("target"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) mean", g => new() { ["input"] = Sample.Normal(g, [6, 4], 2), ["target"] = Sample.Signs(g, [6, 4]) });
        yield return GradcheckCase.Of("(5,3) none", g => new() { ["input"] = Sample.Normal(g, [5, 3], 3), ["target"] = Sample.Signs(g, [5, 3]) }, ("reduction", "none"));
        yield return GradcheckCase.Of("(2,3,4) sum", g => new() { ["input"] = Sample.Normal(g, [2, 3, 4]), ["target"] = Sample.Signs(g, [2, 3, 4]) }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,3) mean", g => new() { ["input"] = Sample.Normal(g, [1, 3]), ["target"] = Sample.Signs(g, [1, 3]) });
    }
}
