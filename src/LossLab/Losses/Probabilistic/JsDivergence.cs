using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Jensen-Shannon divergence between two categorical distributions, both given as logits or both as probabilities:
    /// <c>JS(p, q) = 0.5 KL(p || m) + 0.5 KL(q || m)</c> with <c>m = (p + q) / 2</c>, in nats (base e), per distribution.
    /// </summary>
    /// <remarks>
    /// <para>Symmetric, always finite and bounded: <c>0 &lt;= JS &lt;= log 2</c>, with <c>log 2</c> exactly when the supports
    /// are disjoint. Use it where the KL divergence's unboundedness hurts: consistency and co-training losses between
    /// two predictions (e.g. AugMix's Jensen-Shannon consistency), comparing predictions with disjoint support, or as a
    /// symmetric distillation loss.</para>
    /// <para>Stability: everything is in log space, <c>log m = logaddexp(log p, log q) - log 2</c>, and terms of zero
    /// probability are 0 with a zero gradient, so zeros in probabilities, logits of -inf and logits of magnitude 1e4
    /// in float32 give finite values and gradients. Shapes and input forms are those of
    /// <see cref="kl_divergence_loss"/>; gradients flow to both tensors.</para>
    /// <code>
    /// var loss = Losses.js_divergence_loss(logitsClean, logitsAugmented);
    /// </code>
    /// Reference: Lin 1991, Divergence Measures Based on the Shannon Entropy; Hendrycks et al. 2020, AugMix.
    /// </remarks>
    /// <param name="input">One distribution: (N, C), (N, C, d1, ...) or (C), logits or probabilities.</param>
    /// <param name="target">The other, the shape and dtype of <paramref name="input"/>, in the same form.</param>
    /// <param name="input_type">Whether both tensors hold logits or probabilities.</param>
    /// <param name="reduction">none: one value per distribution; mean over distributions; sum; batchmean: the sum divided by N.</param>
    /// <returns>A scalar, or the per-distribution divergences for reduction none.</returns>
    public static Tensor js_divergence_loss(Tensor input, Tensor target, CategoricalInput input_type = CategoricalInput.Logits, Reduction reduction = Reduction.Mean)
    {
        const string name = "js_divergence_loss";
        Categorical.CheckPair(input, target, input_type, name);

        using var scope = NewDisposeScope();
        long dim = Categorical.ClassDim(input);
        var logp = Categorical.LogProbs(input, input_type);
        var logq = Categorical.LogProbs(target, input_type);
        // log m on the union of the supports; elsewhere a finite placeholder, so that no -inf - -inf reaches autograd.
        var union = Categorical.Support(logp).logical_or(Categorical.Support(logq));
        var zero = torch.zeros_like(logp);
        var logm = torch.logaddexp(torch.where(union, logp, zero), torch.where(union, logq, zero)) - System.Math.Log(2.0);
        var js = 0.5 * (Categorical.Kl(logp, logm, dim) + Categorical.Kl(logq, logm, dim));
        return Categorical.Reduce(js, input, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The Jensen-Shannon divergence as a module; see <see cref="Losses.js_divergence_loss"/>.</summary>
public sealed class JsDivergenceLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly CategoricalInput inputType;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.js_divergence_loss"/>.</summary>
    public JsDivergenceLoss(CategoricalInput input_type = CategoricalInput.Logits, Reduction reduction = Reduction.Mean) : base(nameof(JsDivergenceLoss))
    {
        inputType = input_type;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.js_divergence_loss(input, target, inputType, reduction);
}

internal sealed class JsDivergenceDefinition : LossDefinition
{
    public override string Name => "js_divergence";
    public override string Family => "probabilistic";
    public override string Summary => "Jensen-Shannon divergence between two categorical distributions (symmetric, bounded by log 2, base e).";
    public override string Math => "p = dist(input), q = dist(target), m = (p + q)/2;  l = 0.5 sum p (log p - log m) + 0.5 sum q (log q - log m), log m = logaddexp(log p, log q) - log 2";
    public override string Reference => "Lin 1991, Divergence Measures Based on the Shannon Entropy";
    public override string Function => "Losses.js_divergence_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("input_type", "logits", "both tensors hold logits or probabilities", Categorical.Names),
        ParamSpec.Reduction(batchMean: true),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C), (N, C, d1, ...) or (C): logits or probabilities"),
        InputSpec.Grad("target", "the other distribution, the shape of input, in the same form"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.js_divergence_loss(x.Required("input"), x.Required("target"), Categorical.Parse(p.Choice("input_type")), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) logits mean", g => new() { ["input"] = Sample.Normal(g, [6, 4], 2), ["target"] = Sample.Normal(g, [6, 4], 2) });
        yield return GradcheckCase.Of("(5,3) probs batchmean", g => new() { ["input"] = Sample.Simplex(g, 5, 3), ["target"] = Sample.Simplex(g, 5, 3) },
            ("input_type", "probs"), ("reduction", "batchmean"));
        yield return GradcheckCase.Of("(3,4,2) logits none", g => new() { ["input"] = Sample.Normal(g, [3, 4, 2]), ["target"] = Sample.Normal(g, [3, 4, 2]) }, ("reduction", "none"));
        yield return GradcheckCase.Of("(4,5) probs sum", g => new() { ["input"] = Sample.Simplex(g, 4, 5), ["target"] = Sample.Simplex(g, 4, 5) }, ("input_type", "probs"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,6) logits", g => new() { ["input"] = Sample.Normal(g, [1, 6]), ["target"] = Sample.Normal(g, [1, 6]) });
    }
}
