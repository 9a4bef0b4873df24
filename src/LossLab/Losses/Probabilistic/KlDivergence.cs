using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>Which Kullback-Leibler divergence <see cref="Losses.kl_divergence_loss"/> computes.</summary>
public enum KlDirection
{
    /// <summary><c>KL(target || input)</c>: the target's expectation of the log-ratio (mean-seeking; distillation, <c>kl_div</c>).</summary>
    Forward,
    /// <summary><c>KL(input || target)</c>: the model's expectation (mode-seeking; variational inference, policy regularisation).</summary>
    Reverse,
}

public static partial class Losses
{
    /// <summary>
    /// Kullback-Leibler divergence between two categorical distributions, both given as logits or both as probabilities,
    /// computed in log space: <c>KL(target || input) = sum_c p_c (log p_c - log q_c)</c> (forward) or
    /// <c>KL(input || target)</c> (reverse), with q the input's distribution and p the target's, per distribution.
    /// </summary>
    /// <remarks>
    /// <para>Unlike <see cref="kl_div"/> (PyTorch's, which takes log-probabilities and a target and reduces over elements),
    /// this takes both distributions in the same form, normalises them itself, sums over the class dimension and
    /// reduces over distributions; its mean is the mean KL per distribution. Forward KL is what knowledge distillation
    /// minimises (it covers every mode of the target); reverse KL is mode-seeking (variational inference, trust regions,
    /// KL penalties towards a reference policy).</para>
    /// <para>Shapes: (N, C), (N, C, d1, ..., dk) with the classes in dimension 1, or an unbatched (C). Logits become
    /// log-probabilities by <c>log_softmax</c>; probabilities are normalised along the class dimension (they need not sum to
    /// 1, but must be &gt;= 0 with a positive total). Terms where the first distribution has probability 0 are 0 (with a
    /// zero gradient); where it has mass that the second lacks, the divergence is +inf. Logits of magnitude 1e4 in
    /// float32 give finite values and gradients; logits of -inf mask classes out. Gradients flow to both tensors.</para>
    /// <code>
    /// // distillation: the student's logits against the teacher's, softened by a temperature T
    /// var loss = Losses.kl_divergence_loss(student / T, teacher / T, reduction: Reduction.BatchMean) * (T * T);
    /// </code>
    /// Reference: Kullback &amp; Leibler 1951, On Information and Sufficiency; Hinton et al. 2015, Distilling the Knowledge
    /// in a Neural Network.
    /// </remarks>
    /// <param name="input">The model's distribution q: (N, C), (N, C, d1, ...) or (C), logits or probabilities.</param>
    /// <param name="target">The reference distribution p, the shape and dtype of <paramref name="input"/>, in the same form.</param>
    /// <param name="input_type">Whether both tensors hold logits or probabilities.</param>
    /// <param name="direction">Forward, <c>KL(target || input)</c>, or reverse, <c>KL(input || target)</c>.</param>
    /// <param name="reduction">none: one value per distribution, shape (N, d1, ...) (a scalar for (C)); mean over
    /// distributions; sum; batchmean: the sum divided by N (equal to mean for (N, C)).</param>
    /// <returns>A scalar, or the per-distribution divergences for reduction none.</returns>
    public static Tensor kl_divergence_loss(Tensor input, Tensor target, CategoricalInput input_type = CategoricalInput.Logits, KlDirection direction = KlDirection.Forward, Reduction reduction = Reduction.Mean)
    {
        const string name = "kl_divergence_loss";
        Categorical.CheckPair(input, target, input_type, name);

        using var scope = NewDisposeScope();
        var logq = Categorical.LogProbs(input, input_type);
        var logp = Categorical.LogProbs(target, input_type);
        long dim = Categorical.ClassDim(input);
        var kl = direction == KlDirection.Forward ? Categorical.Kl(logp, logq, dim) : Categorical.Kl(logq, logp, dim);
        return Categorical.Reduce(kl, input, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The KL divergence between two categorical distributions as a module; see <see cref="Losses.kl_divergence_loss"/>.</summary>
public sealed class KlDivergenceLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly CategoricalInput inputType;
    private readonly KlDirection direction;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.kl_divergence_loss"/>.</summary>
    public KlDivergenceLoss(CategoricalInput input_type = CategoricalInput.Logits, KlDirection direction = KlDirection.Forward, Reduction reduction = Reduction.Mean) : base(nameof(KlDivergenceLoss))
    {
        inputType = input_type;
        this.direction = direction;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.kl_divergence_loss(input, target, inputType, direction, reduction);
}

internal sealed class KlDivergenceDefinition : LossDefinition
{
    public override string Name => "kl_divergence";
    public override string Family => "probabilistic";
    public override string Summary => "KL divergence between two categorical distributions given as logits or probabilities, forward or reverse, in log space.";
    public override string Math => "q = dist(input), p = dist(target);  forward: sum_c p_c (log p_c - log q_c);  reverse: sum_c q_c (log q_c - log p_c);  per distribution";
    public override string Reference => "Kullback & Leibler 1951, On Information and Sufficiency; Hinton et al. 2015, Distilling the Knowledge in a Neural Network";
    public override string Function => "Losses.kl_divergence_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("input_type", "logits", "both tensors hold logits or probabilities", Categorical.Names),
        ParamSpec.Choice("direction", "forward", "forward: KL(target || input); reverse: KL(input || target)", "forward", "reverse"),
        ParamSpec.Reduction(batchMean: true),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C), (N, C, d1, ...) or (C): the model's logits or probabilities"),
        InputSpec.Grad("target", "the reference distribution, the shape of input, in the same form"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.kl_divergence_loss(x.Required("input"), x.Required("target"), Categorical.Parse(p.Choice("input_type")),
            p.Choice("direction") == "reverse" ? KlDirection.Reverse : KlDirection.Forward, p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) logits forward mean", g => new() { ["input"] = Sample.Normal(g, [6, 4], 2), ["target"] = Sample.Normal(g, [6, 4], 2) });
        yield return GradcheckCase.Of("(5,3) probs reverse batchmean", g => new() { ["input"] = Sample.Simplex(g, 5, 3), ["target"] = Sample.Simplex(g, 5, 3) },
            ("input_type", "probs"), ("direction", "reverse"), ("reduction", "batchmean"));
        yield return GradcheckCase.Of("(3,4,2) logits reverse none", g => new() { ["input"] = Sample.Normal(g, [3, 4, 2]), ["target"] = Sample.Normal(g, [3, 4, 2]) },
            ("direction", "reverse"), ("reduction", "none"));
        yield return GradcheckCase.Of("(4,5) probs forward sum", g => new() { ["input"] = Sample.Simplex(g, 4, 5), ["target"] = Sample.Simplex(g, 4, 5) },
            ("input_type", "probs"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,6) logits batchmean", g => new() { ["input"] = Sample.Normal(g, [1, 6]), ["target"] = Sample.Normal(g, [1, 6]) }, ("reduction", "batchmean"));
    }
}
