using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Binary hinge loss (the SVM loss, as optax's <c>hinge_loss</c>): per element <c>max(0, 1 - input * target)</c>
    /// with labels <c>target</c> in {-1, +1}.
    /// </summary>
    /// <remarks>
    /// Labels other than -1 and +1 are an error (0/1 labels are a common mistake: map them with <c>2 * y - 1</c>).
    /// At the hinge (<c>input * target == 1</c>) the gradient is that of <c>clamp_min</c>. Optax returns the per-element
    /// losses; here the default reduction is mean.
    /// <code>
    /// var loss = Losses.hinge_loss(scores, labels);   // labels in {-1, +1}
    /// </code>
    /// </remarks>
    /// <param name="input">Scores (decision values), any shape, floating-point.</param>
    /// <param name="target">Labels -1 or +1, the shape of <paramref name="input"/>, floating or integer.</param>
    /// <param name="reduction">none: per-element losses; mean; sum.</param>
    /// <returns>A scalar, or the per-element losses for reduction none.</returns>
    public static Tensor hinge_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        const string name = "hinge_loss";
        Check.Floating(input, name, nameof(input));
        Check.SameShape(input, nameof(input), target, nameof(target), name);
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));
        Reduce.NoBatchMean(reduction, name);
        Check.SignTargets(target, name, nameof(target));

        using var scope = NewDisposeScope();
        var loss = (1.0 - input * target.to_type(input.dtype)).clamp_min(0.0);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The binary hinge loss as a module; see <see cref="Losses.hinge_loss"/>.</summary>
public sealed class HingeLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.hinge_loss"/>.</summary>
    public HingeLoss(Reduction reduction = Reduction.Mean) : base(nameof(HingeLoss))
    {
        Reduce.NoBatchMean(reduction, "HingeLoss");
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.hinge_loss(input, target, reduction);
}

internal sealed class HingeDefinition : LossDefinition
{
    public override string Name => "hinge";
    public override string Family => "classification";
    public override string Summary => "Binary hinge (SVM) loss with labels in {-1, +1}.";
    public override string Math => "l = max(0, 1 - input * target), per element";
    public override string Reference => "Cortes & Vapnik 1995, Support-Vector Networks; optax.hinge_loss";
    public override string Function => "Losses.hinge_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) scores"),
        InputSpec.Data("target", "(*) labels -1 or +1"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.hinge_loss(x.Required("input"), x.Required("target"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(8) mean", g => AwayFromHinge(g, [8]));
        yield return GradcheckCase.Of("(4,3) sum", g => AwayFromHinge(g, [4, 3]), ("reduction", "sum"));
        yield return GradcheckCase.Of("(6) none", g => AwayFromHinge(g, [6]), ("reduction", "none"));
        yield return GradcheckCase.Of("(1) mean", g => AwayFromHinge(g, [1]));
    }

    // Scores whose margins input * target lie in [-2, 0.9] or [1.1, 3]: violated and satisfied, away from the hinge at 1.
    private static Dictionary<string, Tensor> AwayFromHinge(Generator g, long[] shape)
    {
        var t = Sample.Signs(g, shape);
        var u = Sample.Uniform(g, shape, 0, 1);
        var m = torch.where(u.lt(0.6), -2 + u / 0.6 * 2.9, 1.1 + (u - 0.6) / 0.4 * 1.9);
        return new() { ["input"] = m * t, ["target"] = t };
    }
}
