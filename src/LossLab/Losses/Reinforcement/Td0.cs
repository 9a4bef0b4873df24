using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The TD(0) value loss (Sutton 1988; Sutton and Barto sec. 6.1, semi-gradient TD): per transition the error of V(s)
    /// against the held target <c>r + gamma (1 - d) V(s')</c>, squared (or Huber).
    /// </summary>
    /// <remarks>
    /// The bootstrapped target is held constant (the semi-gradient: no gradient through V(s'), whether it comes from the
    /// same network or a target network). <c>d = 1</c> marks a terminal s'. Minimising it moves V(s) by the TD error
    /// <c>delta = r + gamma V(s') - V(s)</c>: the gradient of the squared error is <c>-2 delta</c>.
    /// <code>
    /// var loss = Losses.td0_loss(critic.forward(s), rewards, critic.forward(sNext), dones, gamma: 0.99);
    /// </code>
    /// </remarks>
    /// <param name="values">V(s), any shape (*).</param>
    /// <param name="rewards">Rewards, the shape of <paramref name="values"/>.</param>
    /// <param name="next_values">V(s') (held), the shape of <paramref name="values"/>.</param>
    /// <param name="dones">Optional terminal flags (0/1), the shape of <paramref name="values"/>.</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="value_loss">Squared error or Huber.</param>
    /// <param name="delta">The Huber threshold, &gt; 0.</param>
    /// <param name="reduction">none: per-transition losses; mean; sum.</param>
    /// <returns>A scalar, or the per-transition losses for reduction none.</returns>
    public static Tensor td0_loss(Tensor values, Tensor rewards, Tensor next_values, Tensor? dones = null, double gamma = 0.99, ValueLoss value_loss = ValueLoss.Mse, double delta = 1.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "td0_loss";
        Check.Floating(values, name, nameof(values));
        Rl.CheckTransitions(rewards, dones, gamma, name, values.shape);
        Check.Floating(next_values, name, nameof(next_values));
        Check.SameShape(values, nameof(values), next_values, nameof(next_values), name);
        Rl.CheckValueLoss(value_loss, delta, name);
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (values, nameof(values)), (rewards, nameof(rewards)), (next_values, nameof(next_values)), (dones, nameof(dones)));

        using var scope = NewDisposeScope();
        var dt = values.dtype;
        var target = Surrogate.Hold("target", rewards.to_type(dt) + gamma * Rl.NotDone(dones, rewards).to_type(dt) * next_values.to_type(dt));
        return Reduce.Apply(Rl.ValueError(values, target, value_loss, delta), reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The TD(0) value loss as a module; see <see cref="Losses.td0_loss"/>.</summary>
public sealed class Td0Loss : nn.Module<Tensor, Tensor, Tensor, Tensor?, Tensor>
{
    private readonly double gamma, delta;
    private readonly ValueLoss valueLoss;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.td0_loss"/>.</summary>
    public Td0Loss(double gamma = 0.99, ValueLoss value_loss = ValueLoss.Mse, double delta = 1.0, Reduction reduction = Reduction.Mean) : base(nameof(Td0Loss))
    {
        Check.UnitInterval(gamma, nameof(Td0Loss), nameof(gamma));
        Rl.CheckValueLoss(value_loss, delta, nameof(Td0Loss));
        Reduce.NoBatchMean(reduction, nameof(Td0Loss));
        (this.gamma, valueLoss, this.delta, this.reduction) = (gamma, value_loss, delta, reduction);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor values, Tensor rewards, Tensor next_values, Tensor? dones) =>
        Losses.td0_loss(values, rewards, next_values, dones, gamma, valueLoss, delta, reduction);
}

internal sealed class Td0Definition : LossDefinition
{
    public override string Name => "td0";
    public override string Family => Rl.Family;
    public override string Summary => "TD(0) value loss: V(s) against the held one-step target r + gamma (1 - d) V(s').";
    public override string Math => "l = (V(s) - sg(r + gamma (1 - d) V(s')))^2   [or Huber]";
    public override string Reference => "Sutton 1988, Learning to Predict by the Methods of Temporal Differences; Sutton and Barto 2018, sec. 6.1 and 9.3";
    public override string Function => "Losses.td0_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["target"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } = ValueParameters();
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("values", "(*) V(s)"),
        InputSpec.Data("rewards", "(*) rewards"),
        InputSpec.Data("next_values", "(*) V(s') (held)"),
        InputSpec.Optional("dones", "(*) terminal flags 0/1"),
    ];

    /// <summary>gamma, value_loss, delta, reduction: the parameters of the value losses.</summary>
    internal static ParamSpec[] ValueParameters(params ParamSpec[] more) =>
    [
        Rl.Gamma,
        .. more,
        ParamSpec.Choice("value_loss", "mse", "mse: squared error; huber: Huber loss with threshold delta", "mse", "huber"),
        ParamSpec.Float("delta", 1.0, "Huber threshold (value_loss huber)", min: 0, minExclusive: true),
        ParamSpec.Reduction(),
    ];

    internal static ValueLoss Kind(LossParameters p) => p.Choice("value_loss") == "huber" ? ValueLoss.Huber : ValueLoss.Mse;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.td0_loss(x.Required("values"), x.Required("rewards"), x.Required("next_values"), x.Optional("dones"), p.Float("gamma"), Kind(p), p.Float("delta"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> Make(Generator g, long[] shape) => new()
        {
            ["values"] = Sample.Normal(g, shape), ["rewards"] = Sample.Normal(g, shape),
            ["next_values"] = Sample.Normal(g, shape), ["dones"] = Sample.Binary(g, shape),
        };
        yield return GradcheckCase.Of("(8) mse", g => Make(g, [8]));
        yield return GradcheckCase.Of("(3,4) sum gamma=0.5", g => Make(g, [3, 4]), ("gamma", "0.5"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1) none", g => Make(g, [1]), ("reduction", "none"));
        yield return GradcheckCase.Of("(6) huber delta=0.7", g =>
        {
            var d = Make(g, [6]);
            var target = d["rewards"] + 0.9 * (1 - d["dones"]) * d["next_values"];
            var e = HuberLossDefinition.AwayFromThreshold(g, [6], 0.7);
            d["values"] = target + (e["input"] - e["target"]);
            return d;
        }, ("value_loss", "huber"), ("delta", "0.7"), ("gamma", "0.9"));
    }
}
