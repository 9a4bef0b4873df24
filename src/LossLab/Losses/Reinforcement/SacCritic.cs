using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The SAC critic loss (Haarnoja et al. 2018, as CleanRL's <c>sac_continuous_action.py</c>): the squared error of every
    /// critic to the held soft Bellman target <c>y = r + gamma (1 - d) (min_c Q_targ,c(s', a') - alpha log pi(a' | s'))</c>,
    /// summed over the critics: per sample <c>sum_c (Q_c(s, a) - y)^2</c>.
    /// </summary>
    /// <remarks>
    /// a' is sampled from the current policy at s'; the target networks' values at (s', a'), <c>log pi(a' | s')</c> and
    /// the temperature enter only the target, which is held constant. The mean is CleanRL's <c>qf1_loss + qf2_loss</c>
    /// (each an MSE over the batch); SB3 halves it. <c>d = 1</c> marks a terminal s' (not a time-limit truncation).
    /// <code>
    /// var loss = Losses.sac_critic_loss(torch.stack(new[] { q1a, q2a }, 1), rewards, torch.stack(new[] { q1t, q2t }, 1), nextLogp, dones, gamma: 0.99, alpha: 0.2);
    /// </code>
    /// </remarks>
    /// <param name="q_values">Q_c(s, a) of the stored actions, shape (N) or (N, C).</param>
    /// <param name="rewards">Rewards, shape (N).</param>
    /// <param name="next_q_values">The target critics' Q_targ(s', a'), shape (N) or (N, C') (held).</param>
    /// <param name="next_log_probs">log pi(a' | s'), shape (N) (held).</param>
    /// <param name="dones">Optional terminal flags (0/1), shape (N).</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="alpha">The entropy temperature (without <paramref name="log_alpha"/>), at least 0.</param>
    /// <param name="log_alpha">Optional learned log-temperature, shape () or (1) (held).</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor sac_critic_loss(Tensor q_values, Tensor rewards, Tensor next_q_values, Tensor next_log_probs, Tensor? dones = null, double gamma = 0.99, double alpha = 0.2, Tensor? log_alpha = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "sac_critic_loss";
        Check.Floating(q_values, name, nameof(q_values));
        Check.Rank(q_values, name, nameof(q_values), 1, 2);
        long n = q_values.shape[0];
        CheckCritics(q_values, nameof(q_values), n, name);
        Rl.CheckTransitions(rewards, dones, gamma, name, n);
        CheckCritics(next_q_values, nameof(next_q_values), n, name);
        Check.Floating(next_log_probs, name, nameof(next_log_probs));
        Check.SameShape(rewards, nameof(rewards), next_log_probs, nameof(next_log_probs), name);
        CheckSacAlpha(alpha, log_alpha, name);
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (q_values, nameof(q_values)), (rewards, nameof(rewards)), (next_q_values, nameof(next_q_values)), (next_log_probs, nameof(next_log_probs)), (dones, nameof(dones)), (log_alpha, nameof(log_alpha)));

        using var scope = NewDisposeScope();
        var dt = q_values.dtype;
        var a = SacAlpha(alpha, log_alpha, q_values);
        var soft = MinOverCritics(next_q_values).to_type(dt) - a * next_log_probs.to_type(dt);
        var y = Surrogate.Hold("target", rewards.to_type(dt) + gamma * Rl.NotDone(dones, rewards).to_type(dt) * soft);
        var q = q_values.dim() == 2 ? q_values : q_values.unsqueeze(1);
        var loss = (q - y.unsqueeze(1)).square().sum(1);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The SAC critic loss as a module; see <see cref="Losses.sac_critic_loss"/>. Its forward takes Q-values, rewards,
/// target Q-values, next log-probabilities, dones and (or null) the learned log-temperature.</summary>
public sealed class SacCriticLoss : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor?, Tensor>
{
    private readonly double gamma, alpha;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.sac_critic_loss"/>.</summary>
    public SacCriticLoss(double gamma = 0.99, double alpha = 0.2, Reduction reduction = Reduction.Mean) : base(nameof(SacCriticLoss))
    {
        Check.UnitInterval(gamma, nameof(SacCriticLoss), nameof(gamma));
        Check.Param(alpha >= 0 && double.IsFinite(alpha), nameof(SacCriticLoss), nameof(alpha), "a finite number >= 0", alpha);
        Reduce.NoBatchMean(reduction, nameof(SacCriticLoss));
        (this.gamma, this.alpha, this.reduction) = (gamma, alpha, reduction);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor q_values, Tensor rewards, Tensor next_q_values, Tensor next_log_probs, Tensor? dones, Tensor? log_alpha) =>
        Losses.sac_critic_loss(q_values, rewards, next_q_values, next_log_probs, dones, gamma, alpha, log_alpha, reduction);
}

internal sealed class SacCriticDefinition : LossDefinition
{
    public override string Name => "sac_critic";
    public override string Family => Rl.Family;
    public override string Summary => "SAC critic loss: squared error of every critic to the held soft Bellman target.";
    public override string Math => "y = sg(r + gamma (1 - d) (min_c Q_targ,c(s', a') - alpha log pi(a'|s')));  l_i = sum_c (Q_c(s_i, a_i) - y_i)^2";
    public override string Reference => "Haarnoja et al. 2018, Soft Actor-Critic; Fujimoto et al. 2018 (clipped double Q); CleanRL sac_continuous_action.py";
    public override string Function => "Losses.sac_critic_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["alpha", "target"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        Rl.Gamma,
        ParamSpec.Float("alpha", 0.2, "entropy temperature (when no log_alpha input is given)", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("q_values", "(N) or (N, C) critics' Q(s, a)"),
        Rl.Rewards,
        InputSpec.Data("next_q_values", "(N) or (N, C') target critics' Q(s', a') (held)"),
        InputSpec.Data("next_log_probs", "(N) log pi(a'|s') (held)"),
        Rl.Dones,
        InputSpec.Optional("log_alpha", "() learned log-temperature (held)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.sac_critic_loss(x.Required("q_values"), x.Required("rewards"), x.Required("next_q_values"), x.Required("next_log_probs"), x.Optional("dones"),
            p.Float("gamma"), p.Float("alpha"), x.Optional("log_alpha"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> Make(Generator g, long n, long c, bool dones, bool logAlpha)
        {
            long[] q = c == 0 ? [n] : [n, c];
            var d = new Dictionary<string, Tensor>
            {
                ["q_values"] = Sample.Normal(g, q), ["rewards"] = Sample.Normal(g, [n]),
                ["next_q_values"] = Sample.Normal(g, q), ["next_log_probs"] = Sample.Normal(g, [n]),
            };
            if (dones) d["dones"] = Sample.Binary(g, [n]);
            if (logAlpha) d["log_alpha"] = Sample.Normal(g, [1]);
            return d;
        }
        yield return GradcheckCase.Of("(6,2) twin critics, dones", g => Make(g, 6, 2, true, false));
        yield return GradcheckCase.Of("(5) one critic, log_alpha, sum", g => Make(g, 5, 0, false, true), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,2) none gamma=0.9", g => Make(g, 1, 2, true, false), ("gamma", "0.9"), ("reduction", "none"));
        yield return GradcheckCase.Of("(4,5) five critics alpha=0.05", g => Make(g, 4, 5, true, true), ("alpha", "0.05"));
    }
}
