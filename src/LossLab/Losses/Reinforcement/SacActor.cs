using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>Checks SAC's temperature: alpha (a number) or log_alpha (a tensor of one element).</summary>
    private static void CheckSacAlpha(double alpha, Tensor? logAlpha, string name)
    {
        Check.Param(alpha >= 0 && double.IsFinite(alpha), name, nameof(alpha), "a finite number >= 0", alpha);
        if (logAlpha is null) return;
        Check.Floating(logAlpha, name, "log_alpha");
        if (logAlpha.numel() != 1 || logAlpha.dim() > 1)
            throw new ArgumentException($"{name}: 'log_alpha' must be a scalar, shape () or (1), got {Check.Shape(logAlpha)}", "log_alpha");
    }

    /// <summary>The held temperature: exp(log_alpha) when given, else alpha.</summary>
    private static Tensor SacAlpha(double alpha, Tensor? logAlpha, Tensor like) =>
        logAlpha is null
            ? torch.tensor(alpha, dtype: like.dtype, device: like.device)
            : Surrogate.Hold("alpha", logAlpha.to_type(like.dtype).exp().reshape(Array.Empty<long>()));

    /// <summary>Q-values (N) of one critic or (N, C) of C critics, for N samples.</summary>
    private static void CheckCritics(Tensor q, string arg, long n, string name)
    {
        Check.Floating(q, name, arg);
        Check.Rank(q, name, arg, 1, 2);
        if (q.shape[0] != n || (q.dim() == 2 && q.shape[1] == 0))
            throw new ArgumentException($"{name}: '{arg}' must have shape [{n}] or [{n}, C] (C critics, C >= 1), got {Check.Shape(q)}", arg);
    }

    private static Tensor MinOverCritics(Tensor q) => q.dim() == 2 ? q.amin(new long[] { 1 }) : q;

    /// <summary>
    /// The SAC actor loss (Haarnoja et al. 2018, as CleanRL's and SB3's <c>sac</c>): per sample
    /// <c>alpha log pi(a~ | s) - min_c Q_c(s, a~)</c>, a~ the reparameterised action of the current policy; the
    /// temperature alpha is held constant.
    /// </summary>
    /// <remarks>
    /// Gradients flow into <paramref name="log_probs"/> and, through <paramref name="q_values"/>, into the sampled action
    /// (only the actor's parameters are stepped with this loss). With several critics the minimum is taken (clipped double
    /// Q, Fujimoto et al. 2018). The temperature is <paramref name="alpha"/>, or <c>exp(log_alpha)</c> held constant when
    /// <paramref name="log_alpha"/> is given (learned by <see cref="sac_temperature_loss"/>).
    /// <code>
    /// var (action, logp) = actor.Sample(states);
    /// var loss = Losses.sac_actor_loss(logp, torch.stack(new[] { q1.forward(states, action), q2.forward(states, action) }, 1), log_alpha: logAlpha);
    /// </code>
    /// </remarks>
    /// <param name="log_probs">log pi(a~ | s) of the sampled actions, shape (N).</param>
    /// <param name="q_values">Q(s, a~), shape (N) or (N, C) for C critics.</param>
    /// <param name="alpha">The entropy temperature (without <paramref name="log_alpha"/>), at least 0.</param>
    /// <param name="log_alpha">Optional learned log-temperature, shape () or (1) (held here).</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor sac_actor_loss(Tensor log_probs, Tensor q_values, double alpha = 0.2, Tensor? log_alpha = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "sac_actor_loss";
        Check.Floating(log_probs, name, nameof(log_probs));
        Check.Rank(log_probs, name, nameof(log_probs), 1);
        CheckCritics(q_values, nameof(q_values), log_probs.shape[0], name);
        CheckSacAlpha(alpha, log_alpha, name);
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (log_probs, nameof(log_probs)), (q_values, nameof(q_values)), (log_alpha, nameof(log_alpha)));

        using var scope = NewDisposeScope();
        var a = SacAlpha(alpha, log_alpha, log_probs);
        var loss = a * log_probs - MinOverCritics(q_values).to_type(log_probs.dtype);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The SAC actor loss as a module; see <see cref="Losses.sac_actor_loss"/>. Its forward takes log-probabilities,
/// Q-values and (or null, for the fixed alpha) the learned log-temperature.</summary>
public sealed class SacActorLoss : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    private readonly double alpha;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.sac_actor_loss"/>.</summary>
    public SacActorLoss(double alpha = 0.2, Reduction reduction = Reduction.Mean) : base(nameof(SacActorLoss))
    {
        Check.Param(alpha >= 0 && double.IsFinite(alpha), nameof(SacActorLoss), nameof(alpha), "a finite number >= 0", alpha);
        Reduce.NoBatchMean(reduction, nameof(SacActorLoss));
        this.alpha = alpha;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor log_probs, Tensor q_values, Tensor? log_alpha) => Losses.sac_actor_loss(log_probs, q_values, alpha, log_alpha, reduction);
}

internal sealed class SacActorDefinition : LossDefinition
{
    public override string Name => "sac_actor";
    public override string Family => Rl.Family;
    public override string Summary => "SAC actor loss: alpha log pi minus the smallest critic's Q of the reparameterised action (alpha held).";
    public override string Math => "l_i = sg(alpha) log pi(a~_i|s_i) - min_c Q_c(s_i, a~_i)";
    public override string Reference => "Haarnoja et al. 2018, Soft Actor-Critic: Off-Policy Maximum Entropy Deep RL with a Stochastic Actor; CleanRL sac_continuous_action.py";
    public override string Function => "Losses.sac_actor_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["alpha"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("alpha", 0.2, "entropy temperature (when no log_alpha input is given)", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("log_probs", "(N) log pi of the sampled actions"),
        InputSpec.Grad("q_values", "(N) or (N, C) critics' Q of the sampled actions"),
        new InputSpec("log_alpha", "() learned log-temperature (held here)", Required: false, Differentiable: true),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.sac_actor_loss(x.Required("log_probs"), x.Required("q_values"), p.Float("alpha"), x.Optional("log_alpha"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        // Critics apart from each other, so that the minimum is not at a tie.
        static Tensor Critics(Generator g, long n, long c) => Sample.Normal(g, [n, 1]) + torch.arange(c, dtype: ScalarType.Float64) * 0.5 + Sample.Uniform(g, [n, c], 0, 0.3);
        yield return GradcheckCase.Of("(6) one critic", g => new() { ["log_probs"] = Sample.Normal(g, [6]), ["q_values"] = Sample.Normal(g, [6]) });
        yield return GradcheckCase.Of("(5,2) log_alpha, sum", g => new() { ["log_probs"] = Sample.Normal(g, [5]), ["q_values"] = Critics(g, 5, 2), ["log_alpha"] = Sample.Normal(g, []) }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,3) none alpha=0.5", g => new() { ["log_probs"] = Sample.Normal(g, [1]), ["q_values"] = Critics(g, 1, 3) }, ("alpha", "0.5"), ("reduction", "none"));
    }
}
