using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The advantage actor-critic loss (A2C, Mnih et al. 2016, as SB3's A2C computes it): per step
    /// <c>-sg(A_t) log pi(a_t | s_t) + value_coef (V(s_t) - sg(R_t))^2 - entropy_coef H_t</c>, with the advantage A_t
    /// and the value target R_t held constant.
    /// </summary>
    /// <remarks>
    /// Given <paramref name="returns"/>, <c>A_t = R_t - V(s_t)</c>. Given <paramref name="rewards"/> instead, A and R come
    /// from <see cref="gae"/> over the critic's <paramref name="values"/> with <paramref name="gae_lambda"/> (1, the
    /// default as in SB3's A2C, gives the bootstrapped n-step return <c>R_t = G_t</c> and <c>A_t = G_t - V(s_t)</c>), the
    /// bootstrap V(s_T) from <paramref name="bootstrap_value"/> (0 when not given). The mean reduction is SB3's
    /// <c>policy_loss + ent_coef * entropy_loss + vf_coef * value_loss</c>, each a mean over the steps. When no
    /// <paramref name="entropy"/> is given the entropy is estimated by <c>-log pi(a_t | s_t)</c>, as SB3 does for
    /// distributions without an analytic entropy (use <see cref="policy_entropy"/> for categorical policies).
    /// Defaults: value_coef 0.5 (SB3, OpenAI Baselines), entropy_coef 0.01 (A3C, Baselines' A2C; SB3 uses 0).
    /// <code>
    /// var loss = Losses.actor_critic_loss(Losses.policy_log_probs(logits, actions), values, rewards: rewards, dones: dones,
    ///     entropy: Losses.policy_entropy(logits), bootstrap_value: lastValue);
    /// </code>
    /// </remarks>
    /// <param name="log_probs">log pi(a_t | s_t), shape (T) or (B, T).</param>
    /// <param name="values">The critic's V(s_t), the shape of <paramref name="log_probs"/>.</param>
    /// <param name="returns">Value targets R_t, the shape of <paramref name="log_probs"/> (give this or <paramref name="rewards"/>).</param>
    /// <param name="rewards">Rewards r_t, the shape of <paramref name="log_probs"/>, from which A and R are computed.</param>
    /// <param name="dones">Optional episode-end flags (0/1), with <paramref name="rewards"/>.</param>
    /// <param name="entropy">Optional policy entropy H_t per step, the shape of <paramref name="log_probs"/>.</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="gae_lambda">The GAE lambda (with rewards), in [0, 1].</param>
    /// <param name="value_coef">The value loss's coefficient, at least 0.</param>
    /// <param name="entropy_coef">The entropy bonus's coefficient.</param>
    /// <param name="normalize_advantage">Standardise the advantages over all steps.</param>
    /// <param name="bootstrap_value">Optional V(s_T) after the last step (with rewards): shape () or (B).</param>
    /// <param name="reduction">none: per-step losses; mean; sum.</param>
    /// <returns>A scalar, or the per-step losses for reduction none.</returns>
    public static Tensor actor_critic_loss(Tensor log_probs, Tensor values, Tensor? returns = null, Tensor? rewards = null, Tensor? dones = null, Tensor? entropy = null, double gamma = 0.99, double gae_lambda = 1.0, double value_coef = 0.5, double entropy_coef = 0.01, bool normalize_advantage = false, Tensor? bootstrap_value = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "actor_critic_loss";
        Check.Sequence(log_probs, name, nameof(log_probs));
        Check.Floating(values, name, nameof(values));
        Check.SameShape(log_probs, nameof(log_probs), values, nameof(values), name);
        CheckReturnsOrRewards(log_probs, nameof(log_probs), returns, rewards, dones, bootstrap_value, gamma, name);
        CheckEntropy(entropy, log_probs, name);
        Check.UnitInterval(gae_lambda, name, nameof(gae_lambda));
        CheckCoefficients(value_coef, entropy_coef, name);
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (log_probs, nameof(log_probs)), (values, nameof(values)), (returns, nameof(returns)), (rewards, nameof(rewards)), (dones, nameof(dones)), (entropy, nameof(entropy)), (bootstrap_value, nameof(bootstrap_value)));

        using var scope = NewDisposeScope();
        var v = values.to_type(log_probs.dtype);
        Tensor advantage, target;
        if (returns is not null)
        {
            var r = returns.to_type(log_probs.dtype);
            advantage = Surrogate.Hold("advantage", r - v);
            target = Surrogate.Hold("returns", r);
        }
        else
        {
            var (a, r) = GaeCore(rewards!.to_type(log_probs.dtype), Rl.Extended(v, rewards!, bootstrap_value), dones, gamma, gae_lambda);
            advantage = Surrogate.Hold("advantage", a);
            target = Surrogate.Hold("returns", r);
        }
        if (normalize_advantage) advantage = Rl.Normalize(advantage);
        var policy = -advantage * log_probs;
        var value = (v - target).square();
        var loss = policy + value_coef * value - entropy_coef * (entropy is null ? -log_probs : entropy.to_type(log_probs.dtype));
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }

    private static void CheckEntropy(Tensor? entropy, Tensor logProbs, string name)
    {
        if (entropy is null) return;
        Check.Floating(entropy, name, nameof(entropy));
        Check.SameShape(logProbs, "log_probs", entropy, nameof(entropy), name);
    }

    private static void CheckCoefficients(double valueCoef, double entropyCoef, string name)
    {
        Check.Param(valueCoef >= 0 && double.IsFinite(valueCoef), name, "value_coef", "a finite number >= 0", valueCoef);
        Check.Param(double.IsFinite(entropyCoef), name, "entropy_coef", "a finite number", entropyCoef);
    }
}

/// <summary>The A2C loss as a module; see <see cref="Losses.actor_critic_loss"/>. Its forward takes log-probabilities,
/// values, returns and the entropy (null: estimated by -log_probs); call the function to compute returns from rewards.</summary>
public sealed class ActorCriticLoss : nn.Module<Tensor, Tensor, Tensor, Tensor?, Tensor>
{
    private readonly double valueCoef;
    private readonly double entropyCoef;
    private readonly bool normalizeAdvantage;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.actor_critic_loss"/>.</summary>
    public ActorCriticLoss(double value_coef = 0.5, double entropy_coef = 0.01, bool normalize_advantage = false, Reduction reduction = Reduction.Mean) : base(nameof(ActorCriticLoss))
    {
        Check.Param(value_coef >= 0 && double.IsFinite(value_coef), nameof(ActorCriticLoss), nameof(value_coef), "a finite number >= 0", value_coef);
        Check.Param(double.IsFinite(entropy_coef), nameof(ActorCriticLoss), nameof(entropy_coef), "a finite number", entropy_coef);
        Reduce.NoBatchMean(reduction, nameof(ActorCriticLoss));
        valueCoef = value_coef;
        entropyCoef = entropy_coef;
        normalizeAdvantage = normalize_advantage;
        this.reduction = reduction;
    }

    /// <summary>The loss of log-probabilities, values, returns and entropies (or null), all (T) or (B, T).</summary>
    public override Tensor forward(Tensor log_probs, Tensor values, Tensor returns, Tensor? entropy) =>
        Losses.actor_critic_loss(log_probs, values, returns: returns, entropy: entropy, value_coef: valueCoef, entropy_coef: entropyCoef, normalize_advantage: normalizeAdvantage, reduction: reduction);
}

internal sealed class ActorCriticDefinition : LossDefinition
{
    public override string Name => "actor_critic";
    public override string Family => Rl.Family;
    public override string Summary => "A2C: policy gradient with a held advantage, value MSE and entropy bonus (SB3's A2C).";
    public override string Math => "l_t = -sg(A_t) log pi(a_t|s_t) + value_coef (V_t - sg(R_t))^2 - entropy_coef H_t;  A, R = R - V or GAE(gamma, lambda)";
    public override string Reference => "Mnih et al. 2016, Asynchronous Methods for Deep Reinforcement Learning; Stable-Baselines3 A2C";
    public override string Function => "Losses.actor_critic_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["advantage", "returns"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        Rl.Gamma,
        ParamSpec.Float("gae_lambda", 1.0, "GAE lambda when returns are computed from rewards (1: n-step returns)", min: 0, max: 1),
        ParamSpec.Float("value_coef", 0.5, "coefficient of the value loss", min: 0),
        ParamSpec.Float("entropy_coef", 0.01, "coefficient of the entropy bonus"),
        ParamSpec.Bool("normalize_advantage", false, "standardise the advantages over the batch"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        .. Rl.PolicyInputs("(T) or (B, T)", "(T, A) or (B, T, A)"),
        InputSpec.Grad("values", "(T) or (B, T) the critic's V(s_t)"),
        .. Rl.ReturnInputs("value targets R_t"),
        new InputSpec("entropy", "(T) or (B, T) policy entropy (default: from logits, or -log_probs)", Required: false, Differentiable: true),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p)
    {
        var (logProbs, entropy) = Rl.Policy(x, Name, wantEntropy: true);
        return Losses.actor_critic_loss(logProbs, x.Required("values"), x.Optional("returns"), x.Optional("rewards"), x.Optional("dones"), entropy, p.Float("gamma"), p.Float("gae_lambda"),
            p.Float("value_coef"), p.Float("entropy_coef"), p.Bool("normalize_advantage"), x.Optional("bootstrap_value"), p.Reduction);
    }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> Make(Generator g, long[] shape, bool logits, bool fromRewards, bool entropy)
        {
            var d = new Dictionary<string, Tensor> { ["values"] = Sample.Normal(g, shape) };
            if (fromRewards)
            {
                d["rewards"] = Sample.Normal(g, shape);
                d["dones"] = Sample.Binary(g, shape);
                d["bootstrap_value"] = Sample.Normal(g, shape[..^1]);
            }
            else d["returns"] = Sample.Normal(g, shape);
            if (entropy) d["entropy"] = Sample.Uniform(g, shape, 0.1, 1);
            Rl.AddPolicy(g, d, shape, logits);
            return d;
        }
        yield return GradcheckCase.Of("(6) returns, entropy", g => Make(g, [6], false, false, true));
        yield return GradcheckCase.Of("(2,5) logits, rewards, gae 0.9, sum", g => Make(g, [2, 5], true, true, false), ("gae_lambda", "0.9"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,3) returns, normalised, none", g => Make(g, [1, 3], false, false, false), ("normalize_advantage", "true"), ("reduction", "none"));
        yield return GradcheckCase.Of("(3,4) rewards, coefs", g => Make(g, [3, 4], false, true, true), ("value_coef", "1"), ("entropy_coef", "0.1"), ("gamma", "0.9"));
    }
}
