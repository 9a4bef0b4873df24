using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The DQN loss (Mnih et al. 2015, "Human-level control through deep reinforcement learning"): per transition the Huber
    /// error (or squared error) of <c>Q(s, a)</c> against the held target <c>r + gamma (1 - d) max_a' Q_targ(s', a')</c>;
    /// with <paramref name="double_dqn"/> (van Hasselt et al. 2016) the target is <c>Q_targ(s', argmax_a' Q(s', a'))</c>,
    /// the action chosen by the online network.
    /// </summary>
    /// <remarks>
    /// The target network's values, the online network's next values and so the whole target are held constant.
    /// SB3's DQN uses the Huber loss (smooth L1, delta 1), the default here; CleanRL's uses the squared error
    /// (<c>value_loss: ValueLoss.Mse</c>). For n-step DQN pass the discounted n-step rewards and gamma^n.
    /// When the online and the target network agree double DQN equals DQN.
    /// <code>
    /// var loss = Losses.dqn_loss(qNet.forward(s), actions, rewards, targetNet.forward(sNext), dones,
    ///     next_q_online: qNet.forward(sNext), double_dqn: true);
    /// </code>
    /// </remarks>
    /// <param name="q_values">Q(s, ·) of the online network, shape (N, A).</param>
    /// <param name="actions">The actions taken, shape (N), int64 in [0, A).</param>
    /// <param name="rewards">Rewards, shape (N).</param>
    /// <param name="next_q_values">Q_targ(s', ·) of the target network, shape (N, A) (held).</param>
    /// <param name="dones">Optional terminal flags (0/1), shape (N).</param>
    /// <param name="next_q_online">Q(s', ·) of the online network, shape (N, A) (held), needed with <paramref name="double_dqn"/>.</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="double_dqn">Select the next action with the online network's values.</param>
    /// <param name="value_loss">Huber (SB3) or squared error (CleanRL).</param>
    /// <param name="delta">The Huber threshold, &gt; 0.</param>
    /// <param name="reduction">none: per-transition losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor dqn_loss(Tensor q_values, Tensor actions, Tensor rewards, Tensor next_q_values, Tensor? dones = null, Tensor? next_q_online = null, double gamma = 0.99, bool double_dqn = false, ValueLoss value_loss = ValueLoss.Huber, double delta = 1.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "dqn_loss";
        Check.Floating(q_values, name, nameof(q_values));
        Check.Rank(q_values, name, nameof(q_values), 2);
        long n = q_values.shape[0];
        Check.Rank(actions, name, nameof(actions), 1);
        Check.SameBatch(q_values, nameof(q_values), actions, nameof(actions), name);
        Check.ClassIndices(actions, q_values.shape[1], name, nameof(actions));
        Rl.CheckTransitions(rewards, dones, gamma, name, n);
        Check.Floating(next_q_values, name, nameof(next_q_values));
        Check.Rank(next_q_values, name, nameof(next_q_values), 2);
        Check.SameBatch(q_values, nameof(q_values), next_q_values, nameof(next_q_values), name);
        if (double_dqn)
        {
            if (next_q_online is null)
                throw new ArgumentException($"{name}: double DQN needs 'next_q_online', the online network's Q(s', ·)", nameof(next_q_online));
            Check.Floating(next_q_online, name, nameof(next_q_online));
            Check.SameShape(next_q_values, nameof(next_q_values), next_q_online, nameof(next_q_online), name);
        }
        else if (next_q_online is not null)
            throw new ArgumentException($"{name}: 'next_q_online' is only used by double DQN; set double_dqn true or leave it out", nameof(next_q_online));
        Rl.CheckValueLoss(value_loss, delta, name);
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (q_values, nameof(q_values)), (actions, nameof(actions)), (rewards, nameof(rewards)), (next_q_values, nameof(next_q_values)), (dones, nameof(dones)), (next_q_online, nameof(next_q_online)));

        using var scope = NewDisposeScope();
        var dt = q_values.dtype;
        var next = double_dqn
            ? next_q_values.gather(1, next_q_online!.argmax(1, keepdim: true)).squeeze(1)
            : next_q_values.amax(new long[] { 1 });
        var target = Surrogate.Hold("target", rewards.to_type(dt) + gamma * Rl.NotDone(dones, rewards).to_type(dt) * next.to_type(dt));
        var q = q_values.gather(1, actions.unsqueeze(1)).squeeze(1);
        return Reduce.Apply(Rl.ValueError(q, target, value_loss, delta), reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The DQN loss as a module; see <see cref="Losses.dqn_loss"/>. Its forward takes Q-values, actions, rewards,
/// target Q-values, dones (or null) and the online network's next Q-values (or null; for double DQN).</summary>
public sealed class DqnLoss : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor?, Tensor>
{
    private readonly double gamma, delta;
    private readonly bool doubleDqn;
    private readonly ValueLoss valueLoss;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.dqn_loss"/>.</summary>
    public DqnLoss(double gamma = 0.99, bool double_dqn = false, ValueLoss value_loss = ValueLoss.Huber, double delta = 1.0, Reduction reduction = Reduction.Mean) : base(nameof(DqnLoss))
    {
        Check.UnitInterval(gamma, nameof(DqnLoss), nameof(gamma));
        Rl.CheckValueLoss(value_loss, delta, nameof(DqnLoss));
        Reduce.NoBatchMean(reduction, nameof(DqnLoss));
        (this.gamma, doubleDqn, valueLoss, this.delta, this.reduction) = (gamma, double_dqn, value_loss, delta, reduction);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor q_values, Tensor actions, Tensor rewards, Tensor next_q_values, Tensor? dones, Tensor? next_q_online) =>
        Losses.dqn_loss(q_values, actions, rewards, next_q_values, dones, next_q_online, gamma, doubleDqn, valueLoss, delta, reduction);
}

internal sealed class DqnDefinition : LossDefinition
{
    public override string Name => "dqn";
    public override string Family => Rl.Family;
    public override string Summary => "DQN: Huber TD error of Q(s, a) to the held target r + gamma (1 - d) max Q_targ(s', ·) (double-DQN option).";
    public override string Math => "y = sg(r + gamma (1 - d) Q_targ(s', a*)), a* = argmax Q_targ(s', ·) [double: argmax Q(s', ·)];  l = huber(Q(s, a) - y)";
    public override string Reference => "Mnih et al. 2015, Human-level control through deep RL; van Hasselt, Guez, Silver 2016, Deep RL with Double Q-learning; SB3 / CleanRL DQN";
    public override string Function => "Losses.dqn_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["target"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        Rl.Gamma,
        ParamSpec.Bool("double_dqn", false, "select the next action with the online network (needs next_q_online)"),
        ParamSpec.Choice("value_loss", "huber", "huber: Huber with threshold delta (SB3); mse: squared error (CleanRL)", "huber", "mse"),
        ParamSpec.Float("delta", 1.0, "Huber threshold", min: 0, minExclusive: true),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("q_values", "(N, A) online Q(s, ·)"),
        InputSpec.Data("actions", "(N) actions taken (int64)"),
        Rl.Rewards,
        InputSpec.Data("next_q_values", "(N, A) target network's Q(s', ·) (held)"),
        Rl.Dones,
        InputSpec.Optional("next_q_online", "(N, A) online network's Q(s', ·) (held), for double DQN"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.dqn_loss(x.Required("q_values"), x.Required("actions"), x.Required("rewards"), x.Required("next_q_values"), x.Optional("dones"), x.Optional("next_q_online"),
            p.Float("gamma"), p.Bool("double_dqn"), p.Choice("value_loss") == "mse" ? ValueLoss.Mse : ValueLoss.Huber, p.Float("delta"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        // The TD errors |Q(s, a) - y| are kept away from delta (the Huber kink).
        static Dictionary<string, Tensor> Make(Generator g, long n, long a, double gamma, double delta, bool twin)
        {
            var d = new Dictionary<string, Tensor>
            {
                ["q_values"] = Sample.Normal(g, [n, a]), ["actions"] = Sample.Labels(g, n, a), ["rewards"] = Sample.Normal(g, [n]),
                ["next_q_values"] = Sample.Normal(g, [n, a]), ["dones"] = Sample.Binary(g, [n]),
            };
            if (twin) d["next_q_online"] = Sample.Normal(g, [n, a]);
            var next = twin ? d["next_q_values"].gather(1, d["next_q_online"].argmax(1, keepdim: true)).squeeze(1) : d["next_q_values"].amax(new long[] { 1 });
            var y = d["rewards"] + gamma * (1 - d["dones"]) * next;
            var e = HuberLossDefinition.AwayFromThreshold(g, [n], delta);
            d["q_values"] = d["q_values"].scatter(1, d["actions"].unsqueeze(1), (y + e["input"] - e["target"]).unsqueeze(1));
            return d;
        }
        yield return GradcheckCase.Of("(6,3) huber", g => Make(g, 6, 3, 0.99, 1, false));
        yield return GradcheckCase.Of("(5,4) double, sum", g => Make(g, 5, 4, 0.99, 1, true), ("double_dqn", "true"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,2) mse none", g => Make(g, 1, 2, 0.9, 1, false), ("value_loss", "mse"), ("gamma", "0.9"), ("reduction", "none"));
        yield return GradcheckCase.Of("(4,3) huber delta=0.5 double", g => Make(g, 4, 3, 0.99, 0.5, true), ("delta", "0.5"), ("double_dqn", "true"));
    }
}
