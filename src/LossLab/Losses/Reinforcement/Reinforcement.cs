using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>How a value loss compares a prediction with its (held) target.</summary>
public enum ValueLoss
{
    /// <summary>The squared error <c>(prediction - target)^2</c>.</summary>
    Mse,
    /// <summary>The Huber loss with threshold <c>delta</c> (<see cref="Losses.huber_loss"/>), as SB3's DQN (smooth L1 with delta 1).</summary>
    Huber,
}

/// <summary>
/// What the reinforcement-learning losses share: argument checks of rewards, episode ends and values given per time
/// step (time is the last dimension, shape (T) or (B, T)), the backward recursion of returns, value errors, the
/// advantage normalisation of SB3/CleanRL and the quantile Huber loss of QR-DQN and IQN.
/// </summary>
internal static class Rl
{
    public const string Family = "reinforcement";

    /// <summary>The discount parameter of the registry entries.</summary>
    public static readonly ParamSpec Gamma = ParamSpec.Float("gamma", 0.99, "discount", min: 0, max: 1);

    /// <summary>The rewards input of the per-transition entries.</summary>
    public static readonly InputSpec Rewards = InputSpec.Data("rewards", "(N) rewards");

    /// <summary>The dones input of the per-transition entries.</summary>
    public static readonly InputSpec Dones = InputSpec.Optional("dones", "(N) terminal flags 0/1");

    /// <summary>Rewards (T) or (B, T), optional dones of their shape (0/1), gamma in [0, 1].</summary>
    public static void CheckRewards(Tensor rewards, Tensor? dones, double gamma, string loss)
    {
        Check.Sequence(rewards, loss, "rewards");
        if (dones is not null) Check.Flags(dones, rewards, loss, "dones", "rewards");
        Check.UnitInterval(gamma, loss, "gamma");
    }

    /// <summary>Per-transition rewards of any shape, optional dones of their shape, gamma in [0, 1].</summary>
    public static void CheckTransitions(Tensor rewards, Tensor? dones, double gamma, string loss, params long[] shape)
    {
        Check.Floating(rewards, loss, "rewards");
        if (!rewards.shape.SequenceEqual(shape))
            throw new ArgumentException($"{loss}: 'rewards' must have shape [{string.Join(", ", shape)}] (one reward per transition), got {Check.Shape(rewards)}", "rewards");
        if (dones is not null) Check.Flags(dones, rewards, loss, "dones", "rewards");
        Check.UnitInterval(gamma, loss, "gamma");
    }

    /// <summary>A bootstrap value V(s_T) per sequence: shape () for rewards (T), (B) for rewards (B, T).</summary>
    public static void CheckBootstrap(Tensor? bootstrap, Tensor rewards, string loss, string arg = "bootstrap_value")
    {
        if (bootstrap is null) return;
        Check.Floating(bootstrap, loss, arg);
        var want = rewards.shape[..^1];
        if (!bootstrap.shape.SequenceEqual(want))
            throw new ArgumentException($"{loss}: '{arg}' must have shape [{string.Join(", ", want)}] (one value per sequence of 'rewards' {Check.Shape(rewards)}), got {Check.Shape(bootstrap)}", arg);
    }

    /// <summary>
    /// State values of a sequence: the shape of rewards with T + 1 steps (the last is V(s_T), the bootstrap), or with T
    /// steps and the bootstrap given apart (or 0 when not given).
    /// </summary>
    public static void CheckValues(Tensor values, Tensor rewards, Tensor? bootstrap, string loss, string arg = "values")
    {
        Check.Floating(values, loss, arg);
        long t = rewards.shape[^1];
        bool sameLead = values.dim() == rewards.dim() && values.shape[..^1].SequenceEqual(rewards.shape[..^1]);
        if (!sameLead || (values.shape[^1] != t && values.shape[^1] != t + 1))
        {
            var lead = string.Join("", rewards.shape[..^1].Select(d => $"{d}, "));
            throw new ArgumentException($"{loss}: '{arg}' must have shape [{lead}{t + 1}] (V(s_0..s_T), the last the bootstrap) or [{lead}{t}] for 'rewards' {Check.Shape(rewards)}, got {Check.Shape(values)}", arg);
        }
        if (values.shape[^1] == t + 1 && bootstrap is not null)
            throw new ArgumentException($"{loss}: 'bootstrap_value' given but '{arg}' already holds T + 1 = {t + 1} steps (its last is the bootstrap); give one or the other", "bootstrap_value");
        CheckBootstrap(bootstrap, rewards, loss);
    }

    /// <summary>Values with T + 1 steps (see <see cref="CheckValues"/>).</summary>
    public static Tensor Extended(Tensor values, Tensor rewards, Tensor? bootstrap)
    {
        if (values.shape[^1] == rewards.shape[^1] + 1) return values;
        var last = bootstrap is null ? torch.zeros_like(values.select(-1, 0)) : bootstrap.to_type(values.dtype);
        return torch.cat(new[] { values, last.unsqueeze(-1) }, -1);
    }

    /// <summary>1 - dones in the dtype of <paramref name="like"/> (ones when no dones are given).</summary>
    public static Tensor NotDone(Tensor? dones, Tensor like) =>
        dones is null ? torch.ones_like(like) : 1.0 - dones.to_type(like.dtype);

    /// <summary>The backward recursion <c>x_t = c_t + k_t * x_{t+1}</c>, <c>x_T = init</c>, over the last dimension.</summary>
    public static Tensor BackwardScan(Tensor c, Tensor k, Tensor init)
    {
        long n = c.shape[^1];
        var outs = new Tensor[n];
        var x = init;
        for (long t = n - 1; t >= 0; t--)
        {
            x = c.select(-1, t) + k.select(-1, t) * x;
            outs[t] = x;
        }
        return torch.stack(outs, -1);
    }

    /// <summary>The per-element error of a prediction against its target.</summary>
    public static Tensor ValueError(Tensor prediction, Tensor target, ValueLoss kind, double delta) => kind switch
    {
        ValueLoss.Huber => Losses.huber_loss(prediction, target, Reduction.None, delta),
        _ => (prediction - target).square(),
    };

    /// <summary>Checks the value loss's kind and Huber threshold.</summary>
    public static void CheckValueLoss(ValueLoss kind, double delta, string loss)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException("loss", kind, $"{loss}: unknown value loss");
        Check.Param(delta > 0 && double.IsFinite(delta), loss, nameof(delta), "a finite number > 0", delta);
    }

    /// <summary>(a - mean(a)) / (std(a) + 1e-8) over all elements, as SB3 and CleanRL normalise advantages (the unbiased
    /// std); a single element is left as it is (SB3).</summary>
    public static Tensor Normalize(Tensor a) => a.numel() > 1 ? (a - a.mean()) / (a.std() + 1e-8) : a;

    /// <summary>Rows of a per-action tensor (N, A, K) for the given actions (N), giving (N, K).</summary>
    public static Tensor TakeAction(Tensor perAction, Tensor actions) =>
        perAction.gather(1, actions.reshape(-1, 1, 1).expand(-1, 1, perAction.shape[2])).squeeze(1);

    /// <summary>
    /// Checks (N, A, K) predictions with (N) actions and the next-state tensor: (N, A', K') (the greedy action is chosen
    /// inside) or (N, K') (already chosen).
    /// </summary>
    public static void CheckDistributional(Tensor current, string currentName, Tensor actions, Tensor next, string nextName, string loss)
    {
        Check.Floating(current, loss, currentName);
        Check.Rank(current, loss, currentName, 3);
        Check.Rank(actions, loss, nameof(actions), 1);
        Check.SameBatch(current, currentName, actions, nameof(actions), loss);
        Check.ClassIndices(actions, current.shape[1], loss, nameof(actions));
        Check.Floating(next, loss, nextName);
        Check.Rank(next, loss, nextName, 2, 3);
        Check.SameBatch(current, currentName, next, nextName, loss);
    }

    /// <summary>
    /// The quantile Huber loss of Dabney et al. per sample: <c>sum_i mean_j |tau_i - 1{u_ij &lt; 0}| L_kappa(u_ij) / kappa</c>
    /// with <c>u_ij = target_j - current_i</c>; <c>L_0(u) / 0</c> is read as <c>|u|</c>.
    /// </summary>
    /// <param name="current">(N, Q) predicted quantiles.</param>
    /// <param name="target">(N, Q') target samples (held by the caller).</param>
    /// <param name="taus">(N, Q) or (Q) quantile fractions of <paramref name="current"/>.</param>
    /// <param name="kappa">The Huber threshold, at least 0.</param>
    public static Tensor QuantileHuber(Tensor current, Tensor target, Tensor taus, double kappa)
    {
        var u = target.unsqueeze(1) - current.unsqueeze(2);
        var below = u.lt(0).to_type(u.dtype);
        var tau = taus.dim() == 1 ? taus.reshape(1, -1, 1) : taus.unsqueeze(2);
        var weight = (tau.to_type(u.dtype) - below).abs();
        Tensor l;
        if (kappa == 0) l = u.abs();
        else
        {
            var a = u.abs();
            l = torch.where(a.le(kappa), 0.5 * u.square(), kappa * (a - 0.5 * kappa)) / kappa;
        }
        return (weight * l).mean(new long[] { -1 }).sum(-1);
    }

    /// <summary>The policy's log-probabilities (and its entropy when <paramref name="wantEntropy"/>) from a registry entry's
    /// inputs: <c>log_probs</c>, or <c>logits</c> (…, A) with <c>actions</c> (…).</summary>
    public static (Tensor LogProbs, Tensor? Entropy) Policy(LossInputs x, string owner, bool wantEntropy)
    {
        var logProbs = x.Optional("log_probs");
        var logits = x.Optional("logits");
        if ((logProbs is null) == (logits is null))
            throw new ArgumentException($"{owner}: give either 'log_probs' or 'logits' with 'actions', not {(logits is null ? "neither" : "both")}", "log_probs");
        if (logits is null) return (logProbs!, x.Optional("entropy"));
        var actions = x.Optional("actions") ?? throw new ArgumentException($"{owner}: 'logits' needs 'actions' (the actions taken, int64)", "actions");
        var lp = Losses.policy_log_probs(logits, actions);
        var entropy = x.Optional("entropy") ?? (wantEntropy ? Losses.policy_entropy(logits) : null);
        return (lp, entropy);
    }

    /// <summary>The inputs by which a registry entry takes the policy: <c>log_probs</c>, or <c>logits</c> and <c>actions</c>.</summary>
    public static IEnumerable<InputSpec> PolicyInputs(string shape, string logitsShape) =>
    [
        new InputSpec("log_probs", $"{shape} log pi(a_t | s_t) of the actions taken (or give logits and actions)", Required: false, Differentiable: true),
        new InputSpec("logits", $"{logitsShape} policy logits (instead of log_probs)", Required: false, Differentiable: true),
        InputSpec.Optional("actions", $"{shape} the actions taken (int64), with logits"),
    ];

    /// <summary>The inputs by which a registry entry takes returns, or rewards (with dones and a bootstrap) to compute them.</summary>
    public static IEnumerable<InputSpec> ReturnInputs(string returns) =>
    [
        InputSpec.Optional("returns", $"(T) or (B, T) {returns} (or give rewards)"),
        InputSpec.Optional("rewards", "(T) or (B, T) rewards r_t"),
        InputSpec.Optional("dones", "(T) or (B, T) episode-end flags 0/1"),
        InputSpec.Optional("bootstrap_value", "() or (B) V(s_T) after the last step, with rewards"),
    ];

    /// <summary>Policy logits (…, A) and actions (…) for gradient checks.</summary>
    public static void AddPolicy(Generator g, Dictionary<string, Tensor> inputs, long[] shape, bool fromLogits, long actions = 3)
    {
        if (fromLogits)
        {
            inputs["logits"] = Sample.Normal(g, [.. shape, actions]);
            inputs["actions"] = torch.randint(0, actions, shape, dtype: ScalarType.Int64, generator: g);
        }
        else inputs["log_probs"] = -Sample.Uniform(g, shape, 0.1, 3);
    }
}
