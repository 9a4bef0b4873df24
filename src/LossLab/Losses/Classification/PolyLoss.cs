using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// PolyLoss (Leng et al. 2022) with N polynomial terms: per sample
    /// <c>-log p_t + sum_{j=1..N} epsilon_j * (1 - p_t)^j</c>, where <c>p_t</c> is the softmax probability of the target.
    /// </summary>
    /// <remarks>
    /// <para><b>Why.</b> Cross-entropy is <c>sum_j (1 - p_t)^j / j</c>; PolyLoss perturbs the leading coefficients of that
    /// expansion by <c>epsilon_j</c>. One coefficient (Poly-1, <see cref="poly1_cross_entropy"/>) is the paper's
    /// recommendation: epsilon = 2 for ImageNet classification, -1 for detection. More terms (Poly-N) let the leading
    /// terms be tuned separately; the loss stays non-negative when every epsilon_j &gt;= -1/j (each coefficient of the
    /// expansion is then non-negative).</para>
    /// <para><b>Targets.</b> Class indices, or class probabilities q of the input's shape (then, as the paper's code,
    /// <c>CE = -sum_c q_c log p_c</c> and <c>1 - p_t = sum_c q_c (1 - p_c)</c>, plus <c>1 - sum_c q_c</c> so that it is
    /// <c>1 - sum_c q_c p_c</c> for any q). With <paramref name="label_smoothing"/> s the target becomes
    /// <c>(1 - s) * onehot + s / C</c> in both terms, as the paper's label-smoothing variant.</para>
    /// <para>Computed in log space: <c>log p</c> from <c>log_softmax</c> and <c>1 - p = -expm1(log p)</c>, so logits of
    /// magnitude 1e4 in float32 give finite values and gradients.</para>
    /// <code>
    /// var loss = Losses.poly_loss(logits, labels, epsilons: new[] { 2.0, 0.5 });   // Poly-2
    /// </code>
    /// Reference: Leng, Xu, et al. 2022, "PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions".
    /// </remarks>
    /// <param name="input">Logits, shape (N, C).</param>
    /// <param name="target">Class indices, shape (N), int64; or class probabilities, shape (N, C), floating-point.</param>
    /// <param name="epsilons">epsilon_1 .. epsilon_N, finite, at least one (null: the single coefficient 1, Poly-1).</param>
    /// <param name="label_smoothing">Smoothing in [0, 1] of class-index targets: <c>(1 - s) * onehot + s / C</c>.</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor poly_loss(Tensor input, Tensor target, IReadOnlyList<double>? epsilons = null, double label_smoothing = 0.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "poly_loss";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        var eps = epsilons ?? new[] { 1.0 };
        Check.Param(eps.Count > 0, name, nameof(epsilons), "at least one coefficient", "none");
        foreach (var e in eps) Check.Param(double.IsFinite(e), name, nameof(epsilons), "finite numbers", e);
        Check.Param(label_smoothing >= 0 && label_smoothing <= 1, name, nameof(label_smoothing), "in [0, 1]", label_smoothing);
        Reduce.NoBatchMean(reduction, name);
        bool probabilities = Check.IndicesOrProbabilities(input, target, name, nameof(target));

        using var scope = NewDisposeScope();
        long c = input.shape[1];
        var logp = torch.nn.functional.log_softmax(input, 1);
        var y = probabilities ? target : target.to_type(ScalarType.Int64);
        Tensor ce, oneMinusPt;
        if (!probabilities && label_smoothing == 0)
        {
            var logpt = logp.gather(1, y.unsqueeze(1)).squeeze(1);
            ce = -logpt;
            oneMinusPt = -torch.special.expm1(logpt);
        }
        else
        {
            var q = probabilities ? target.to_type(input.dtype) : torch.nn.functional.one_hot(y, c).to_type(input.dtype);
            if (label_smoothing > 0) q = q * (1 - label_smoothing) + label_smoothing / c;
            ce = -(q * logp).sum(1);
            // 1 - sum q p = sum q (1 - p) + (1 - sum q): exact for any q, precise when q sums to 1.
            oneMinusPt = (q * -torch.special.expm1(logp)).sum(1) + (1.0 - q.sum(1));
        }
        // sum_j eps_j x^j by Horner's rule: x (eps_1 + x (eps_2 + ... )).
        Tensor poly = torch.full_like(oneMinusPt, eps[^1]);
        for (int j = eps.Count - 2; j >= 0; j--) poly = poly * oneMinusPt + eps[j];
        var loss = ce + poly * oneMinusPt;
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>PolyLoss (Poly-N) as a module; see <see cref="Losses.poly_loss"/>.</summary>
public sealed class PolyLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double[] epsilons;
    private readonly double labelSmoothing;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.poly_loss"/>.</summary>
    public PolyLoss(IReadOnlyList<double>? epsilons = null, double label_smoothing = 0.0, Reduction reduction = Reduction.Mean) : base(nameof(PolyLoss))
    {
        this.epsilons = (epsilons ?? new[] { 1.0 }).ToArray();
        Check.Param(this.epsilons.Length > 0 && this.epsilons.All(double.IsFinite), nameof(PolyLoss), nameof(epsilons), "at least one finite coefficient", string.Join(", ", this.epsilons));
        Check.Param(label_smoothing >= 0 && label_smoothing <= 1, nameof(PolyLoss), nameof(label_smoothing), "in [0, 1]", label_smoothing);
        Reduce.NoBatchMean(reduction, nameof(PolyLoss));
        labelSmoothing = label_smoothing;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.poly_loss(input, target, epsilons, labelSmoothing, reduction);
}

internal sealed class PolyLossDefinition : LossDefinition
{
    public override string Name => "poly_loss";
    public override string Family => "classification";
    public override string Summary => "PolyLoss with N terms: cross-entropy plus sum_j epsilon_j (1 - p_t)^j.";
    public override string Math => "l_i = -log p_t + sum_{j=1..N} epsilon_j (1 - p_t)^j,  p = softmax(input); probabilities q: CE = -sum q log p, 1 - p_t = 1 - sum q p";
    public override string Reference => "Leng et al. 2022, PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions";
    public override string Function => "Losses.poly_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.FloatList("epsilons", "1", "epsilon_1;...;epsilon_N, the coefficients of (1 - p_t)^j"),
        ParamSpec.Float("label_smoothing", 0.0, "class-index target becomes (1 - s) onehot + s / C", min: 0, max: 1),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) logits"),
        InputSpec.Data("target", "(N) class indices, or (N, C) class probabilities"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.poly_loss(x.Required("input"), x.Required("target"), p.FloatList("epsilons"), p.Float("label_smoothing"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) epsilons=1 mean", g => new() { ["input"] = Sample.Normal(g, [6, 4], 2), ["target"] = Sample.Labels(g, 6, 4) });
        yield return GradcheckCase.Of("(5,3) epsilons=2;-0.5;0.3 sum", g => new() { ["input"] = Sample.Normal(g, [5, 3], 2), ["target"] = Sample.Labels(g, 5, 3) },
            ("epsilons", "2;-0.5;0.3"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(4,5) smoothing 0.1 epsilons=1;1 none", g => new() { ["input"] = Sample.Normal(g, [4, 5]), ["target"] = Sample.Labels(g, 4, 5) },
            ("epsilons", "1;1"), ("label_smoothing", "0.1"), ("reduction", "none"));
        yield return GradcheckCase.Of("(4,3) probabilities epsilons=1.5;0.5", g => new() { ["input"] = Sample.Normal(g, [4, 3]), ["target"] = Sample.Simplex(g, 4, 3) },
            ("epsilons", "1.5;0.5"));
        yield return GradcheckCase.Of("(1,6) epsilons=-1", g => new() { ["input"] = Sample.Normal(g, [1, 6]), ["target"] = Sample.Labels(g, 1, 6) }, ("epsilons", "-1"));
    }
}
