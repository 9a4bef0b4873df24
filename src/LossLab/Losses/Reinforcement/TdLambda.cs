using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// lambda-returns of reward sequences, computed backward: <c>G_t = r_t + gamma (1 - d_t) ((1 - lambda) V(s_{t+1}) +
    /// lambda G_{t+1})</c>, <c>G_T = V(s_T)</c> (Sutton and Barto sec. 12.1; the recursive form of Dreamer and rlax).
    /// </summary>
    /// <remarks>
    /// The lambda-return is the (1 - lambda)-weighted mixture of all n-step returns, truncated at the end of the sequence
    /// (bootstrapped with V(s_T)) and at episode ends. lambda = 0 gives the TD(0) target, lambda = 1 the discounted return
    /// bootstrapped with V(s_T). It equals the returns of <see cref="gae"/> (advantage plus value).
    /// <code>
    /// var targets = Losses.lambda_returns(rewards, values, dones, lambda_: 0.95);   // values (B, T + 1)
    /// </code>
    /// </remarks>
    /// <param name="rewards">Rewards r_t, shape (T) or (B, T).</param>
    /// <param name="values">V(s_0..s_T), shape (T + 1) or (B, T + 1), or (T) / (B, T) with <paramref name="bootstrap_value"/> (0 when not given).</param>
    /// <param name="dones">Optional episode-end flags (0/1), the shape of <paramref name="rewards"/>.</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="lambda_">The mixing parameter lambda, in [0, 1].</param>
    /// <param name="bootstrap_value">V(s_T) when <paramref name="values"/> has T steps: shape () or (B).</param>
    /// <returns>The lambda-returns, the shape of <paramref name="rewards"/>.</returns>
    public static Tensor lambda_returns(Tensor rewards, Tensor values, Tensor? dones = null, double gamma = 0.99, double lambda_ = 0.95, Tensor? bootstrap_value = null)
    {
        const string name = "lambda_returns";
        CheckSequenceValues(rewards, values, dones, gamma, bootstrap_value, name);
        Check.UnitInterval(lambda_, name, nameof(lambda_));
        using var scope = NewDisposeScope();
        return LambdaCore(rewards, Rl.Extended(values, rewards, bootstrap_value), dones, gamma, lambda_).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The TD(lambda) value loss (forward view, Sutton and Barto sec. 12.1, semi-gradient): per step the error of V(s_t)
    /// against the held lambda-return <see cref="lambda_returns"/>, squared (or Huber).
    /// </summary>
    /// <remarks>
    /// The predictions are the first T values; the lambda-returns are computed backward from the values themselves and held
    /// constant. lambda = 0 is TD(0) on each step, lambda = 1 a Monte-Carlo value loss bootstrapped at the sequence's end.
    /// <code>
    /// var loss = Losses.td_lambda_loss(values, rewards, dones, lambda_: 0.9);   // values (B, T + 1)
    /// </code>
    /// </remarks>
    /// <param name="values">V(s_0..s_T), shape (T + 1) or (B, T + 1), or (T) / (B, T) with <paramref name="bootstrap_value"/>.</param>
    /// <param name="rewards">Rewards r_t, shape (T) or (B, T).</param>
    /// <param name="dones">Optional episode-end flags (0/1), the shape of <paramref name="rewards"/>.</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="lambda_">The mixing parameter lambda, in [0, 1].</param>
    /// <param name="bootstrap_value">V(s_T) (held) when <paramref name="values"/> has T steps: shape () or (B); 0 when not given.</param>
    /// <param name="value_loss">Squared error or Huber.</param>
    /// <param name="delta">The Huber threshold, &gt; 0.</param>
    /// <param name="reduction">none: per-step losses, the shape of <paramref name="rewards"/>; mean; sum.</param>
    /// <returns>A scalar, or the per-step losses for reduction none.</returns>
    public static Tensor td_lambda_loss(Tensor values, Tensor rewards, Tensor? dones = null, double gamma = 0.99, double lambda_ = 0.95, Tensor? bootstrap_value = null, ValueLoss value_loss = ValueLoss.Mse, double delta = 1.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "td_lambda_loss";
        CheckSequenceValues(rewards, values, dones, gamma, bootstrap_value, name);
        Check.UnitInterval(lambda_, name, nameof(lambda_));
        return SequenceValueLoss(values, rewards, bootstrap_value, (r, v) => LambdaCore(r, v, dones, gamma, lambda_), value_loss, delta, reduction, name);
    }

    private static Tensor LambdaCore(Tensor rewards, Tensor values, Tensor? dones, double gamma, double lambda)
    {
        long t = rewards.shape[^1];
        var r = rewards.to_type(values.dtype);
        var discount = gamma * Rl.NotDone(dones, r);
        var c = r + discount * (1 - lambda) * values.narrow(-1, 1, t);
        return Rl.BackwardScan(c, discount * lambda, values.select(-1, t));
    }
}

/// <summary>The TD(lambda) value loss as a module; see <see cref="Losses.td_lambda_loss"/>.</summary>
public sealed class TdLambdaLoss : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    private readonly double gamma, lambda, delta;
    private readonly ValueLoss valueLoss;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.td_lambda_loss"/>.</summary>
    public TdLambdaLoss(double gamma = 0.99, double lambda_ = 0.95, ValueLoss value_loss = ValueLoss.Mse, double delta = 1.0, Reduction reduction = Reduction.Mean) : base(nameof(TdLambdaLoss))
    {
        Check.UnitInterval(gamma, nameof(TdLambdaLoss), nameof(gamma));
        Check.UnitInterval(lambda_, nameof(TdLambdaLoss), nameof(lambda_));
        Rl.CheckValueLoss(value_loss, delta, nameof(TdLambdaLoss));
        Reduce.NoBatchMean(reduction, nameof(TdLambdaLoss));
        (this.gamma, lambda, valueLoss, this.delta, this.reduction) = (gamma, lambda_, value_loss, delta, reduction);
    }

    /// <summary>The loss of values (T + 1) or (B, T + 1), rewards (T) or (B, T) and dones (or null).</summary>
    public override Tensor forward(Tensor values, Tensor rewards, Tensor? dones) =>
        Losses.td_lambda_loss(values, rewards, dones, gamma, lambda, null, valueLoss, delta, reduction);
}

internal sealed class TdLambdaDefinition : LossDefinition
{
    public override string Name => "td_lambda";
    public override string Family => Rl.Family;
    public override string Summary => "TD(lambda) value loss: V(s_t) against the held lambda-return computed backward.";
    public override string Math => "G_t = r_t + gamma (1 - d_t) ((1 - lambda) V(s_{t+1}) + lambda G_{t+1}), G_T = V(s_T);  l_t = (V(s_t) - sg(G_t))^2";
    public override string Reference => "Sutton 1988; Sutton and Barto 2018, sec. 12.1 (the lambda-return); Schulman et al. 2016 (GAE)";
    public override string Function => "Losses.td_lambda_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["target"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } = Td0Definition.ValueParameters(ParamSpec.Float("lambda", 0.95, "mixing parameter of the n-step returns", min: 0, max: 1));
    public override IReadOnlyList<InputSpec> Inputs { get; } = NStepTdDefinition.Sequences;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.td_lambda_loss(x.Required("values"), x.Required("rewards"), x.Optional("dones"), p.Float("gamma"), p.Float("lambda"), x.Optional("bootstrap_value"), Td0Definition.Kind(p), p.Float("delta"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(7)", g => NStepTdDefinition.Make(g, [7], false));
        yield return GradcheckCase.Of("(2,5) lambda=0.5 sum, bootstrap", g => NStepTdDefinition.Make(g, [2, 5], true), ("lambda", "0.5"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,1) none", g => NStepTdDefinition.Make(g, [1, 1], false), ("reduction", "none"));
        yield return GradcheckCase.Of("(3,6) lambda=1 gamma=0.8", g => NStepTdDefinition.Make(g, [3, 6], false), ("lambda", "1"), ("gamma", "0.8"));
    }
}
