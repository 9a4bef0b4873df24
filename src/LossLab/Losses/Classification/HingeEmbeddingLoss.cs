using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Hinge embedding loss, as PyTorch's <c>torch.nn.functional.hinge_embedding_loss</c>: per element
    /// <c>l = x</c> where <c>t = 1</c> and <c>l = max(0, margin - x)</c> where <c>t = -1</c> (x is usually a distance).
    /// </summary>
    /// <remarks>
    /// Exactly PyTorch's formula <c>where(t != 1, max(0, margin - x), 0) + where(t != -1, x, 0)</c>: a target other than
    /// -1 and +1 receives both terms. At <c>x = margin</c> with t = -1 the gradient is -1 (the clamp's convention, as
    /// PyTorch). Reduction mean is the mean over all elements.
    /// <code>
    /// var loss = Losses.hinge_embedding_loss(distances, similarSigns, margin: 2.0);
    /// </code>
    /// Reference: PyTorch, <c>torch.nn.functional.hinge_embedding_loss</c>.
    /// </remarks>
    /// <param name="input">Values (typically distances), any shape.</param>
    /// <param name="target">Labels -1 or +1 (floating or integer), broadcasting to the input's shape.</param>
    /// <param name="margin">The margin.</param>
    /// <param name="reduction">none: per-element losses (the input's shape); mean; sum.</param>
    /// <returns>A scalar, or the input's shape for reduction none.</returns>
    public static Tensor hinge_embedding_loss(Tensor input, Tensor target, double margin = 1.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "hinge_embedding_loss";
        Check.Floating(input, name, nameof(input));
        Check.NotNull(target, name, nameof(target));
        if (target.dtype == ScalarType.Bool || target.dtype.IsComplex())
            throw new ArgumentException($"{name}: 'target' must hold -1/+1 labels as a floating or integer tensor, got {target.dtype}", nameof(target));
        Check.BroadcastsTo(target, input.shape, name, nameof(target), "the input's shape");
        Check.Param(double.IsFinite(margin), name, nameof(margin), "a finite number", margin);
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));

        using var scope = NewDisposeScope();
        var zeros = torch.zeros_like(input);
        var marginTerm = torch.where(target.ne(1), (margin - input).clamp_min(0), zeros);
        var selfTerm = torch.where(target.ne(-1), input, zeros);
        var loss = marginTerm + selfTerm;
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The hinge embedding loss as a module (PyTorch's <c>HingeEmbeddingLoss</c>); see <see cref="Losses.hinge_embedding_loss"/>.</summary>
public sealed class HingeEmbeddingLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double margin;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.hinge_embedding_loss"/>.</summary>
    public HingeEmbeddingLoss(double margin = 1.0, Reduction reduction = Reduction.Mean) : base(nameof(HingeEmbeddingLoss))
    {
        Check.Param(double.IsFinite(margin), "HingeEmbeddingLoss", nameof(margin), "a finite number", margin);
        Reduce.NoBatchMean(reduction, "HingeEmbeddingLoss");
        this.margin = margin;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.hinge_embedding_loss(input, target, margin, reduction);
}

internal sealed class HingeEmbeddingLossDefinition : LossDefinition
{
    public override string Name => "hinge_embedding_loss";
    public override string Family => "classification";
    public override string Summary => "Hinge embedding loss: x for similar pairs (t = 1), max(0, margin - x) for dissimilar ones (t = -1) (PyTorch's).";
    public override string Math => "l = where(t != 1, max(0, margin - x), 0) + where(t != -1, x, 0)";
    public override string Reference => "PyTorch, torch.nn.functional.hinge_embedding_loss";
    public override string Function => "Losses.hinge_embedding_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("margin", 1.0, "the margin for dissimilar pairs"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) values, usually distances"),
        InputSpec.Data("target", "(*) labels -1 / +1"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.hinge_embedding_loss(x.Required("input"), x.Required("target"), p.Float("margin"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) mean", g => new() { ["input"] = Sample.Uniform(g, [6, 4], 0, 2), ["target"] = Sample.Signs(g, [6, 4]) });
        yield return GradcheckCase.Of("(5,3) margin=2 none", g => new() { ["input"] = Sample.Uniform(g, [5, 3], 0, 3), ["target"] = Sample.Signs(g, [5, 3]) }, ("margin", "2"), ("reduction", "none"));
        yield return GradcheckCase.Of("(2,3,4) sum", g => new() { ["input"] = Sample.Normal(g, [2, 3, 4]), ["target"] = Sample.Signs(g, [2, 3, 4]) }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,3) margin=0.5", g => new() { ["input"] = Sample.Uniform(g, [1, 3], 0, 1), ["target"] = Sample.Signs(g, [1, 3]) }, ("margin", "0.5"));
    }
}
