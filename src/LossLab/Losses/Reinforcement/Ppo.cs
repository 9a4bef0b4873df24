using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>The value loss of <see cref="Losses.ppo_loss"/>.</summary>
public enum PpoValueLoss
{
    /// <summary>CleanRL's: <c>0.5 * max((V - R)^2, (V_old + clip(V - V_old, -c, c) - R)^2)</c> (without clipping <c>0.5 (V - R)^2</c>).</summary>
    CleanRl,
    /// <summary>SB3's: <c>(R - (V_old + clip(V - V_old, -c, c)))^2</c> (without clipping <c>(R - V)^2</c>).</summary>
    Sb3,
}

public static partial class Losses
{
    /// <summary>
    /// The PPO loss (Schulman et al. 2017, "Proximal Policy Optimization Algorithms"), as CleanRL's <c>ppo.py</c> defines
    /// it: per sample the clipped surrogate <c>max(-A r, -A clip(r, 1 - eps, 1 + eps))</c> with the ratio
    /// <c>r = exp(log pi - sg(log pi_old))</c>, plus <c>value_coef</c> times the (clipped) value loss, minus
    /// <c>entropy_coef</c> times the entropy.
    /// </summary>
    /// <remarks>
    /// The old log-probabilities, the advantages, the old values and the returns all come from the rollout and are held
    /// constant. With <paramref name="normalize_advantage"/> (the default, as CleanRL's <c>norm_adv</c> and SB3) the
    /// advantages are standardised over the minibatch, <c>(A - mean) / (std + 1e-8)</c>. The value loss is CleanRL's
    /// (<see cref="PpoValueLoss.CleanRl"/>, with its factor 0.5) or SB3's (<see cref="PpoValueLoss.Sb3"/>); without
    /// <paramref name="values"/> there is no value term (a separate critic). Without <paramref name="entropy"/> the
    /// entropy is estimated by <c>-log pi</c>, as SB3 does. The mean reduction is CleanRL's
    /// <c>pg_loss - ent_coef * entropy_loss + v_loss * vf_coef</c>. A very large epsilon gives the unclipped
    /// importance-weighted policy gradient surrogate <c>-A r</c>. The log-ratio is capped (at 44 in float32, 600 in
    /// float64) before <c>exp</c> so that log-probabilities from logits of magnitude 1e4 stay finite; below the cap the
    /// value is exact. Use for on-policy training with several epochs of minibatch updates per rollout.
    /// <code>
    /// var loss = Losses.ppo_loss(Losses.policy_log_probs(logits, actions), oldLogProbs, advantages,
    ///     values: newValues, old_values: oldValues, returns: returns, entropy: Losses.policy_entropy(logits));
    /// </code>
    /// </remarks>
    /// <param name="log_probs">log pi(a | s) under the current policy, any shape (*).</param>
    /// <param name="old_log_probs">log pi_old(a | s) from the rollout (held), the shape of <paramref name="log_probs"/>.</param>
    /// <param name="advantages">Advantages (held), the shape of <paramref name="log_probs"/> (see <see cref="gae"/>).</param>
    /// <param name="values">Optional current V(s), the shape of <paramref name="log_probs"/>.</param>
    /// <param name="old_values">V(s) from the rollout (held), needed for value clipping.</param>
    /// <param name="returns">Value targets (held), needed with <paramref name="values"/>.</param>
    /// <param name="entropy">Optional policy entropy per sample.</param>
    /// <param name="clip_coef">The ratio's clip epsilon, &gt; 0.</param>
    /// <param name="value_clip">The value prediction's clip range around the old value, &gt; 0.</param>
    /// <param name="clip_vloss">Whether the value loss is clipped.</param>
    /// <param name="value_coef">The value loss's coefficient, at least 0.</param>
    /// <param name="entropy_coef">The entropy bonus's coefficient.</param>
    /// <param name="normalize_advantage">Standardise the advantages over the minibatch.</param>
    /// <param name="value_loss">CleanRL's or SB3's value loss.</param>
    /// <param name="reduction">none: per-sample losses; mean; sum.</param>
    /// <returns>A scalar, or the per-sample losses for reduction none.</returns>
    public static Tensor ppo_loss(Tensor log_probs, Tensor old_log_probs, Tensor advantages, Tensor? values = null, Tensor? old_values = null, Tensor? returns = null, Tensor? entropy = null,
        double clip_coef = 0.2, double value_clip = 0.2, bool clip_vloss = true, double value_coef = 0.5, double entropy_coef = 0.01, bool normalize_advantage = true,
        PpoValueLoss value_loss = PpoValueLoss.CleanRl, Reduction reduction = Reduction.Mean)
    {
        const string name = "ppo_loss";
        Check.Floating(log_probs, name, nameof(log_probs));
        foreach (var (t, arg) in new[] { (old_log_probs, nameof(old_log_probs)), (advantages, nameof(advantages)) })
        {
            Check.Floating(t, name, arg);
            Check.SameShape(log_probs, nameof(log_probs), t, arg, name);
        }
        foreach (var (t, arg) in new[] { (values, nameof(values)), (old_values, nameof(old_values)), (returns, nameof(returns)) })
        {
            if (t is null) continue;
            Check.Floating(t, name, arg);
            Check.SameShape(log_probs, nameof(log_probs), t, arg, name);
        }
        if ((values is null) != (returns is null))
            throw new ArgumentException($"{name}: the value loss needs both 'values' and 'returns'; got only '{(values is null ? "returns" : "values")}'", values is null ? nameof(values) : nameof(returns));
        if (values is not null && clip_vloss && old_values is null)
            throw new ArgumentException($"{name}: value clipping (clip_vloss) needs 'old_values', the values of the rollout; give them or set clip_vloss false", nameof(old_values));
        CheckEntropy(entropy, log_probs, name);
        Check.Param(clip_coef > 0 && !double.IsNaN(clip_coef), name, nameof(clip_coef), "> 0", clip_coef);
        Check.Param(value_clip > 0 && !double.IsNaN(value_clip), name, nameof(value_clip), "> 0", value_clip);
        CheckCoefficients(value_coef, entropy_coef, name);
        if (!Enum.IsDefined(value_loss)) throw new ArgumentOutOfRangeException(nameof(value_loss), value_loss, $"{name}: unknown value loss");
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (log_probs, nameof(log_probs)), (old_log_probs, nameof(old_log_probs)), (advantages, nameof(advantages)), (values, nameof(values)), (old_values, nameof(old_values)), (returns, nameof(returns)), (entropy, nameof(entropy)));

        using var scope = NewDisposeScope();
        var dt = log_probs.dtype;
        var logRatio = log_probs - Surrogate.Hold("old_log_probs", old_log_probs.to_type(dt));
        var ratio = logRatio.clamp_max(MaxExponent(dt)).exp();
        var adv = Surrogate.Hold("advantage", advantages.to_type(dt));
        if (normalize_advantage) adv = Rl.Normalize(adv);
        var loss = torch.maximum(-adv * ratio, -adv * ratio.clamp(1 - clip_coef, 1 + clip_coef));
        if (values is not null)
        {
            var v = values.to_type(dt);
            var target = Surrogate.Hold("returns", returns!.to_type(dt));
            Tensor? clipped = null;
            if (clip_vloss)
            {
                var old = Surrogate.Hold("old_values", old_values!.to_type(dt));
                clipped = old + (v - old).clamp(-value_clip, value_clip);
            }
            var vl = value_loss == PpoValueLoss.Sb3
                ? (target - (clipped ?? v)).square()
                : 0.5 * (clipped is null ? (v - target).square() : torch.maximum((v - target).square(), (clipped - target).square()));
            loss = loss + value_coef * vl;
        }
        if (entropy_coef != 0) loss = loss - entropy_coef * (entropy is null ? -log_probs : entropy.to_type(dt));
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The PPO loss as a module; see <see cref="Losses.ppo_loss"/>. Its forward takes the log-probabilities, the old
/// log-probabilities, the advantages and (or nulls) the values, old values and returns; an overload adds the entropy.</summary>
public sealed class PpoLoss : nn.Module<Tensor, Tensor, Tensor, Tensor?, Tensor?, Tensor?, Tensor>
{
    private readonly double clipCoef, valueClip, valueCoef, entropyCoef;
    private readonly bool clipVloss, normalizeAdvantage;
    private readonly PpoValueLoss valueLoss;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.ppo_loss"/>.</summary>
    public PpoLoss(double clip_coef = 0.2, double value_clip = 0.2, bool clip_vloss = true, double value_coef = 0.5, double entropy_coef = 0.01, bool normalize_advantage = true,
        PpoValueLoss value_loss = PpoValueLoss.CleanRl, Reduction reduction = Reduction.Mean) : base(nameof(PpoLoss))
    {
        Check.Param(clip_coef > 0 && !double.IsNaN(clip_coef), nameof(PpoLoss), nameof(clip_coef), "> 0", clip_coef);
        Check.Param(value_clip > 0 && !double.IsNaN(value_clip), nameof(PpoLoss), nameof(value_clip), "> 0", value_clip);
        Reduce.NoBatchMean(reduction, nameof(PpoLoss));
        (clipCoef, valueClip, clipVloss, valueCoef, entropyCoef, normalizeAdvantage, valueLoss, this.reduction) =
            (clip_coef, value_clip, clip_vloss, value_coef, entropy_coef, normalize_advantage, value_loss, reduction);
    }

    /// <summary>The loss without an entropy input (estimated by -log_probs); see <see cref="Losses.ppo_loss"/>.</summary>
    public override Tensor forward(Tensor log_probs, Tensor old_log_probs, Tensor advantages, Tensor? values, Tensor? old_values, Tensor? returns) =>
        forward(log_probs, old_log_probs, advantages, values, old_values, returns, null);

    /// <summary>The loss with the policy's entropy per sample; see <see cref="Losses.ppo_loss"/>.</summary>
    public Tensor forward(Tensor log_probs, Tensor old_log_probs, Tensor advantages, Tensor? values, Tensor? old_values, Tensor? returns, Tensor? entropy) =>
        Losses.ppo_loss(log_probs, old_log_probs, advantages, values, old_values, returns, entropy, clipCoef, valueClip, clipVloss, valueCoef, entropyCoef, normalizeAdvantage, valueLoss, reduction);
}

internal sealed class PpoDefinition : LossDefinition
{
    public override string Name => "ppo";
    public override string Family => Rl.Family;
    public override string Summary => "PPO: clipped importance-ratio surrogate, clipped value loss and entropy bonus (CleanRL / SB3).";
    public override string Math => "r = exp(logp - sg(logp_old));  l = max(-A r, -A clip(r, 1-eps, 1+eps)) + value_coef * 0.5 max((V-R)^2, (V_old + clip(V-V_old, -c, c) - R)^2) - entropy_coef H";
    public override string Reference => "Schulman et al. 2017, Proximal Policy Optimization Algorithms; CleanRL ppo.py; Stable-Baselines3 PPO";
    public override string Function => "Losses.ppo_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["old_log_probs", "advantage", "returns", "old_values"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("clip_coef", 0.2, "clip epsilon of the probability ratio", min: 0, minExclusive: true),
        ParamSpec.Float("value_clip", 0.2, "clip range of the value prediction around the old value", min: 0, minExclusive: true),
        ParamSpec.Bool("clip_vloss", true, "clip the value loss"),
        ParamSpec.Float("value_coef", 0.5, "coefficient of the value loss", min: 0),
        ParamSpec.Float("entropy_coef", 0.01, "coefficient of the entropy bonus"),
        ParamSpec.Bool("normalize_advantage", true, "standardise the advantages over the minibatch"),
        ParamSpec.Choice("value_loss", "cleanrl", "cleanrl: 0.5 max(unclipped, clipped); sb3: squared error of the clipped prediction", "cleanrl", "sb3"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        .. Rl.PolicyInputs("(*)", "(*, A)"),
        InputSpec.Data("old_log_probs", "(*) log-probabilities of the rollout's policy (held)"),
        InputSpec.Data("advantages", "(*) advantages (held)"),
        new InputSpec("values", "(*) current V(s)", Required: false, Differentiable: true),
        InputSpec.Optional("old_values", "(*) V(s) of the rollout (held), for value clipping"),
        InputSpec.Optional("returns", "(*) value targets (held)"),
        new InputSpec("entropy", "(*) policy entropy (default: from logits, or -log_probs)", Required: false, Differentiable: true),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p)
    {
        var (logProbs, entropy) = Rl.Policy(x, Name, wantEntropy: true);
        return Losses.ppo_loss(logProbs, x.Required("old_log_probs"), x.Required("advantages"), x.Optional("values"), x.Optional("old_values"), x.Optional("returns"), entropy,
            p.Float("clip_coef"), p.Float("value_clip"), p.Bool("clip_vloss"), p.Float("value_coef"), p.Float("entropy_coef"), p.Bool("normalize_advantage"),
            p.Choice("value_loss") == "sb3" ? PpoValueLoss.Sb3 : PpoValueLoss.CleanRl, p.Reduction);
    }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> Make(Generator g, long[] shape, bool logits, bool value)
        {
            var d = new Dictionary<string, Tensor>();
            Rl.AddPolicy(g, d, shape, logits);
            var logp = logits ? Losses.policy_log_probs(d["logits"], d["actions"]) : d["log_probs"];
            d["old_log_probs"] = logp + Sample.Uniform(g, shape, -0.5, 0.5);
            d["advantages"] = Sample.Normal(g, shape);
            if (value)
            {
                d["values"] = Sample.Normal(g, shape);
                d["old_values"] = d["values"] + Sample.Uniform(g, shape, -0.5, 0.5);
                d["returns"] = Sample.Normal(g, shape);
            }
            return d;
        }
        yield return GradcheckCase.Of("(8) policy only", g => Make(g, [8], false, false));
        yield return GradcheckCase.Of("(6) logits, values, cleanrl", g => Make(g, [6], true, true), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1) single sample, values, sb3", g => Make(g, [1], false, true), ("value_loss", "sb3"), ("reduction", "none"));
        yield return GradcheckCase.Of("(2,4) logits, unclipped value, eps 0.1", g => Make(g, [2, 4], true, true), ("clip_coef", "0.1"), ("clip_vloss", "false"), ("normalize_advantage", "false"));
        yield return GradcheckCase.Of("(5) sb3 clipped, entropy 0.1", g => Make(g, [5], false, true), ("value_loss", "sb3"), ("entropy_coef", "0.1"), ("value_clip", "0.3"));
    }
}
