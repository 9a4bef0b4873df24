using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The QR-DQN loss (Dabney, Rowland, Bellemare, Munos 2018, "Distributional Reinforcement Learning with Quantile
    /// Regression"): per transition the quantile Huber loss <c>sum_i mean_j rho^kappa_{tau_i}(y_j - theta_i(s, a))</c>
    /// between the predicted quantiles theta_i at the midpoints <c>tau_i = (2i + 1) / (2Q)</c> and the held target samples
    /// <c>y_j = r + gamma (1 - d) theta'_j(s', a*)</c>.
    /// </summary>
    /// <remarks>
    /// <c>rho^kappa_tau(u) = |tau - 1{u &lt; 0}| L_kappa(u) / kappa</c> with the Huber loss <c>L_kappa(u) = u^2 / 2</c> for
    /// <c>|u| &lt;= kappa</c> and <c>kappa (|u| - kappa / 2)</c> beyond; kappa = 0 is the plain quantile regression loss
    /// <c>|tau - 1{u &lt; 0}| |u|</c>. a* is the target network's greedy action, <c>argmax_a mean_j theta'_j(s', a)</c>,
    /// when next quantiles (N, A', Q') are given; (N, Q') are the already chosen action's. The paper (and SB3-contrib,
    /// kappa 1) sums over the predicted quantiles and averages over the targets, as here. The pairwise errors take
    /// N x Q x Q' values.
    /// <code>
    /// var loss = Losses.qr_dqn_loss(qNet.forward(s), actions, rewards, targetNet.forward(sNext), dones);   // (N, A, 200)
    /// </code>
    /// </remarks>
    /// <param name="quantiles">The online network's quantiles for every action, shape (N, A, Q).</param>
    /// <param name="actions">The actions taken, shape (N), int64.</param>
    /// <param name="rewards">Rewards, shape (N).</param>
    /// <param name="next_quantiles">The target network's quantiles at s', shape (N, A', Q') or (N, Q') (held).</param>
    /// <param name="dones">Optional terminal flags (0/1), shape (N).</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="kappa">The Huber threshold, at least 0 (0: quantile regression without Huber).</param>
    /// <param name="reduction">none: per-transition losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor qr_dqn_loss(Tensor quantiles, Tensor actions, Tensor rewards, Tensor next_quantiles, Tensor? dones = null, double gamma = 0.99, double kappa = 1.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "qr_dqn_loss";
        CheckQuantileLoss(quantiles, actions, rewards, next_quantiles, dones, gamma, kappa, reduction, name);

        using var scope = NewDisposeScope();
        long q = quantiles.shape[2];
        var taus = (torch.arange(q, dtype: quantiles.dtype, device: quantiles.device) * 2 + 1) / (2.0 * q);
        return QuantileLossCore(quantiles, actions, rewards, next_quantiles, dones, gamma, kappa, taus, reduction, name).MoveToOuterDisposeScope();
    }

    private static void CheckQuantileLoss(Tensor quantiles, Tensor actions, Tensor rewards, Tensor next_quantiles, Tensor? dones, double gamma, double kappa, Reduction reduction, string name)
    {
        Rl.CheckDistributional(quantiles, nameof(quantiles), actions, next_quantiles, nameof(next_quantiles), name);
        if (quantiles.shape[2] == 0 || next_quantiles.shape[^1] == 0)
            throw new ArgumentException($"{name}: 'quantiles' and 'next_quantiles' need at least one quantile, got shapes {Check.Shape(quantiles)} and {Check.Shape(next_quantiles)}", nameof(quantiles));
        Rl.CheckTransitions(rewards, dones, gamma, name, quantiles.shape[0]);
        Check.Param(kappa >= 0 && double.IsFinite(kappa), name, nameof(kappa), "a finite number >= 0", kappa);
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (quantiles, nameof(quantiles)), (actions, nameof(actions)), (rewards, nameof(rewards)), (next_quantiles, nameof(next_quantiles)), (dones, nameof(dones)));
    }

    /// <summary>The quantile Huber loss of the taken actions' quantiles against the held distributional Bellman targets.</summary>
    private static Tensor QuantileLossCore(Tensor quantiles, Tensor actions, Tensor rewards, Tensor nextQuantiles, Tensor? dones, double gamma, double kappa, Tensor taus, Reduction reduction, string name)
    {
        var dt = quantiles.dtype;
        var next = nextQuantiles.to_type(dt);
        if (next.dim() == 3) next = Rl.TakeAction(next, next.mean(new long[] { 2 }).argmax(1));
        var target = Surrogate.Hold("target", rewards.to_type(dt).unsqueeze(1) + gamma * Rl.NotDone(dones, rewards).to_type(dt).unsqueeze(1) * next);
        var loss = Rl.QuantileHuber(Rl.TakeAction(quantiles, actions), target, taus, kappa);
        return Reduce.Apply(loss, reduction, name);
    }
}

/// <summary>The QR-DQN loss as a module; see <see cref="Losses.qr_dqn_loss"/>. Its forward takes quantiles, actions,
/// rewards, the target network's next quantiles and dones (or null).</summary>
public sealed class QrDqnLoss : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor>
{
    private readonly double gamma, kappa;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.qr_dqn_loss"/>.</summary>
    public QrDqnLoss(double gamma = 0.99, double kappa = 1.0, Reduction reduction = Reduction.Mean) : base(nameof(QrDqnLoss))
    {
        Check.UnitInterval(gamma, nameof(QrDqnLoss), nameof(gamma));
        Check.Param(kappa >= 0 && double.IsFinite(kappa), nameof(QrDqnLoss), nameof(kappa), "a finite number >= 0", kappa);
        Reduce.NoBatchMean(reduction, nameof(QrDqnLoss));
        (this.gamma, this.kappa, this.reduction) = (gamma, kappa, reduction);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor quantiles, Tensor actions, Tensor rewards, Tensor next_quantiles, Tensor? dones) =>
        Losses.qr_dqn_loss(quantiles, actions, rewards, next_quantiles, dones, gamma, kappa, reduction);
}

internal sealed class QrDqnDefinition : LossDefinition
{
    public override string Name => "qr_dqn";
    public override string Family => Rl.Family;
    public override string Summary => "QR-DQN: quantile Huber loss of the predicted quantiles (midpoint fractions) to the held distributional Bellman target.";
    public override string Math => "y_j = sg(r + gamma (1 - d) theta'_j(s', a*));  l = sum_i mean_j |tau_i - 1{u_ij < 0}| L_kappa(u_ij) / kappa,  u_ij = y_j - theta_i(s, a),  tau_i = (2i + 1) / (2Q)";
    public override string Reference => "Dabney, Rowland, Bellemare, Munos 2018, Distributional Reinforcement Learning with Quantile Regression; SB3-contrib QR-DQN";
    public override string Function => "Losses.qr_dqn_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["target"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } = QuantileParameters();
    public override IReadOnlyList<InputSpec> Inputs { get; } = QuantileInputs();

    /// <summary>gamma, kappa, [more], reduction.</summary>
    internal static ParamSpec[] QuantileParameters(params ParamSpec[] more) =>
    [
        Rl.Gamma,
        ParamSpec.Float("kappa", 1.0, "Huber threshold of the quantile loss (0: plain quantile regression)", min: 0),
        .. more,
        ParamSpec.Reduction(),
    ];

    /// <summary>quantiles, actions, rewards, next_quantiles, dones, [more].</summary>
    internal static InputSpec[] QuantileInputs(params InputSpec[] more) =>
    [
        InputSpec.Grad("quantiles", "(N, A, Q) online quantiles"),
        InputSpec.Data("actions", "(N) actions taken (int64)"),
        Rl.Rewards,
        InputSpec.Data("next_quantiles", "(N, A', Q') or (N, Q') target network's quantiles at s' (held)"),
        Rl.Dones,
        .. more,
    ];

    /// <summary>Gradcheck inputs of the quantile losses.</summary>
    internal static Dictionary<string, Tensor> Make(Generator g, long n, long a, long q, long qNext, bool chosen) => new()
    {
        ["quantiles"] = Sample.Normal(g, [n, a, q], 2), ["actions"] = Sample.Labels(g, n, a), ["rewards"] = Sample.Normal(g, [n]),
        ["next_quantiles"] = chosen ? Sample.Normal(g, [n, qNext], 2) : Sample.Normal(g, [n, a, qNext], 2), ["dones"] = Sample.Binary(g, [n]),
    };

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.qr_dqn_loss(x.Required("quantiles"), x.Required("actions"), x.Required("rewards"), x.Required("next_quantiles"), x.Optional("dones"), p.Float("gamma"), p.Float("kappa"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(4,3,5)", g => Make(g, 4, 3, 5, 5, false));
        yield return GradcheckCase.Of("(1,2,8) none kappa=0", g => Make(g, 1, 2, 8, 8, false), ("kappa", "0"), ("reduction", "none"));
        yield return GradcheckCase.Of("(5,2,4) chosen next (6), sum kappa=0.5", g => Make(g, 5, 2, 4, 6, true), ("kappa", "0.5"), ("gamma", "0.9"), ("reduction", "sum"));
    }
}
