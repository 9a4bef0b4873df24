using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The projection of C51 (Bellemare, Dabney, Munos 2017, "A Distributional Perspective on Reinforcement Learning",
    /// Algorithm 1): the distribution with probabilities p_j on the atoms <c>r + gamma (1 - d) z_j</c>, clipped to
    /// [v_min, v_max], spread onto the fixed atoms <c>z_0..z_{K-1}</c> (evenly spaced from v_min to v_max) by linear
    /// interpolation between the two neighbouring atoms.
    /// </summary>
    /// <remarks>
    /// For each j: <c>b = (clip(r + gamma (1 - d) z_j) - v_min) / dz</c>, <c>l = floor(b)</c>, <c>u = ceil(b)</c>;
    /// <c>m_l += p_j (u - b)</c>, <c>m_u += p_j (b - l)</c>, and when b falls on an atom (l = u) the whole p_j goes to it
    /// (CleanRL's <c>(u + (l == u) - b)</c>). The result is a distribution (it sums to the sum of p).
    /// <code>
    /// var m = Losses.categorical_projection(nextProbs, rewards, dones, gamma: 0.99, v_min: -10, v_max: 10);
    /// </code>
    /// </remarks>
    /// <param name="next_probs">Probabilities of the next state's distribution on the K atoms, shape (N, K), K &gt;= 2.</param>
    /// <param name="rewards">Rewards, shape (N).</param>
    /// <param name="dones">Optional terminal flags (0/1), shape (N).</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="v_min">The smallest atom.</param>
    /// <param name="v_max">The largest atom, &gt; <paramref name="v_min"/>.</param>
    /// <returns>The projected probabilities, shape (N, K).</returns>
    public static Tensor categorical_projection(Tensor next_probs, Tensor rewards, Tensor? dones = null, double gamma = 0.99, double v_min = -10, double v_max = 10)
    {
        const string name = "categorical_projection";
        Check.Floating(next_probs, name, nameof(next_probs));
        Check.Rank(next_probs, name, nameof(next_probs), 2);
        CheckAtoms(next_probs.shape[1], next_probs.shape[1], v_min, v_max, name, nameof(next_probs));
        Rl.CheckTransitions(rewards, dones, gamma, name, next_probs.shape[0]);
        Check.SameDevice(name, (next_probs, nameof(next_probs)), (rewards, nameof(rewards)), (dones, nameof(dones)));
        using var scope = NewDisposeScope();
        return ProjectCore(next_probs, rewards, dones, gamma, v_min, v_max).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The C51 loss (Bellemare et al. 2017, as CleanRL's <c>c51.py</c>): per transition the cross-entropy
    /// <c>-sum_k m_k log p_k(s, a)</c> between the held projected target distribution m
    /// (<see cref="categorical_projection"/> of the target network's distribution at s' for its greedy action) and the
    /// predicted distribution <c>p(s, a) = softmax(logits[a])</c> over the fixed atoms.
    /// </summary>
    /// <remarks>
    /// The predicted log-probabilities come from <c>log_softmax</c> of the logits (CleanRL clamps probabilities to
    /// [1e-5, 1 - 1e-5] before the log instead; the exact log-softmax is finite for logits of magnitude 1e4). The atoms are
    /// <c>linspace(v_min, v_max, n_atoms)</c>; the paper's Atari setting is 51 atoms on [-10, 10]. Given next logits
    /// (N, A, K), the next action is the target network's greedy one, <c>argmax_a sum_k z_k p_k(s', a)</c>; given (N, K),
    /// they are the distribution of the already chosen next action.
    /// <code>
    /// var loss = Losses.c51_loss(qNet.forward(s), actions, rewards, targetNet.forward(sNext), dones);   // (N, A, 51) logits
    /// </code>
    /// </remarks>
    /// <param name="logits">The online network's logits over the atoms for every action, shape (N, A, K).</param>
    /// <param name="actions">The actions taken, shape (N), int64.</param>
    /// <param name="rewards">Rewards, shape (N).</param>
    /// <param name="next_logits">The target network's logits at s', shape (N, A', K) or (N, K) (held).</param>
    /// <param name="dones">Optional terminal flags (0/1), shape (N).</param>
    /// <param name="gamma">The discount, in [0, 1].</param>
    /// <param name="v_min">The smallest atom.</param>
    /// <param name="v_max">The largest atom, &gt; <paramref name="v_min"/>.</param>
    /// <param name="n_atoms">The number of atoms K (checked against the logits), at least 2.</param>
    /// <param name="reduction">none: per-transition losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor c51_loss(Tensor logits, Tensor actions, Tensor rewards, Tensor next_logits, Tensor? dones = null, double gamma = 0.99, double v_min = -10, double v_max = 10, long n_atoms = 51, Reduction reduction = Reduction.Mean)
    {
        const string name = "c51_loss";
        Rl.CheckDistributional(logits, nameof(logits), actions, next_logits, nameof(next_logits), name);
        CheckAtoms(logits.shape[2], n_atoms, v_min, v_max, name, nameof(logits));
        if (next_logits.shape[^1] != n_atoms)
            throw new ArgumentException($"{name}: 'next_logits' must have n_atoms = {n_atoms} entries in its last dimension, got shape {Check.Shape(next_logits)}", nameof(next_logits));
        Rl.CheckTransitions(rewards, dones, gamma, name, logits.shape[0]);
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (logits, nameof(logits)), (actions, nameof(actions)), (rewards, nameof(rewards)), (next_logits, nameof(next_logits)), (dones, nameof(dones)));

        using var scope = NewDisposeScope();
        var dt = logits.dtype;
        var nextProbs = torch.softmax(next_logits.to_type(dt), -1);
        if (nextProbs.dim() == 3)
        {
            var atoms = torch.linspace(v_min, v_max, n_atoms, dtype: dt, device: logits.device);
            var greedy = (nextProbs * atoms).sum(-1).argmax(1);
            nextProbs = Rl.TakeAction(nextProbs, greedy);
        }
        var target = Surrogate.Hold("target_probs", ProjectCore(nextProbs, rewards, dones, gamma, v_min, v_max));
        var logp = torch.nn.functional.log_softmax(Rl.TakeAction(logits, actions), -1);
        var loss = -(target * logp).sum(-1);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }

    private static void CheckAtoms(long k, long nAtoms, double vMin, double vMax, string name, string arg)
    {
        Check.Param(nAtoms >= 2, name, "n_atoms", ">= 2", nAtoms);
        if (k != nAtoms)
            throw new ArgumentException($"{name}: '{arg}' must have n_atoms = {nAtoms} entries in its last dimension, got {k}; set n_atoms to the network's number of atoms", "n_atoms");
        Check.Param(double.IsFinite(vMin), name, "v_min", "a finite number", vMin);
        Check.Param(double.IsFinite(vMax) && vMax > vMin, name, "v_max", $"a finite number > v_min ({vMin})", vMax);
    }

    private static Tensor ProjectCore(Tensor nextProbs, Tensor rewards, Tensor? dones, double gamma, double vMin, double vMax)
    {
        var dt = nextProbs.dtype;
        long k = nextProbs.shape[1];
        var atoms = torch.linspace(vMin, vMax, k, dtype: dt, device: nextProbs.device);
        double dz = (vMax - vMin) / (k - 1);
        var tz = (rewards.to_type(dt).unsqueeze(1) + gamma * Rl.NotDone(dones, rewards).to_type(dt).unsqueeze(1) * atoms.unsqueeze(0)).clamp(vMin, vMax);
        var b = (tz - vMin) / dz;
        var l = b.floor().clamp(0, k - 1);
        var u = b.ceil().clamp(0, k - 1);
        var lower = (u + l.eq(u).to_type(dt) - b) * nextProbs;
        var upper = (b - l) * nextProbs;
        return torch.zeros_like(nextProbs).scatter_add(1, l.to_type(ScalarType.Int64), lower).scatter_add(1, u.to_type(ScalarType.Int64), upper);
    }
}

/// <summary>The C51 loss as a module; see <see cref="Losses.c51_loss"/>. Its forward takes logits, actions, rewards, the
/// target network's next logits and dones (or null).</summary>
public sealed class C51Loss : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor?, Tensor>
{
    private readonly double gamma, vMin, vMax;
    private readonly long nAtoms;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.c51_loss"/>.</summary>
    public C51Loss(double gamma = 0.99, double v_min = -10, double v_max = 10, long n_atoms = 51, Reduction reduction = Reduction.Mean) : base(nameof(C51Loss))
    {
        Check.UnitInterval(gamma, nameof(C51Loss), nameof(gamma));
        Check.Param(n_atoms >= 2, nameof(C51Loss), nameof(n_atoms), ">= 2", n_atoms);
        Check.Param(double.IsFinite(v_min) && double.IsFinite(v_max) && v_max > v_min, nameof(C51Loss), nameof(v_max), $"a finite number > v_min ({v_min})", v_max);
        Reduce.NoBatchMean(reduction, nameof(C51Loss));
        (this.gamma, vMin, vMax, nAtoms, this.reduction) = (gamma, v_min, v_max, n_atoms, reduction);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor logits, Tensor actions, Tensor rewards, Tensor next_logits, Tensor? dones) =>
        Losses.c51_loss(logits, actions, rewards, next_logits, dones, gamma, vMin, vMax, nAtoms, reduction);
}

internal sealed class C51Definition : LossDefinition
{
    public override string Name => "c51";
    public override string Family => Rl.Family;
    public override string Summary => "C51: cross-entropy of the predicted atom distribution to the held, projected distributional Bellman target.";
    public override string Math => "m = sg(Phi(r + gamma (1 - d) z, p_targ(s', a*)));  l = -sum_k m_k log softmax(logits[a])_k;  z = linspace(v_min, v_max, n_atoms)";
    public override string Reference => "Bellemare, Dabney, Munos 2017, A Distributional Perspective on Reinforcement Learning (Algorithm 1); CleanRL c51.py";
    public override string Function => "Losses.c51_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["target_probs"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        Rl.Gamma,
        ParamSpec.Float("v_min", -10, "smallest atom"),
        ParamSpec.Float("v_max", 10, "largest atom (> v_min)"),
        ParamSpec.Int("n_atoms", 51, "number of atoms (the logits' last dimension)", min: 2),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("logits", "(N, A, K) online logits over the atoms"),
        InputSpec.Data("actions", "(N) actions taken (int64)"),
        Rl.Rewards,
        InputSpec.Data("next_logits", "(N, A', K) or (N, K) target network's logits at s' (held)"),
        Rl.Dones,
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.c51_loss(x.Required("logits"), x.Required("actions"), x.Required("rewards"), x.Required("next_logits"), x.Optional("dones"),
            p.Float("gamma"), p.Float("v_min"), p.Float("v_max"), p.Int("n_atoms"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> Make(Generator g, long n, long a, long k, bool chosen) => new()
        {
            ["logits"] = Sample.Normal(g, [n, a, k]), ["actions"] = Sample.Labels(g, n, a), ["rewards"] = Sample.Normal(g, [n], 2),
            ["next_logits"] = chosen ? Sample.Normal(g, [n, k]) : Sample.Normal(g, [n, a, k]), ["dones"] = Sample.Binary(g, [n]),
        };
        yield return GradcheckCase.Of("(4,3,11)", g => Make(g, 4, 3, 11, false), ("n_atoms", "11"), ("v_min", "-5"), ("v_max", "5"));
        yield return GradcheckCase.Of("(1,2,51) none", g => Make(g, 1, 2, 51, false), ("reduction", "none"));
        yield return GradcheckCase.Of("(5,2,7) chosen next, sum", g => Make(g, 5, 2, 7, true), ("n_atoms", "7"), ("v_min", "-3"), ("v_max", "3"), ("gamma", "0.9"), ("reduction", "sum"));
    }
}
