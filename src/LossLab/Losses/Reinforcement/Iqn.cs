using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The IQN loss (Dabney, Ostrovski, Silver, Munos 2018, "Implicit Quantile Networks for Distributional Reinforcement
    /// Learning"): per transition the quantile Huber loss over the pairwise TD errors
    /// <c>sum_i mean_j rho^kappa_{tau_i}(y_j - Z_{tau_i}(s, a))</c> between the quantiles predicted at the sampled fractions
    /// tau_i and the held targets <c>y_j = r + gamma (1 - d) Z'_{tau'_j}(s', a*)</c>.
    /// </summary>
    /// <remarks>
    /// The network is evaluated at fractions <c>tau ~ U[0, 1)</c>; pass the ones used as <paramref name="taus"/>. When they
    /// are not given they are drawn from a generator seeded with <paramref name="seed"/>: <see cref="iqn_taus"/> with the
    /// same batch, count and seed returns exactly those fractions (on every call), which is how the registry entry is driven
    /// so that repeated evaluations (and gradient checks) see the same samples. rho is that of <see cref="qr_dqn_loss"/>
    /// (kappa 1 in the paper); the target quantiles' own fractions tau'_j only serve to produce them. a* is the target
    /// network's greedy action, <c>argmax_a mean_j Z'_j(s', a)</c>, for next quantiles (N, A', N'); (N, N') are the already
    /// chosen action's. The paper's N = N' = 64 (also 8 and 32).
    /// <code>
    /// var taus = Losses.iqn_taus(batch, 64, seed: step);
    /// var loss = Losses.iqn_loss(iqn.forward(s, taus), actions, rewards, targetIqn.forward(sNext, Losses.iqn_taus(batch, 64, seed: step + 1)), taus, dones);
    /// </code>
    /// </remarks>
    /// <param name="quantiles">The online network's quantiles at <paramref name="taus"/> for every action, shape (N, A, Q).</param>
    /// <param name="actions">The actions taken, shape (N), int64.</param>
    /// <param name="rewards">Rewards, shape (N).</param>
    /// <param name="next_quantiles">The target network's quantiles at s', shape (N, A', Q') or (N, Q') (held).</param>
    /// <param name="taus">The fractions the quantiles were predicted at, shape (N, Q) or (Q), in [0, 1] (null: drawn with <paramref name="seed"/>).</param>
    /// <param name="dones">Optional terminal flags (0/1), shape (N).</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="kappa">The Huber threshold, at least 0.</param>
    /// <param name="seed">The seed of the fractions when <paramref name="taus"/> is null.</param>
    /// <param name="reduction">none: per-transition losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor iqn_loss(Tensor quantiles, Tensor actions, Tensor rewards, Tensor next_quantiles, Tensor? taus = null, Tensor? dones = null, double gamma = 0.99, double kappa = 1.0, long seed = 0, Reduction reduction = Reduction.Mean)
    {
        const string name = "iqn_loss";
        CheckQuantileLoss(quantiles, actions, rewards, next_quantiles, dones, gamma, kappa, reduction, name);
        if (taus is not null)
        {
            Check.Floating(taus, name, nameof(taus));
            long n = quantiles.shape[0], q = quantiles.shape[2];
            if (!taus.shape.SequenceEqual(new[] { n, q }) && !taus.shape.SequenceEqual(new[] { q }))
                throw new ArgumentException($"{name}: 'taus' must have shape [{n}, {q}] or [{q}] (the fractions of 'quantiles' {Check.Shape(quantiles)}), got {Check.Shape(taus)}", nameof(taus));
            Check.InRange(taus, 0, 1, name, nameof(taus));
            Check.SameDevice(name, (quantiles, nameof(quantiles)), (taus, nameof(taus)));
        }

        using var scope = NewDisposeScope();
        var t = taus ?? iqn_taus(quantiles.shape[0], quantiles.shape[2], seed, quantiles.dtype, quantiles.device);
        return QuantileLossCore(quantiles, actions, rewards, next_quantiles, dones, gamma, kappa, t, reduction, name).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Quantile fractions <c>tau ~ U[0, 1)</c> for IQN, drawn from a generator seeded with <paramref name="seed"/>: the same
    /// arguments give the same fractions on every call (those <see cref="iqn_loss"/> draws when it is given none).
    /// </summary>
    /// <remarks>
    /// <code>
    /// var taus = Losses.iqn_taus(32, 64, seed: 7);   // (32, 64)
    /// </code>
    /// </remarks>
    /// <param name="batch">N, the number of transitions.</param>
    /// <param name="num_taus">The number of fractions per transition, at least 1.</param>
    /// <param name="seed">The generator's seed.</param>
    /// <param name="dtype">The floating dtype of the result.</param>
    /// <param name="device">The device of the result (drawn on the CPU; null: the CPU).</param>
    /// <returns>The fractions, shape (N, num_taus).</returns>
    public static Tensor iqn_taus(long batch, long num_taus, long seed, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        const string name = "iqn_taus";
        Check.Param(batch >= 0, name, nameof(batch), ">= 0", batch);
        Check.Param(num_taus >= 1, name, nameof(num_taus), ">= 1", num_taus);
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"{name}: 'dtype' must be floating-point, got {dtype}", nameof(dtype));
        using var scope = NewDisposeScope();
        using var g = new Generator(unchecked((ulong)seed));
        var taus = torch.rand(new[] { batch, num_taus }, dtype: ScalarType.Float64, generator: g).to_type(dtype);
        return (device is null ? taus : taus.to(device)).MoveToOuterDisposeScope();
    }
}

/// <summary>The IQN loss as a module; see <see cref="Losses.iqn_loss"/>. Its forward takes quantiles, actions, rewards,
/// the target network's next quantiles, the fractions (or null: drawn with the seed) and dones (or null).</summary>
public sealed class IqnLoss : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor?, Tensor>
{
    private readonly double gamma, kappa;
    private readonly long seed;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.iqn_loss"/>.</summary>
    public IqnLoss(double gamma = 0.99, double kappa = 1.0, long seed = 0, Reduction reduction = Reduction.Mean) : base(nameof(IqnLoss))
    {
        Check.UnitInterval(gamma, nameof(IqnLoss), nameof(gamma));
        Check.Param(kappa >= 0 && double.IsFinite(kappa), nameof(IqnLoss), nameof(kappa), "a finite number >= 0", kappa);
        Reduce.NoBatchMean(reduction, nameof(IqnLoss));
        (this.gamma, this.kappa, this.seed, this.reduction) = (gamma, kappa, seed, reduction);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor quantiles, Tensor actions, Tensor rewards, Tensor next_quantiles, Tensor? taus, Tensor? dones) =>
        Losses.iqn_loss(quantiles, actions, rewards, next_quantiles, taus, dones, gamma, kappa, seed, reduction);
}

internal sealed class IqnDefinition : LossDefinition
{
    public override string Name => "iqn";
    public override string Family => Rl.Family;
    public override string Summary => "IQN: quantile Huber loss over the pairwise TD errors at sampled fractions (seeded), targets held.";
    public override string Math => "y_j = sg(r + gamma (1 - d) Z'_j(s', a*));  l = sum_i mean_j |tau_i - 1{u_ij < 0}| L_kappa(u_ij) / kappa,  u_ij = y_j - Z_{tau_i}(s, a),  tau ~ U[0,1) (seed)";
    public override string Reference => "Dabney, Ostrovski, Silver, Munos 2018, Implicit Quantile Networks for Distributional Reinforcement Learning";
    public override string Function => "Losses.iqn_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["target"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } = QrDqnDefinition.QuantileParameters(ParamSpec.Int("seed", 0, "seed of the sampled fractions when no taus input is given"));
    public override IReadOnlyList<InputSpec> Inputs { get; } = QrDqnDefinition.QuantileInputs(InputSpec.Optional("taus", "(N, Q) or (Q) fractions of the quantiles (default: drawn with seed)"));

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.iqn_loss(x.Required("quantiles"), x.Required("actions"), x.Required("rewards"), x.Required("next_quantiles"), x.Optional("taus"), x.Optional("dones"),
            p.Float("gamma"), p.Float("kappa"), p.Int("seed"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(4,3,6) seeded taus", g => QrDqnDefinition.Make(g, 4, 3, 6, 5, false), ("seed", "3"));
        yield return GradcheckCase.Of("(1,2,8) none kappa=0", g => QrDqnDefinition.Make(g, 1, 2, 8, 8, false), ("kappa", "0"), ("reduction", "none"));
        yield return GradcheckCase.Of("(5,2,4) given taus, chosen next, sum", g =>
        {
            var d = QrDqnDefinition.Make(g, 5, 2, 4, 7, true);
            d["taus"] = Sample.Uniform(g, [5, 4], 0, 1);
            return d;
        }, ("kappa", "0.5"), ("gamma", "0.9"), ("reduction", "sum"));
    }
}
