using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Squared binary hinge loss, as Keras's <c>SquaredHinge</c>: per element <c>max(0, 1 - input * target)^2</c> with
    /// labels in {-1, +1}; labels given as {0, 1} are mapped to {-1, +1} first, as Keras does.
    /// </summary>
    /// <remarks>
    /// <para><b>When to use it.</b> A margin loss for binary (or multi-label, one score per label) classification, like
    /// <see cref="hinge_loss"/>, but differentiable everywhere (its gradient <c>-2 max(0, 1 - s t) t</c> is continuous at
    /// the hinge) and penalising large violations quadratically: the L2-SVM loss.</para>
    /// <para><b>Labels.</b> When every label is 0 or 1 they are read as {0, 1} and mapped by <c>2 t - 1</c> (Keras's rule);
    /// otherwise every label must be -1 or +1. (Keras passes other values through unchanged; here they are an error.)</para>
    /// <para><b>Reduction.</b> none returns the per-element losses (Keras returns their mean over the last axis); mean is the
    /// mean over all elements (Keras's default); sum adds the elements.</para>
    /// <code>
    /// var loss = Losses.squared_hinge_loss(scores, labels);   // labels in {-1, +1} or {0, 1}
    /// </code>
    /// Reference: Keras, <c>keras.losses.SquaredHinge</c>; Rennie and Srebro 2005 (the squared hinge / L2-SVM).
    /// </remarks>
    /// <param name="input">Scores (decision values), any shape, floating-point.</param>
    /// <param name="target">Labels in {-1, +1} or {0, 1}, the input's shape, floating or integer.</param>
    /// <param name="reduction">none: per-element losses; mean; sum.</param>
    /// <returns>A scalar, or the input's shape for reduction none.</returns>
    public static Tensor squared_hinge_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        const string name = "squared_hinge_loss";
        Check.Floating(input, name, nameof(input));
        Check.SameShape(input, nameof(input), target, nameof(target), name);
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));
        Reduce.NoBatchMean(reduction, name);
        bool zeroOne = IsZeroOne(target);
        if (!zeroOne) Check.SignTargets(target, name, nameof(target));

        using var scope = NewDisposeScope();
        var t = target.to_type(input.dtype);
        if (zeroOne) t = 2.0 * t - 1.0;
        var loss = hinge_loss(input, t, Reduction.None).square();
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }

    /// <summary>Whether every value of a real tensor is 0 or 1 (Keras's test for {0, 1} hinge labels).</summary>
    private static bool IsZeroOne(Tensor target)
    {
        if (target.dtype == ScalarType.Bool || target.dtype.IsComplex() || target.numel() == 0) return false;
        using var scope = NewDisposeScope();
        var t = target.detach();
        return t.eq(0).logical_or(t.eq(1)).all().item<bool>();
    }
}

/// <summary>The squared hinge loss as a module (Keras's <c>SquaredHinge</c>); see <see cref="Losses.squared_hinge_loss"/>.</summary>
public sealed class SquaredHingeLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.squared_hinge_loss"/>.</summary>
    public SquaredHingeLoss(Reduction reduction = Reduction.Mean) : base(nameof(SquaredHingeLoss))
    {
        Reduce.NoBatchMean(reduction, nameof(SquaredHingeLoss));
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.squared_hinge_loss(input, target, reduction);
}

internal sealed class SquaredHingeDefinition : LossDefinition
{
    public override string Name => "squared_hinge";
    public override string Family => "classification";
    public override string Summary => "Squared binary hinge (L2-SVM) loss; labels in {-1, +1} or {0, 1} (Keras's SquaredHinge).";
    public override string Math => "l = max(0, 1 - input * target)^2, per element ({0, 1} labels mapped to 2t - 1)";
    public override string Reference => "Keras, keras.losses.SquaredHinge; Rennie and Srebro 2005";
    public override string Function => "Losses.squared_hinge_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) scores"),
        InputSpec.Data("target", "(*) labels -1/+1 or 0/1"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.squared_hinge_loss(x.Required("input"), x.Required("target"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(8) signs mean", g => new() { ["input"] = Sample.Normal(g, [8], 1.5), ["target"] = Sample.Signs(g, [8]) });
        yield return GradcheckCase.Of("(4,3) 0/1 labels sum", g => new() { ["input"] = Sample.Normal(g, [4, 3], 1.5), ["target"] = Sample.Binary(g, [4, 3]) }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(6) none", g => new() { ["input"] = Sample.Normal(g, [6], 1.5), ["target"] = Sample.Signs(g, [6]) }, ("reduction", "none"));
        yield return GradcheckCase.Of("(1) mean", g => new() { ["input"] = Sample.Normal(g, [1]), ["target"] = Sample.Signs(g, [1]) });
    }
}
