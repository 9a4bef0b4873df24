using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Poly-1 cross-entropy (PolyLoss, Leng et al. 2022): per sample <c>-log p_t + epsilon * (1 - p_t)</c>, where
    /// <c>p_t</c> is the softmax probability of the target class.
    /// </summary>
    /// <remarks>
    /// <para>With class-probability targets <c>q</c> (shape (N, C)), as optax's <c>poly_loss_cross_entropy</c>:
    /// <c>-sum_c q_c log p_c + epsilon * (1 - sum_c q_c p_c)</c>.</para>
    /// <para>Computed in log space: <c>log p</c> from <c>log_softmax</c> and <c>1 - p = -expm1(log p)</c>, so logits of
    /// magnitude 1e4 in float32 give finite values and gradients, and <c>1 - p_t</c> keeps its precision when p_t is near 1.
    /// epsilon = 0 is cross-entropy; the paper suggests 2 for ImageNet classification and -1 for detection.</para>
    /// <code>
    /// var loss = Losses.poly1_cross_entropy(logits, labels, epsilon: 2.0);
    /// </code>
    /// </remarks>
    /// <param name="input">Logits, shape (N, C).</param>
    /// <param name="target">Class indices, shape (N), int64; or class probabilities, shape (N, C), floating-point.</param>
    /// <param name="epsilon">The coefficient of the first polynomial term; finite.</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor poly1_cross_entropy(Tensor input, Tensor target, double epsilon = 1.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "poly1_cross_entropy";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        Check.NotNull(target, name, nameof(target));
        bool probabilities = target.dtype.IsFloatingPoint();
        if (probabilities)
        {
            Check.SameShape(input, nameof(input), target, nameof(target), name);
        }
        else
        {
            Check.Rank(target, name, nameof(target), 1);
            Check.SameBatch(input, nameof(input), target, nameof(target), name);
        }
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));
        Check.Param(double.IsFinite(epsilon), name, nameof(epsilon), "a finite number", epsilon);
        Reduce.NoBatchMean(reduction, name);
        if (probabilities) Check.InRange(target, 0, 1, name, nameof(target));
        else Check.ClassIndices(target, input.shape[1], name, nameof(target));
        if (Kernels.FusedPoly1CrossEntropy.Applies(input, target))
            return Kernels.FusedPoly1CrossEntropy.Apply(input, target, epsilon, reduction);

        using var scope = NewDisposeScope();
        var logp = torch.nn.functional.log_softmax(input, 1);
        Tensor loss;
        if (probabilities)
        {
            var q = target.to_type(input.dtype);
            var ce = -(q * logp).sum(1);
            // 1 - sum q p = sum q (1 - p) + (1 - sum q): exact for any q, precise when q sums to 1.
            var oneMinusPt = (q * -torch.special.expm1(logp)).sum(1) + (1.0 - q.sum(1));
            loss = ce + epsilon * oneMinusPt;
        }
        else
        {
            var logpt = logp.gather(1, target.unsqueeze(1)).squeeze(1);
            loss = -logpt + epsilon * -torch.special.expm1(logpt);
        }
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>Poly-1 cross-entropy as a module; see <see cref="Losses.poly1_cross_entropy"/>.</summary>
public sealed class Poly1CrossEntropyLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double epsilon;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.poly1_cross_entropy"/>.</summary>
    public Poly1CrossEntropyLoss(double epsilon = 1.0, Reduction reduction = Reduction.Mean) : base(nameof(Poly1CrossEntropyLoss))
    {
        Check.Param(double.IsFinite(epsilon), "Poly1CrossEntropyLoss", nameof(epsilon), "a finite number", epsilon);
        Reduce.NoBatchMean(reduction, "Poly1CrossEntropyLoss");
        this.epsilon = epsilon;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.poly1_cross_entropy(input, target, epsilon, reduction);
}

internal sealed class Poly1CrossEntropyDefinition : LossDefinition
{
    public override string Name => "poly1_cross_entropy";
    public override string Family => "classification";
    public override string Summary => "Poly-1 loss: cross-entropy plus epsilon times (1 - p_t).";
    public override string Math => "l_i = -log p_{i,y_i} + epsilon * (1 - p_{i,y_i}),  p = softmax(input)";
    public override string Reference => "Leng et al. 2022, PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions; optax.poly_loss_cross_entropy";
    public override string Function => "Losses.poly1_cross_entropy";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("epsilon", 1.0, "coefficient of the (1 - p_t) term; 0 gives cross-entropy"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) logits"),
        InputSpec.Data("target", "(N) class indices, or (N, C) class probabilities"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.poly1_cross_entropy(x.Required("input"), x.Required("target"), p.Float("epsilon"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) epsilon=1 mean", g => new() { ["input"] = Sample.Normal(g, [6, 4], 2), ["target"] = Sample.Labels(g, 6, 4) });
        yield return GradcheckCase.Of("(5,3) epsilon=2 sum", g => new() { ["input"] = Sample.Normal(g, [5, 3], 2), ["target"] = Sample.Labels(g, 5, 3) }, ("epsilon", "2"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(7,5) epsilon=-1 none", g => new() { ["input"] = Sample.Normal(g, [7, 5]), ["target"] = Sample.Labels(g, 7, 5) }, ("epsilon", "-1"), ("reduction", "none"));
        yield return GradcheckCase.Of("(4,3) probabilities epsilon=1.5", g => new() { ["input"] = Sample.Normal(g, [4, 3]), ["target"] = Sample.Simplex(g, 4, 3) }, ("epsilon", "1.5"));
        yield return GradcheckCase.Of("(1,6) epsilon=1", g => new() { ["input"] = Sample.Normal(g, [1, 6]), ["target"] = Sample.Labels(g, 1, 6) });
    }
}
