using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// n-step returns of reward sequences: <c>G_t = sum_{k &lt; m} gamma^k r_{t+k} + gamma^m V(s_{t+m})</c>,
    /// <c>m = min(n, T - t)</c>, cut short (without bootstrap) where an episode ends (Sutton and Barto sec. 7.1).
    /// </summary>
    /// <remarks>
    /// Near the end of the sequence the return bootstraps from V(s_T) after fewer than n steps; where <c>d_{t+j} = 1</c>
    /// (j &lt; m) the episode ended with step t + j: later rewards and the bootstrap are dropped. n = 1 gives the TD(0)
    /// target <c>r_t + gamma (1 - d_t) V(s_{t+1})</c>; n &gt;= T gives <see cref="discounted_returns"/> bootstrapped with V(s_T).
    /// <code>
    /// var targets = Losses.n_step_returns(rewards, values, n: 5, dones: dones);   // values (B, T + 1)
    /// </code>
    /// </remarks>
    /// <param name="rewards">Rewards r_t, shape (T) or (B, T).</param>
    /// <param name="values">V(s_0..s_T), shape (T + 1) or (B, T + 1), or (T) / (B, T) with <paramref name="bootstrap_value"/> (0 when not given).</param>
    /// <param name="n">The number of steps, at least 1.</param>
    /// <param name="dones">Optional episode-end flags (0/1), the shape of <paramref name="rewards"/>.</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="bootstrap_value">V(s_T) when <paramref name="values"/> has T steps: shape () or (B).</param>
    /// <returns>The n-step returns, the shape of <paramref name="rewards"/>.</returns>
    public static Tensor n_step_returns(Tensor rewards, Tensor values, long n = 3, Tensor? dones = null, double gamma = 0.99, Tensor? bootstrap_value = null)
    {
        const string name = "n_step_returns";
        CheckSequenceValues(rewards, values, dones, gamma, bootstrap_value, name);
        Check.Param(n >= 1, name, nameof(n), ">= 1", n);
        using var scope = NewDisposeScope();
        return NStepCore(rewards, Rl.Extended(values, rewards, bootstrap_value), n, dones, gamma).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The n-step TD value loss (Sutton and Barto sec. 7.1, semi-gradient): per step the error of V(s_t) against the held
    /// n-step return <see cref="n_step_returns"/>, squared (or Huber).
    /// </summary>
    /// <remarks>
    /// The predictions are the first T values; the targets bootstrap from the values themselves (held constant), including
    /// V(s_T). n trades the bias of bootstrapping (n = 1, TD(0)) against the variance of Monte-Carlo returns (large n).
    /// <code>
    /// var loss = Losses.n_step_td_loss(values, rewards, n: 5, dones: dones);   // values (B, T + 1)
    /// </code>
    /// </remarks>
    /// <param name="values">V(s_0..s_T), shape (T + 1) or (B, T + 1), or (T) / (B, T) with <paramref name="bootstrap_value"/>.</param>
    /// <param name="rewards">Rewards r_t, shape (T) or (B, T).</param>
    /// <param name="n">The number of steps, at least 1.</param>
    /// <param name="dones">Optional episode-end flags (0/1), the shape of <paramref name="rewards"/>.</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="bootstrap_value">V(s_T) (held) when <paramref name="values"/> has T steps: shape () or (B); 0 when not given.</param>
    /// <param name="value_loss">Squared error or Huber.</param>
    /// <param name="delta">The Huber threshold, &gt; 0.</param>
    /// <param name="reduction">none: per-step losses, the shape of <paramref name="rewards"/>; mean; sum.</param>
    /// <returns>A scalar, or the per-step losses for reduction none.</returns>
    public static Tensor n_step_td_loss(Tensor values, Tensor rewards, long n = 3, Tensor? dones = null, double gamma = 0.99, Tensor? bootstrap_value = null, ValueLoss value_loss = ValueLoss.Mse, double delta = 1.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "n_step_td_loss";
        CheckSequenceValues(rewards, values, dones, gamma, bootstrap_value, name);
        Check.Param(n >= 1, name, nameof(n), ">= 1", n);
        return SequenceValueLoss(values, rewards, bootstrap_value, (r, v) => NStepCore(r, v, n, dones, gamma), value_loss, delta, reduction, name);
    }

    /// <summary>Checks rewards, dones, gamma and values (T + 1 steps, or T and a bootstrap) of a sequence.</summary>
    private static void CheckSequenceValues(Tensor rewards, Tensor values, Tensor? dones, double gamma, Tensor? bootstrap_value, string name)
    {
        Rl.CheckRewards(rewards, dones, gamma, name);
        Rl.CheckValues(values, rewards, bootstrap_value, name);
        Check.SameDevice(name, (rewards, nameof(rewards)), (values, nameof(values)), (dones, nameof(dones)), (bootstrap_value, nameof(bootstrap_value)));
    }

    /// <summary>The error of the first T values against held targets computed from the rewards and all T + 1 values.</summary>
    private static Tensor SequenceValueLoss(Tensor values, Tensor rewards, Tensor? bootstrap_value, Func<Tensor, Tensor, Tensor> targets, ValueLoss value_loss, double delta, Reduction reduction, string name)
    {
        Rl.CheckValueLoss(value_loss, delta, name);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var v = Rl.Extended(values, rewards, bootstrap_value);
        var target = Surrogate.Hold("target", targets(rewards.to_type(v.dtype), v));
        var prediction = v.narrow(-1, 0, rewards.shape[^1]);
        return Reduce.Apply(Rl.ValueError(prediction, target, value_loss, delta), reduction, name).MoveToOuterDisposeScope();
    }

    /// <summary>n-step returns from checked inputs, values with T + 1 steps. Steps past the end are padded with reward 0,
    /// discount 1 and value V(s_T), so that every return bootstraps from V(s_T) at most.</summary>
    private static Tensor NStepCore(Tensor rewards, Tensor values, long n, Tensor? dones, double gamma)
    {
        long t = rewards.shape[^1];
        var lead = rewards.shape[..^1];
        var r = rewards.to_type(values.dtype);
        var pad = torch.zeros([.. lead, n], dtype: r.dtype, device: r.device);
        var rExt = torch.cat(new[] { r, pad }, -1);
        var gExt = torch.cat(new[] { gamma * Rl.NotDone(dones, r), pad + 1.0 }, -1);
        var last = values.narrow(-1, t, 1);
        var vExt = n > 1 ? torch.cat(new[] { values, last.expand([.. lead, n - 1]) }, -1) : values;
        var coef = torch.ones_like(r);
        var g = torch.zeros_like(r);
        for (long k = 0; k < n; k++)
        {
            g = g + coef * rExt.narrow(-1, k, t);
            coef = coef * gExt.narrow(-1, k, t);
        }
        return g + coef * vExt.narrow(-1, n, t);
    }
}

/// <summary>The n-step TD value loss as a module; see <see cref="Losses.n_step_td_loss"/>.</summary>
public sealed class NStepTdLoss : nn.Module<Tensor, Tensor, Tensor?, Tensor>
{
    private readonly long n;
    private readonly double gamma, delta;
    private readonly ValueLoss valueLoss;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.n_step_td_loss"/>.</summary>
    public NStepTdLoss(long n = 3, double gamma = 0.99, ValueLoss value_loss = ValueLoss.Mse, double delta = 1.0, Reduction reduction = Reduction.Mean) : base(nameof(NStepTdLoss))
    {
        Check.Param(n >= 1, nameof(NStepTdLoss), nameof(n), ">= 1", n);
        Check.UnitInterval(gamma, nameof(NStepTdLoss), nameof(gamma));
        Rl.CheckValueLoss(value_loss, delta, nameof(NStepTdLoss));
        Reduce.NoBatchMean(reduction, nameof(NStepTdLoss));
        (this.n, this.gamma, valueLoss, this.delta, this.reduction) = (n, gamma, value_loss, delta, reduction);
    }

    /// <summary>The loss of values (T + 1) or (B, T + 1), rewards (T) or (B, T) and dones (or null).</summary>
    public override Tensor forward(Tensor values, Tensor rewards, Tensor? dones) =>
        Losses.n_step_td_loss(values, rewards, n, dones, gamma, null, valueLoss, delta, reduction);
}

internal sealed class NStepTdDefinition : LossDefinition
{
    public override string Name => "n_step_td";
    public override string Family => Rl.Family;
    public override string Summary => "n-step TD value loss: V(s_t) against the held n-step return, cut at episode ends.";
    public override string Math => "G_t = sum_{k<m} gamma^k r_{t+k} + gamma^m V(s_{t+m}), m = min(n, T - t) (cut at dones);  l_t = (V(s_t) - sg(G_t))^2";
    public override string Reference => "Sutton and Barto 2018, Reinforcement Learning: An Introduction, sec. 7.1 (n-step TD prediction)";
    public override string Function => "Losses.n_step_td_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["target"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } = Td0Definition.ValueParameters(ParamSpec.Int("n", 3, "number of steps", min: 1));
    public override IReadOnlyList<InputSpec> Inputs { get; } = Sequences;

    /// <summary>The inputs of the sequence value losses.</summary>
    internal static readonly InputSpec[] Sequences =
    [
        InputSpec.Grad("values", "(T + 1) or (B, T + 1) V(s_0..s_T), or (T) / (B, T) with bootstrap_value"),
        InputSpec.Data("rewards", "(T) or (B, T) rewards"),
        InputSpec.Optional("dones", "(T) or (B, T) episode-end flags 0/1"),
        InputSpec.Optional("bootstrap_value", "() or (B) V(s_T) when values has T steps"),
    ];

    /// <summary>Gradcheck inputs of the sequence value losses: values with T + 1 steps, or T and a bootstrap.</summary>
    internal static Dictionary<string, Tensor> Make(Generator g, long[] shape, bool bootstrap)
    {
        var d = new Dictionary<string, Tensor> { ["rewards"] = Sample.Normal(g, shape), ["dones"] = Sample.Binary(g, shape) };
        long[] vs = [.. shape];
        if (!bootstrap) vs[^1] += 1;
        else d["bootstrap_value"] = Sample.Normal(g, shape[..^1]);
        d["values"] = Sample.Normal(g, vs);
        return d;
    }

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.n_step_td_loss(x.Required("values"), x.Required("rewards"), p.Int("n"), x.Optional("dones"), p.Float("gamma"), x.Optional("bootstrap_value"), Td0Definition.Kind(p), p.Float("delta"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(7) n=3", g => Make(g, [7], false));
        yield return GradcheckCase.Of("(2,5) n=2 sum, bootstrap", g => Make(g, [2, 5], true), ("n", "2"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,1) n=4 none", g => Make(g, [1, 1], false), ("n", "4"), ("reduction", "none"));
        yield return GradcheckCase.Of("(3,6) n=1 gamma=0.8", g => Make(g, [3, 6], false), ("n", "1"), ("gamma", "0.8"));
    }
}
