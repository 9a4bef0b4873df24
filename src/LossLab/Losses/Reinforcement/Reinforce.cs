using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// REINFORCE (Williams 1992), the Monte-Carlo policy gradient: per step <c>-log pi(a_t | s_t) * sg(G_t - b_t)</c>,
    /// with the discounted return <c>G_t</c> (given, or computed from rewards) and an optional baseline <c>b_t</c>; the
    /// coefficient <c>G_t - b_t</c> is held constant (<c>sg</c>), so the gradient is the policy-gradient estimate.
    /// </summary>
    /// <remarks>
    /// Returns computed from <paramref name="rewards"/> are <see cref="discounted_returns"/> (episodes end where
    /// <paramref name="dones"/> is 1). With <paramref name="normalize_advantage"/> the coefficients are standardised over
    /// the batch, <c>(c - mean) / (std + 1e-8)</c>, as PyTorch's reinforce example does with its returns. With
    /// <paramref name="discount_weighting"/> step t is also weighted by <c>gamma^k</c>, k the steps since its episode began
    /// (Sutton and Barto, sec. 13.3; most implementations leave it out). The baseline (a value estimate) is held: it
    /// reduces the variance of the estimate and gets no gradient from this loss; train it with a value loss
    /// (<see cref="actor_critic_loss"/> combines both). Use for episodic tasks with cheap complete rollouts.
    /// <code>
    /// var logp = Losses.policy_log_probs(logits, actions);                  // (B, T)
    /// var loss = Losses.reinforce_loss(logp, rewards: rewards, dones: dones, gamma: 0.99);
    /// </code>
    /// </remarks>
    /// <param name="log_probs">log pi(a_t | s_t) of the actions taken, shape (T) or (B, T) (see <see cref="policy_log_probs"/>).</param>
    /// <param name="returns">The returns G_t, the shape of <paramref name="log_probs"/> (give this or <paramref name="rewards"/>).</param>
    /// <param name="rewards">The rewards r_t, the shape of <paramref name="log_probs"/>, from which G_t is computed.</param>
    /// <param name="dones">Optional episode-end flags (0/1), the shape of <paramref name="log_probs"/>.</param>
    /// <param name="baseline">Optional baseline b_t (held), the shape of <paramref name="log_probs"/>.</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="normalize_advantage">Standardise the coefficients G_t - b_t over all steps.</param>
    /// <param name="discount_weighting">Weight step t by gamma^k (k steps into its episode).</param>
    /// <param name="bootstrap_value">Optional V(s_T) after the last step (with <paramref name="rewards"/>): shape () or (B).</param>
    /// <param name="reduction">none: per-step losses; mean (over all steps); sum.</param>
    /// <returns>A scalar, or the per-step losses for reduction none.</returns>
    public static Tensor reinforce_loss(Tensor log_probs, Tensor? returns = null, Tensor? rewards = null, Tensor? dones = null, Tensor? baseline = null, double gamma = 0.99, bool normalize_advantage = false, bool discount_weighting = false, Tensor? bootstrap_value = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "reinforce_loss";
        Check.Sequence(log_probs, name, nameof(log_probs));
        CheckReturnsOrRewards(log_probs, nameof(log_probs), returns, rewards, dones, bootstrap_value, gamma, name);
        if (baseline is not null)
        {
            Check.Floating(baseline, name, nameof(baseline));
            Check.SameShape(log_probs, nameof(log_probs), baseline, nameof(baseline), name);
        }
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (log_probs, nameof(log_probs)), (returns, nameof(returns)), (rewards, nameof(rewards)), (dones, nameof(dones)), (baseline, nameof(baseline)), (bootstrap_value, nameof(bootstrap_value)));

        using var scope = NewDisposeScope();
        var g = (returns ?? discounted_returns(rewards!, gamma, dones, bootstrap_value)).to_type(log_probs.dtype);
        var coef = Surrogate.Hold("advantage", baseline is null ? g : g - baseline.to_type(log_probs.dtype));
        if (normalize_advantage) coef = Rl.Normalize(coef);
        if (discount_weighting) coef = coef * EpisodeDiscount(log_probs, dones, gamma);
        var loss = -log_probs * coef;
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }

    /// <summary>Checks returns or rewards (exactly one) of the shape of <paramref name="like"/>, dones, bootstrap, gamma.</summary>
    private static void CheckReturnsOrRewards(Tensor like, string likeName, Tensor? returns, Tensor? rewards, Tensor? dones, Tensor? bootstrap_value, double gamma, string name)
    {
        if ((returns is null) == (rewards is null))
            throw new ArgumentException($"{name}: give either 'returns' or 'rewards' (from which the returns are computed), not {(returns is null ? "neither" : "both")}", nameof(returns));
        if (returns is not null)
        {
            Check.Floating(returns, name, nameof(returns));
            Check.SameShape(like, likeName, returns, nameof(returns), name);
            if (bootstrap_value is not null)
                throw new ArgumentException($"{name}: 'bootstrap_value' is only used to compute returns from 'rewards'; 'returns' were given", nameof(bootstrap_value));
            if (dones is not null) Check.Flags(dones, like, name, nameof(dones), likeName);
            Check.UnitInterval(gamma, name, nameof(gamma));
        }
        else
        {
            Check.SameShape(like, likeName, rewards!, nameof(rewards), name);
            Rl.CheckRewards(rewards!, dones, gamma, name);
            Rl.CheckBootstrap(bootstrap_value, rewards!, name);
        }
    }

    /// <summary>gamma^k per step, k the steps since the step's episode began (episodes end where dones is 1).</summary>
    private static Tensor EpisodeDiscount(Tensor like, Tensor? dones, double gamma)
    {
        long n = like.shape[^1];
        var notDone = Rl.NotDone(dones, like);
        var outs = new Tensor[n];
        var w = torch.ones_like(like.select(-1, 0));
        for (long t = 0; t < n; t++)
        {
            outs[t] = w;
            var nd = notDone.select(-1, t);
            w = gamma * nd * w + (1.0 - nd);
        }
        return torch.stack(outs, -1);
    }
}

/// <summary>REINFORCE as a module; see <see cref="Losses.reinforce_loss"/>. Its forward takes log-probabilities and
/// returns (call the function for rewards, dones and a baseline).</summary>
public sealed class ReinforceLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double gamma;
    private readonly bool normalizeAdvantage;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.reinforce_loss"/>.</summary>
    public ReinforceLoss(double gamma = 0.99, bool normalize_advantage = false, Reduction reduction = Reduction.Mean) : base(nameof(ReinforceLoss))
    {
        Check.UnitInterval(gamma, nameof(ReinforceLoss), nameof(gamma));
        Reduce.NoBatchMean(reduction, nameof(ReinforceLoss));
        this.gamma = gamma;
        normalizeAdvantage = normalize_advantage;
        this.reduction = reduction;
    }

    /// <summary>The loss of log-probabilities (T) or (B, T) weighted by the (held) returns of their shape.</summary>
    public override Tensor forward(Tensor log_probs, Tensor returns) =>
        Losses.reinforce_loss(log_probs, returns: returns, gamma: gamma, normalize_advantage: normalizeAdvantage, reduction: reduction);
}

internal sealed class ReinforceDefinition : LossDefinition
{
    public override string Name => "reinforce";
    public override string Family => Rl.Family;
    public override string Summary => "REINFORCE: Monte-Carlo policy gradient, log-probabilities weighted by held (baselined) discounted returns.";
    public override string Math => "l_t = -log pi(a_t|s_t) * sg(G_t - b_t) [* gamma^k];  G_t = r_t + gamma (1 - d_t) G_{t+1}";
    public override string Reference => "Williams 1992, Simple Statistical Gradient-Following Algorithms for Connectionist Reinforcement Learning; Sutton and Barto 2018, sec. 13.3-13.4";
    public override string Function => "Losses.reinforce_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["advantage"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        Rl.Gamma,
        ParamSpec.Bool("normalize_advantage", false, "standardise the coefficients G_t - b_t over the batch"),
        ParamSpec.Bool("discount_weighting", false, "weight step t by gamma^k, k steps into its episode (Sutton and Barto)"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        .. Rl.PolicyInputs("(T) or (B, T)", "(T, A) or (B, T, A)"),
        .. Rl.ReturnInputs("returns G_t"),
        new InputSpec("baseline", "(T) or (B, T) baseline b_t (held)", Required: false, Differentiable: true),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p)
    {
        var (logProbs, _) = Rl.Policy(x, Name, wantEntropy: false);
        return Losses.reinforce_loss(logProbs, x.Optional("returns"), x.Optional("rewards"), x.Optional("dones"), x.Optional("baseline"), p.Float("gamma"),
            p.Bool("normalize_advantage"), p.Bool("discount_weighting"), x.Optional("bootstrap_value"), p.Reduction);
    }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6) rewards gamma=0.9", g =>
        {
            var d = new Dictionary<string, Tensor> { ["rewards"] = Sample.Normal(g, [6]) };
            Rl.AddPolicy(g, d, [6], fromLogits: false);
            return d;
        }, ("gamma", "0.9"));
        yield return GradcheckCase.Of("(2,5) logits, dones, baseline, sum", g =>
        {
            var d = new Dictionary<string, Tensor> { ["rewards"] = Sample.Normal(g, [2, 5]), ["dones"] = Sample.Binary(g, [2, 5]), ["baseline"] = Sample.Normal(g, [2, 5]) };
            Rl.AddPolicy(g, d, [2, 5], fromLogits: true);
            return d;
        }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,4) returns, normalised, none", g =>
        {
            var d = new Dictionary<string, Tensor> { ["returns"] = Sample.Normal(g, [1, 4]) };
            Rl.AddPolicy(g, d, [1, 4], fromLogits: false);
            return d;
        }, ("normalize_advantage", "true"), ("reduction", "none"));
        yield return GradcheckCase.Of("(3,4) logits, discount weighting, bootstrap", g =>
        {
            var d = new Dictionary<string, Tensor> { ["rewards"] = Sample.Normal(g, [3, 4]), ["dones"] = Sample.Binary(g, [3, 4]), ["bootstrap_value"] = Sample.Normal(g, [3]) };
            Rl.AddPolicy(g, d, [3, 4], fromLogits: true, actions: 4);
            return d;
        }, ("gamma", "0.8"), ("discount_weighting", "true"));
    }
}
