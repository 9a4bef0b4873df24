using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// The exploration bonus of count-based exploration (Tang et al. 2017, "#Exploration", equation 2):
/// <c>r+(s) = beta / sqrt(n(phi(s)))</c>, from state counts such as <see cref="SimHashCounter"/>'s.
/// </summary>
public static class CountBonus
{
    /// <summary>
    /// <c>beta / sqrt(max(n, 1))</c> for each count: a count of 0 (a state never seen, which <see cref="SimHashCounter.Update"/>
    /// never returns) is read as 1, so the bonus is at most beta and never infinite. The result carries no gradient.
    /// </summary>
    /// <remarks>
    /// <code>
    /// var rewardsWithBonus = rewards + CountBonus.FromCounts(counter.Update(states), beta: 0.01).to_type(rewards.dtype);
    /// </code>
    /// </remarks>
    /// <param name="counts">Visit counts, any shape, integer or floating, every value &gt;= 0.</param>
    /// <param name="beta">The bonus coefficient beta, finite and &gt;= 0 (the paper uses 0.01 to 0.1).</param>
    /// <returns>The bonus, the shape of <paramref name="counts"/>: float64 for integer counts, else the counts' dtype.</returns>
    public static Tensor FromCounts(Tensor counts, double beta = 0.01)
    {
        const string name = "CountBonus.FromCounts";
        CheckCounts(counts, name);
        Check.NonNegativeFinite(beta, name, nameof(beta));
        return Compute(counts, beta);
    }

    /// <summary>Counts: real or integer (not bool or complex), no value below 0 or NaN.</summary>
    internal static void CheckCounts(Tensor counts, string name)
    {
        Check.NotNull(counts, name, nameof(counts));
        if (counts.dtype == ScalarType.Bool || counts.dtype.IsComplex())
            throw new ArgumentException($"{name}: 'counts' must hold visit counts as an integer or floating tensor, got {counts.dtype}", nameof(counts));
        Check.NonNegativeValues(counts, name, nameof(counts), "visit counts");
    }

    /// <summary>The bonus of validated counts, with no gradient.</summary>
    internal static Tensor Compute(Tensor counts, double beta)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var n = counts.detach();
        if (!n.dtype.IsFloatingPoint()) n = n.to_type(ScalarType.Float64);
        return (n.clamp_min(1.0).rsqrt() * beta).MoveToOuterDisposeScope();
    }
}

public static partial class Losses
{
    /// <summary>
    /// Count-based exploration's critic loss (Tang et al. 2017, "#Exploration"): the TD(0) value loss
    /// (<see cref="td0_loss"/>) on the bonus-augmented reward <c>r + beta / sqrt(max(n(phi(s)), 1))</c>, with the
    /// bootstrapped target held: <c>(V(s) - sg(r + beta / sqrt(n) + gamma (1 - d) V(s')))^2</c>.
    /// </summary>
    /// <remarks>
    /// <para>The bonus is not differentiable: the counts come from a hash table (<see cref="SimHashCounter"/>) and carry no
    /// gradient, so what this loss trains is the value function, whose target includes the bonus. The gradient is exactly
    /// that of <see cref="td0_loss"/> with the augmented rewards (the held term <c>target</c>). For a policy-gradient method
    /// (the paper uses TRPO) add <see cref="CountBonus.FromCounts"/> to the rewards before computing returns or advantages
    /// (<see cref="gae"/>) instead.</para>
    /// <para>The counts are those of the states acted in, n(phi(s_t)), after the batch's update (Algorithm 1:
    /// <see cref="SimHashCounter.Update"/>); a count of 0 is read as 1.</para>
    /// <code>
    /// var counts = counter.Update(states);
    /// var loss = Losses.count_bonus_loss(critic.forward(states), rewards, critic.forward(nextStates), counts, dones, beta: 0.01);
    /// </code>
    /// </remarks>
    /// <param name="values">V(s), any shape (*).</param>
    /// <param name="rewards">Extrinsic rewards, the shape of <paramref name="values"/>.</param>
    /// <param name="next_values">V(s') (held), the shape of <paramref name="values"/>.</param>
    /// <param name="counts">Visit counts n(phi(s)) of the states, the shape of <paramref name="values"/>, integer or floating, &gt;= 0.</param>
    /// <param name="dones">Optional terminal flags (0/1), the shape of <paramref name="values"/>.</param>
    /// <param name="beta">The bonus coefficient, finite and &gt;= 0 (0: plain TD(0)).</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="value_loss">Squared error or Huber.</param>
    /// <param name="delta">The Huber threshold, &gt; 0.</param>
    /// <param name="reduction">none: per-transition losses; mean; sum.</param>
    /// <returns>A scalar, or the per-transition losses for reduction none.</returns>
    public static Tensor count_bonus_loss(Tensor values, Tensor rewards, Tensor next_values, Tensor counts, Tensor? dones = null, double beta = 0.01,
        double gamma = 0.99, ValueLoss value_loss = ValueLoss.Mse, double delta = 1.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "count_bonus_loss";
        Check.Floating(values, name, nameof(values));
        Rl.CheckTransitions(rewards, dones, gamma, name, values.shape);
        Check.Floating(next_values, name, nameof(next_values));
        Check.SameShape(values, nameof(values), next_values, nameof(next_values), name);
        CountBonus.CheckCounts(counts, name);
        Check.SameShape(rewards, nameof(rewards), counts, nameof(counts), name);
        Check.NonNegativeFinite(beta, name, nameof(beta));
        Rl.CheckValueLoss(value_loss, delta, name);
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (values, nameof(values)), (rewards, nameof(rewards)), (next_values, nameof(next_values)), (counts, nameof(counts)), (dones, nameof(dones)));

        using var scope = NewDisposeScope();
        var augmented = rewards + CountBonus.Compute(counts, beta).to_type(rewards.dtype);
        return td0_loss(values, augmented, next_values, dones, gamma, value_loss, delta, reduction).MoveToOuterDisposeScope();
    }
}

/// <summary>The count-bonus critic loss as a module; see <see cref="Losses.count_bonus_loss"/>.
/// <c>forward(values, rewards, next_values, counts)</c>.</summary>
public sealed class CountBonusLoss : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly double beta, gamma, delta;
    private readonly ValueLoss valueLoss;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.count_bonus_loss"/>.</summary>
    public CountBonusLoss(double beta = 0.01, double gamma = 0.99, ValueLoss value_loss = ValueLoss.Mse, double delta = 1.0, Reduction reduction = Reduction.Mean) : base(nameof(CountBonusLoss))
    {
        Check.NonNegativeFinite(beta, nameof(CountBonusLoss), nameof(beta));
        Check.UnitInterval(gamma, nameof(CountBonusLoss), nameof(gamma));
        Rl.CheckValueLoss(value_loss, delta, nameof(CountBonusLoss));
        Reduce.NoBatchMean(reduction, nameof(CountBonusLoss));
        this.beta = beta;
        this.gamma = gamma;
        this.delta = delta;
        valueLoss = value_loss;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor values, Tensor rewards, Tensor next_values, Tensor counts) =>
        Losses.count_bonus_loss(values, rewards, next_values, counts, null, beta, gamma, valueLoss, delta, reduction);

    /// <summary>The loss with terminal flags.</summary>
    /// <param name="values">V(s).</param>
    /// <param name="rewards">Extrinsic rewards.</param>
    /// <param name="next_values">V(s').</param>
    /// <param name="counts">Visit counts.</param>
    /// <param name="dones">Terminal flags.</param>
    public Tensor forward(Tensor values, Tensor rewards, Tensor next_values, Tensor counts, Tensor dones) =>
        Losses.count_bonus_loss(values, rewards, next_values, counts, dones, beta, gamma, valueLoss, delta, reduction);
}

internal sealed class CountBonusDefinition : LossDefinition
{
    public override string Name => "count_bonus";
    public override string Family => Rl.Family;
    public override string Summary => "Count-based exploration (#Exploration, SimHash counts): TD(0) critic loss on the reward plus the bonus beta / sqrt(n(phi(s))) (target held).";
    public override string Math => "l = (V(s) - sg(r + beta / sqrt(max(n, 1)) + gamma (1 - d) V(s')))^2   [value_loss=huber: Huber with delta]; n = SimHash count of s";
    public override string Reference => "Tang et al. 2017, #Exploration: A Study of Count-Based Exploration for Deep Reinforcement Learning";
    public override string Function => "Losses.count_bonus_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["target"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("beta", 0.01, "bonus coefficient (0.01 to 0.1 in the paper)", min: 0),
        Rl.Gamma,
        ParamSpec.Choice("value_loss", "mse", "how V(s) is compared with its target", "mse", "huber"),
        ParamSpec.Float("delta", 1.0, "Huber threshold", min: 0, minExclusive: true),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("values", "(N) V(s)"),
        Rl.Rewards,
        InputSpec.Grad("next_values", "(N) V(s'), held in the target"),
        InputSpec.Data("counts", "(N) visit counts n(phi(s)) >= 0 (SimHashCounter.Update)"),
        Rl.Dones,
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.count_bonus_loss(x.Required("values"), x.Required("rewards"), x.Required("next_values"), x.Required("counts"), x.Optional("dones"),
            p.Float("beta"), p.Float("gamma"), p.Choice("value_loss") == "huber" ? ValueLoss.Huber : ValueLoss.Mse, p.Float("delta"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Make(long n, bool dones) => g =>
        {
            var d = new Dictionary<string, Tensor>
            {
                ["values"] = Sample.Normal(g, [n]),
                ["rewards"] = Sample.Normal(g, [n]),
                ["next_values"] = Sample.Normal(g, [n]),
                ["counts"] = torch.randint(0, 20, new[] { n }, dtype: ScalarType.Int64, generator: g),
            };
            if (dones) d["dones"] = Sample.Binary(g, [n]);
            return d;
        };
        yield return GradcheckCase.Of("(6) beta=0.1 mean", Make(6, false), ("beta", "0.1"));
        yield return GradcheckCase.Of("(5) dones gamma=0.9 none", Make(5, true), ("gamma", "0.9"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1) sum", Make(1, false), ("reduction", "sum"));
        yield return GradcheckCase.Of("(4) huber delta=0.5 beta=1", Make(4, true), ("value_loss", "huber"), ("delta", "0.5"), ("beta", "1"));
    }
}
