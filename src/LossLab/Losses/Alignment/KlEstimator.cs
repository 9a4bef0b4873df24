using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// Schulman's approximations of KL(pi || pi_ref) from one sample x ~ pi, with the ratio <c>r = pi_ref(x) / pi(x)</c>.
/// </summary>
public enum KlApproximation
{
    /// <summary><c>k1 = -log r = log pi - log pi_ref</c>: unbiased, high variance, can be negative.</summary>
    K1,
    /// <summary><c>k2 = (log r)^2 / 2</c>: biased (exact to second order), low variance, never negative.</summary>
    K2,
    /// <summary><c>k3 = (r - 1) - log r</c>: unbiased, low variance, never negative.</summary>
    K3,
}

/// <summary>How a KL estimate enters the loss (Liu et al. 2025's two implementation styles).</summary>
public enum KlGradientMode
{
    /// <summary>
    /// "k in reward": the estimate is held constant and multiplies the log-probability of the sampled token,
    /// <c>loss = sg(k) * log pi</c>, a score-function (REINFORCE) surrogate, as the KL penalty in PPO-style RLHF.
    /// </summary>
    InReward,
    /// <summary>"k as loss": the estimate itself is differentiated, <c>loss = k</c>, as GRPO's k3 term.</summary>
    AsLoss,
}

public static partial class Losses
{
    /// <summary>
    /// A KL-regularisation loss to a reference policy from sampled tokens, in the unified view of Liu et al. 2025
    /// ("Rethinking KL Regularization in RLHF"). With <c>l = log pi_ref(x) - log pi(x)</c> (the log of r = pi_ref / pi)
    /// for tokens x sampled from the policy, <c>k1 = -l</c>, <c>k2 = l^2 / 2</c>, <c>k3 = exp(l) - 1 - l</c>;
    /// <c>mode</c> as_loss gives <c>w * k</c> and in_reward gives <c>sg(w * k) * log pi</c>, where w = 1 on-policy and
    /// <c>w = sg(pi / pi_old)</c> when the tokens were sampled from an older policy (<paramref name="old_logps"/>).
    /// </summary>
    /// <remarks>
    /// What the gradient is, in expectation over x ~ pi (single-token / per-token view):
    /// <list type="bullet">
    /// <item><description>k1 in_reward: <c>E[(log pi - log pi_ref) grad log pi]</c> = the gradient of the reverse KL(pi || pi_ref). Principled (PPO).</description></item>
    /// <item><description>k2 as_loss: <c>grad (l^2/2) = (log pi - log pi_ref) grad log pi</c>: the same gradient, so k2-as-loss is gradient-equivalent to k1-in-reward on-policy.</description></item>
    /// <item><description>k3 as_loss (GRPO): <c>(1 - r) grad log pi</c>, whose expectation <c>-E_{pi_ref}[grad log pi]</c> is the gradient of the forward KL(pi_ref || pi), a first-order approximation of the reverse KL's gradient only near pi = pi_ref.</description></item>
    /// <item><description>k1 as_loss: <c>grad log pi</c>, expectation 0: no regularisation at all.</description></item>
    /// </list>
    /// Off-policy (tokens from pi_old), each expectation is over pi_old; the held importance weight w = pi / pi_old
    /// restores the on-policy gradient for both modes. Held terms: <c>kl_estimate</c> (in_reward) and <c>is_weight</c>.
    /// The per-token view regularises each token's KL given its prefix; at the sequence level, the in-reward penalty
    /// also reaches earlier tokens through the RL returns (see <see cref="rlhf_kl_penalty"/>). Exponents are capped
    /// so log-probabilities of magnitude 1e4 stay finite. Use k1 in_reward or k2 as_loss (with w when sampling lags).
    /// <code>
    /// var kl = Losses.kl_estimator(logps, refLogps, mask, KlApproximation.K2, KlGradientMode.AsLoss);
    /// var loss = policyLoss + 0.05 * kl;
    /// </code>
    /// </remarks>
    /// <param name="logps">Policy per-token log-probabilities of the sampled tokens, (B, T).</param>
    /// <param name="ref_logps">Reference per-token log-probabilities, (B, T).</param>
    /// <param name="mask">Token mask, (B, T) (null: all).</param>
    /// <param name="estimator">k1, k2 or k3.</param>
    /// <param name="mode">in_reward (held estimate times log pi) or as_loss (the estimate differentiated).</param>
    /// <param name="old_logps">Per-token log-probabilities of the sampling policy, (B, T): enables the importance weights pi / pi_old (held).</param>
    /// <param name="reduction">none: per-token terms (B, T), zeros at padding; mean over counted tokens; sum.</param>
    /// <returns>A scalar, or (B, T) for reduction none.</returns>
    public static Tensor kl_estimator(Tensor logps, Tensor ref_logps, Tensor? mask = null, KlApproximation estimator = KlApproximation.K1,
        KlGradientMode mode = KlGradientMode.InReward, Tensor? old_logps = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "kl_estimator";
        AlignmentOps.CheckPolicyAndReference(logps, ref_logps, mask, name);
        if (old_logps is not null)
        {
            Check.Floating(old_logps, name, nameof(old_logps));
            Check.SameShape(logps, nameof(logps), old_logps, nameof(old_logps), name);
            Check.SameDevice(name, (logps, nameof(logps)), (old_logps, nameof(old_logps)));
        }
        if (!Enum.IsDefined(estimator)) throw new ArgumentOutOfRangeException(nameof(estimator), estimator, $"{name}: unknown estimator");
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, $"{name}: unknown mode");
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        // padding may hold anything (NaN, -inf): zero it before any per-token op so no gradient reads it
        logps = AlignmentOps.Masked(logps, mask);
        var k = AlignmentOps.KlTerm(logps, AlignmentOps.Masked(ref_logps.to_type(logps.dtype), mask), estimator);
        Tensor? w = old_logps is null ? null : Surrogate.Hold("is_weight", AlignmentOps.CappedExp(logps - AlignmentOps.Masked(old_logps.to_type(logps.dtype), mask)));
        Tensor perToken = mode == KlGradientMode.AsLoss
            ? (w is null ? k : w * k)
            : Surrogate.Hold("kl_estimate", w is null ? k : w * k) * logps;
        return AlignmentOps.ReducePerToken(perToken, mask, reduction).MoveToOuterDisposeScope();
    }
}

internal static partial class AlignmentOps
{
    /// <summary>The checks of per-token policy and reference log-probabilities with a mask.</summary>
    public static void CheckPolicyAndReference(Tensor logps, Tensor refLogps, Tensor? mask, string name)
    {
        Check.TokenLogProbs(logps, name, "logps");
        Check.Floating(refLogps, name, "ref_logps");
        Check.SameShape(logps, "logps", refLogps, "ref_logps", name);
        Check.TokenMask(mask, logps, name, "mask", "logps");
        Check.SameDevice(name, (logps, "logps"), (refLogps, "ref_logps"));
    }

    /// <summary>k1, k2 or k3 per token from the policy's and the reference's log-probabilities (l = ref - logp).</summary>
    public static Tensor KlTerm(Tensor logps, Tensor refLogps, KlApproximation estimator)
    {
        var l = refLogps - logps;
        return estimator switch
        {
            KlApproximation.K1 => -l,
            KlApproximation.K2 => l.square() * 0.5,
            KlApproximation.K3 => CappedExp(l) - 1 - l,
            _ => throw new ArgumentOutOfRangeException(nameof(estimator), estimator, "unknown estimator"),
        };
    }

    /// <summary>Parses k1/k2/k3.</summary>
    public static KlApproximation ParseEstimator(string s) => s switch
    {
        "k2" => KlApproximation.K2,
        "k3" => KlApproximation.K3,
        _ => KlApproximation.K1,
    };
}

/// <summary>The KL-estimator loss as a module; see <see cref="Losses.kl_estimator"/>. Inputs: logps, ref_logps,
/// mask, old_logps (null: on-policy).</summary>
public sealed class KlEstimatorLoss : nn.Module<Tensor, Tensor, Tensor?, Tensor?, Tensor>
{
    private readonly KlApproximation estimator;
    private readonly KlGradientMode mode;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.kl_estimator"/>.</summary>
    /// <param name="estimator">k1, k2 or k3.</param>
    /// <param name="mode">in_reward or as_loss.</param>
    /// <param name="reduction">The reduction.</param>
    public KlEstimatorLoss(KlApproximation estimator = KlApproximation.K1, KlGradientMode mode = KlGradientMode.InReward, Reduction reduction = Reduction.Mean) : base(nameof(KlEstimatorLoss))
    {
        this.estimator = estimator;
        this.mode = mode;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor logps, Tensor ref_logps, Tensor? mask, Tensor? old_logps) =>
        Losses.kl_estimator(logps, ref_logps, mask, estimator, mode, old_logps, reduction);
}

internal sealed class KlEstimatorDefinition : LossDefinition
{
    public override string Name => "kl_estimator";
    public override string Family => "alignment";
    public override string Summary => "KL regularisation to a reference policy from sampled tokens: Schulman's k1/k2/k3, in reward (held, times log pi) or as loss, with optional importance weights pi/pi_old.";
    public override string Math => "l = ref - logp; k1 = -l, k2 = l^2/2, k3 = exp(l) - 1 - l; w = sg(exp(logp - old)) or 1; as_loss: w k; in_reward: sg(w k) * logp";
    public override string Reference => "Schulman 2020, Approximating KL Divergence; Liu et al. 2025, Rethinking KL Regularization in RLHF: From Value Estimation to Gradient Optimization";
    public override string Function => "Losses.kl_estimator";
    public override IReadOnlyList<string> HeldTerms { get; } = ["kl_estimate", "is_weight"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("estimator", "k1", "Schulman's estimator of KL(pi || pi_ref)", "k1", "k2", "k3"),
        ParamSpec.Choice("mode", "in_reward", "in_reward: sg(k) * log pi; as_loss: k differentiated", "in_reward", "as_loss"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("logps", "(B, T) policy token log-probs of the sampled tokens"),
        InputSpec.Data("ref_logps", "(B, T) reference token log-probs"),
        InputSpec.Optional("mask", "(B, T) 0/1 token mask"),
        InputSpec.Optional("old_logps", "(B, T) sampling-policy token log-probs (importance weights)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.kl_estimator(x.Required("logps"), x.Required("ref_logps"), x.Optional("mask"), AlignmentOps.ParseEstimator(p.Choice("estimator")),
            p.Choice("mode") == "as_loss" ? KlGradientMode.AsLoss : KlGradientMode.InReward, x.Optional("old_logps"), p.Reduction);

    internal static Dictionary<string, Tensor> Make(Generator g, long b, long t, bool old)
    {
        var d = new Dictionary<string, Tensor>
        {
            ["logps"] = Sample.Uniform(g, [b, t], -3, -0.05),
            ["ref_logps"] = Sample.Uniform(g, [b, t], -3, -0.05),
            ["mask"] = AlignmentSamples.Mask(g, b, t),
        };
        if (old) d["old_logps"] = Sample.Uniform(g, [b, t], -3, -0.05);
        return d;
    }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        foreach (var est in new[] { "k1", "k2", "k3" })
        {
            yield return GradcheckCase.Of($"(4,5) {est} in_reward", g => Make(g, 4, 5, false), ("estimator", est));
            yield return GradcheckCase.Of($"(3,4) {est} as_loss none", g => Make(g, 3, 4, false), ("estimator", est), ("mode", "as_loss"), ("reduction", "none"));
        }
        yield return GradcheckCase.Of("(3,4) k2 as_loss off-policy sum", g => Make(g, 3, 4, true), ("estimator", "k2"), ("mode", "as_loss"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,6) k1 in_reward off-policy", g => Make(g, 1, 6, true));
    }
}
