using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The KL-shaped per-token reward of PPO-style RLHF (Ziegler et al. 2019; Stiennon et al. 2020; InstructGPT):
    /// <c>r_t = -beta * k_t + [t = last token] * score</c>, where <c>k_t</c> is Schulman's estimate (k1, k2 or k3) of
    /// KL(pi || pi_ref) at the sampled token and <c>score</c> the reward model's score of the whole response, added
    /// at the last counted token, as TRL's <c>PPOTrainer</c> shapes its rewards.
    /// </summary>
    /// <remarks>
    /// This is a reward, not a loss: PPO feeds it to its advantage estimation (GAE) as data, so compute it under
    /// <c>torch.no_grad()</c> or detach it. Through the returns, each token's penalty reaches the earlier tokens' policy
    /// gradients, which is what makes "k1 in reward" the gradient of the sequence-level reverse KL
    /// (see <see cref="kl_estimator"/> for the per-token surrogate and the unified view). The value is differentiable
    /// with respect to <paramref name="logps"/> (nothing is held), so it can be checked against its closed form.
    /// Padding positions get 0. Exponents (k3) are capped so log-probabilities of magnitude 1e4 stay finite.
    /// <code>
    /// using (torch.no_grad()) rewards = Losses.rlhf_kl_penalty(logps, refLogps, mask, scores, beta: 0.05);
    /// </code>
    /// </remarks>
    /// <param name="logps">Policy per-token log-probabilities of the sampled tokens, (B, T).</param>
    /// <param name="ref_logps">Reference per-token log-probabilities, (B, T).</param>
    /// <param name="mask">Token mask, (B, T) (null: all).</param>
    /// <param name="scores">Optional sequence scores (B), added at each sequence's last counted token.</param>
    /// <param name="beta">KL coefficient (TRL's kl_coef), &gt;= 0.</param>
    /// <param name="estimator">k1 (TRL's default), k2 or k3.</param>
    /// <param name="reduction">none: the shaped rewards (B, T) (the usual use); mean over counted tokens; sum.</param>
    /// <returns>(B, T) for reduction none, else a scalar.</returns>
    public static Tensor rlhf_kl_penalty(Tensor logps, Tensor ref_logps, Tensor? mask = null, Tensor? scores = null, double beta = 0.05,
        KlApproximation estimator = KlApproximation.K1, Reduction reduction = Reduction.None)
    {
        const string name = "rlhf_kl_penalty";
        AlignmentOps.CheckPolicyAndReference(logps, ref_logps, mask, name);
        if (scores is not null)
        {
            Check.Floating(scores, name, nameof(scores));
            Check.PerSequence(scores, logps, name, nameof(scores), nameof(logps));
        }
        if (!Enum.IsDefined(estimator)) throw new ArgumentOutOfRangeException(nameof(estimator), estimator, $"{name}: unknown estimator");
        Check.Param(beta >= 0 && double.IsFinite(beta), name, nameof(beta), "a finite number >= 0", beta);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        // padding may hold anything (NaN, -inf): zero it before any per-token op so no gradient reads it
        logps = AlignmentOps.Masked(logps, mask);
        var reward = AlignmentOps.KlTerm(logps, AlignmentOps.Masked(ref_logps.to_type(logps.dtype), mask), estimator) * (-beta);
        if (scores is not null && logps.shape[1] > 0)
        {
            long t = logps.shape[1];
            var m = AlignmentOps.Weights(logps, mask);
            // last counted position: argmax of position index over counted tokens (rows with none get no score)
            var pos = torch.arange(1, t + 1, dtype: logps.dtype, device: logps.device).unsqueeze(0) * m;
            var last = pos.argmax(1, keepdim: true);
            var hasToken = m.sum(1, keepdim: true).gt(0).to_type(logps.dtype);
            var placed = torch.zeros_like(reward).scatter(1, last, scores.to_type(logps.dtype).unsqueeze(1) * hasToken);
            reward = reward + placed;
        }
        return AlignmentOps.ReducePerToken(reward, mask, reduction).MoveToOuterDisposeScope();
    }
}

/// <summary>The KL-shaped RLHF reward as a module; see <see cref="Losses.rlhf_kl_penalty"/>. Inputs: logps, ref_logps,
/// mask, scores.</summary>
public sealed class RlhfKlPenalty : nn.Module<Tensor, Tensor, Tensor?, Tensor?, Tensor>
{
    private readonly double beta;
    private readonly KlApproximation estimator;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.rlhf_kl_penalty"/>.</summary>
    /// <param name="beta">KL coefficient.</param>
    /// <param name="estimator">k1, k2 or k3.</param>
    /// <param name="reduction">The reduction (none: per-token rewards).</param>
    public RlhfKlPenalty(double beta = 0.05, KlApproximation estimator = KlApproximation.K1, Reduction reduction = Reduction.None) : base(nameof(RlhfKlPenalty))
    {
        Check.Param(beta >= 0 && double.IsFinite(beta), nameof(RlhfKlPenalty), nameof(beta), "a finite number >= 0", beta);
        this.beta = beta;
        this.estimator = estimator;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor logps, Tensor ref_logps, Tensor? mask, Tensor? scores) =>
        Losses.rlhf_kl_penalty(logps, ref_logps, mask, scores, beta, estimator, reduction);
}

internal sealed class RlhfKlPenaltyDefinition : LossDefinition
{
    public override string Name => "rlhf_kl_penalty";
    public override string Family => "alignment";
    public override string Summary => "PPO-RLHF reward shaping: per-token reward -beta * k (k1/k2/k3 estimate of KL to the reference) plus the sequence score at the last token.";
    public override string Math => "l = ref - logp; k1 = -l, k2 = l^2/2, k3 = exp(l) - 1 - l; r_t = -beta k_t + [t = last] score";
    public override string Reference => "Ziegler et al. 2019; Stiennon et al. 2020; Ouyang et al. 2022 (InstructGPT); TRL PPOTrainer";
    public override string Function => "Losses.rlhf_kl_penalty";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("beta", 0.05, "KL coefficient (kl_coef)", min: 0),
        ParamSpec.Choice("estimator", "k1", "Schulman's estimator of KL(pi || pi_ref)", "k1", "k2", "k3"),
        ParamSpec.Reduction("none"),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("logps", "(B, T) policy token log-probs of the sampled tokens"),
        InputSpec.Data("ref_logps", "(B, T) reference token log-probs"),
        InputSpec.Optional("mask", "(B, T) 0/1 token mask"),
        InputSpec.Optional("scores", "(B) sequence scores added at the last token"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.rlhf_kl_penalty(x.Required("logps"), x.Required("ref_logps"), x.Optional("mask"), x.Optional("scores"), p.Float("beta"),
            AlignmentOps.ParseEstimator(p.Choice("estimator")), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> Make(Generator g, long b, long t)
        {
            var d = KlEstimatorDefinition.Make(g, b, t, false);
            d["scores"] = Sample.Normal(g, [b]);
            return d;
        }
        yield return GradcheckCase.Of("(4,5) k1", g => Make(g, 4, 5));
        yield return GradcheckCase.Of("(3,4) k3 mean", g => Make(g, 3, 4), ("estimator", "k3"), ("beta", "0.2"), ("reduction", "mean"));
        yield return GradcheckCase.Of("(3,4) k2 sum", g => Make(g, 3, 4), ("estimator", "k2"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,3) k1 no scores", g => KlEstimatorDefinition.Make(g, 1, 3, false), ("beta", "1"));
    }
}
