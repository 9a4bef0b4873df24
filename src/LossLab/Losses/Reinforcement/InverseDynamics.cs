using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The inverse-dynamics auxiliary loss (Pathak et al. 2017, ICM's inverse model; Agrawal et al. 2016): a model g
    /// predicts the action taken between two states from their features, <c>a^ = g(phi(s_t), phi(s_{t+1}))</c>, and is
    /// scored by the cross-entropy <c>-log softmax(a^)[a_t]</c> for discrete actions (int64 <paramref name="actions"/>), or
    /// the squared error averaged over the action's dimensions, <c>mean_j (a^_j - a_j)^2</c>, for continuous ones
    /// (floating <paramref name="actions"/>).
    /// </summary>
    /// <remarks>
    /// <para>Training the encoder phi through this loss makes it keep what the agent's actions can change and drop what they
    /// cannot (ICM's argument). The discrete form is ICM's inverse loss L_I: <see cref="icm_loss"/> is
    /// <c>(1 - beta)</c> times this plus <c>beta</c> times <see cref="forward_dynamics_loss"/>. It is computed with
    /// <see cref="cross_entropy"/> (log_softmax: logits of magnitude 1e4 in float32 stay finite); the continuous mean equals
    /// <see cref="mse_loss"/> over all elements.</para>
    /// <code>
    /// var logits = inverseModel.forward(torch.cat(new[] { encoder.forward(s), encoder.forward(sNext) }, 1));
    /// var loss = Losses.inverse_dynamics_loss(logits, actions);              // discrete: actions int64 (N)
    /// var lossC = Losses.inverse_dynamics_loss(predictedActions, actionsC);   // continuous: (N, A) floating
    /// </code>
    /// </remarks>
    /// <param name="input">Discrete: action logits (N, A). Continuous: predicted actions, the shape of <paramref name="actions"/>, (N) or (N, ...).</param>
    /// <param name="actions">The actions taken: int64 indices (N) in [0, A), or floating actions (N) or (N, ...).</param>
    /// <param name="reduction">none: per-transition losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor inverse_dynamics_loss(Tensor input, Tensor actions, Reduction reduction = Reduction.Mean)
    {
        const string name = "inverse_dynamics_loss";
        Check.NotNull(actions, name, nameof(actions));
        Reduce.NoBatchMean(reduction, name);
        if (actions.dtype.IsFloatingPoint())
        {
            IntrinsicReward.CheckFeatures(input, actions, name, nameof(actions), nameof(input));
            Check.HasSamples(input, name, nameof(input));
            using var scope = NewDisposeScope();
            return Reduce.Apply(IntrinsicReward.SquaredErrorPerSample(input, actions, mean: true), reduction, name).MoveToOuterDisposeScope();
        }
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        Check.HasSamples(input, name, nameof(input));
        Check.Integer(actions, name, nameof(actions));
        Check.Rank(actions, name, nameof(actions), 1);
        Check.SameBatch(input, nameof(input), actions, nameof(actions), name);
        Check.ClassIndices(actions, input.shape[1], name, nameof(actions));
        Check.SameDevice(name, (input, nameof(input)), (actions, nameof(actions)));
        return cross_entropy(input, actions, reduction: reduction);
    }
}

/// <summary>The inverse-dynamics loss as a module; see <see cref="Losses.inverse_dynamics_loss"/>. <c>forward(input, actions)</c>.</summary>
public sealed class InverseDynamicsLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.inverse_dynamics_loss"/>.</summary>
    public InverseDynamicsLoss(Reduction reduction = Reduction.Mean) : base(nameof(InverseDynamicsLoss))
    {
        Reduce.NoBatchMean(reduction, nameof(InverseDynamicsLoss));
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor actions) => Losses.inverse_dynamics_loss(input, actions, reduction);
}

internal sealed class InverseDynamicsDefinition : LossDefinition
{
    public override string Name => "inverse_dynamics";
    public override string Family => Rl.Family;
    public override string Summary => "Inverse dynamics (ICM's inverse model): predict the action from phi(s), phi(s'); cross-entropy for discrete actions, mean squared error for continuous ones.";
    public override string Math => "discrete (int64 actions): l_i = -log softmax(input_i)[a_i];  continuous (floating actions): l_i = mean_j (input_ij - a_ij)^2";
    public override string Reference => "Pathak, Agrawal, Efros, Darrell 2017, Curiosity-driven Exploration by Self-supervised Prediction (inverse model); Agrawal et al. 2016, Learning to Poke by Poking";
    public override string Function => "Losses.inverse_dynamics_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, A) action logits (discrete) or predicted actions, the shape of actions (continuous)"),
        InputSpec.Data("actions", "(N) int64 actions taken (discrete) or (N, A) floating actions (continuous)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.inverse_dynamics_loss(x.Required("input"), x.Required("actions"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Discrete(long n, long a) => g => new() { ["input"] = Sample.Normal(g, [n, a], 2), ["actions"] = Sample.Labels(g, n, a) };
        static Func<Generator, Dictionary<string, Tensor>> Continuous(long n, long a) => g => new() { ["input"] = Sample.Normal(g, [n, a]), ["actions"] = Sample.Uniform(g, [n, a], -1, 1) };
        yield return GradcheckCase.Of("(6,4) discrete mean", Discrete(6, 4));
        yield return GradcheckCase.Of("(1,3) discrete sum", Discrete(1, 3), ("reduction", "sum"));
        yield return GradcheckCase.Of("(5,2) continuous none", Continuous(5, 2), ("reduction", "none"));
        yield return GradcheckCase.Of("(4,3) continuous mean", Continuous(4, 3));
    }
}
