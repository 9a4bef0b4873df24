using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Classification as a contextual bandit learned by a policy gradient (REINFORCE): the logits define a policy
    /// <c>pi = softmax(input)</c>, an action is sampled from it, the reward is 1 when it is the label, and the surrogate
    /// loss is <c>-sg(r - b) * log pi(a) - entropy_weight * H(pi)</c>, with b the batch's mean reward.
    /// </summary>
    /// <remarks>
    /// <para><b>Definition.</b> Per sample: <c>a ~ pi</c> (inverse-CDF sampling with one uniform draw per sample),
    /// <c>r = [a = y]</c>, <c>b = mean_i r_i</c> (when <paramref name="baseline"/>, else 0), advantage <c>A = r - b</c>,
    /// <c>H(pi) = -sum_c pi_c log pi_c</c>, and <c>l = -A * log pi(a) - entropy_weight * H(pi)</c>.</para>
    /// <para><b>Held terms.</b> The baseline (<c>baseline</c>) and the sampled action's advantage (<c>advantage</c>) are held
    /// constant: the gradient is the score-function estimate <c>-A * grad log pi(a)</c>, whose expectation over the
    /// sampled action is the gradient of the expected reward (minus the entropy bonus). The baseline reduces its variance
    /// (strictly, a batch mean that includes the sample itself biases it by O(1/N); use larger batches or no baseline
    /// when that matters). The sampled action is an index: no gradient flows through the sampling.</para>
    /// <para><b>Randomness.</b> One uniform number per sample from <paramref name="generator"/> (null: torch's default):
    /// the same generator state gives the same actions.</para>
    /// <para><b>When to use it.</b> To learn from bandit feedback (only whether the prediction was right is observed), or
    /// to optimise a non-differentiable reward; with full labels, cross-entropy is the better and lower-variance choice
    /// (its gradient is the expectation of this one's, for the log-likelihood reward).</para>
    /// <para>Computed with <c>log_softmax</c>: logits of magnitude 1e4 in float32 give finite values and gradients.</para>
    /// <code>
    /// var gen = new Generator(1);
    /// var loss = Losses.policy_gradient_loss(logits, labels, entropy_weight: 0.01, generator: gen);
    /// </code>
    /// Reference: Williams 1992, "Simple statistical gradient-following algorithms for connectionist reinforcement
    /// learning" (REINFORCE); Williams and Peng 1991 (entropy regularisation); Sutton and Barto 2018.
    /// </remarks>
    /// <param name="input">Logits of the policy, shape (N, C).</param>
    /// <param name="target">Class indices (the rewarded actions), shape (N), int64.</param>
    /// <param name="entropy_weight">Weight of the entropy bonus, &gt;= 0.</param>
    /// <param name="baseline">Subtract the batch's mean reward (held) from the rewards.</param>
    /// <param name="generator">The random generator (null: torch's default).</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor policy_gradient_loss(Tensor input, Tensor target, double entropy_weight = 0.01, bool baseline = true, Generator? generator = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "policy_gradient_loss";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        Check.Rank(target, name, nameof(target), 1);
        Check.SameBatch(input, nameof(input), target, nameof(target), name);
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));
        Check.Param(entropy_weight >= 0 && double.IsFinite(entropy_weight), name, nameof(entropy_weight), "a finite number >= 0", entropy_weight);
        Reduce.NoBatchMean(reduction, name);
        Check.ClassIndices(target, input.shape[1], name, nameof(target));

        using var scope = NewDisposeScope();
        long n = input.shape[0], c = input.shape[1];
        var logp = torch.nn.functional.log_softmax(input, 1);
        var p = logp.exp();
        // Inverse-CDF sampling: a = number of classes whose cumulative probability is at most u (capped at C - 1).
        var u = torch.rand(new[] { n, 1 }, dtype: ScalarType.Float64, generator: generator).to(input.device);
        var cdf = p.to_type(ScalarType.Float64).cumsum(1);
        var action = cdf.le(u).sum(1).clamp_max(c - 1).to_type(ScalarType.Int64);
        var reward = action.eq(target.to_type(ScalarType.Int64)).to_type(input.dtype);
        var b = baseline ? Surrogate.Hold("baseline", reward.mean()) : torch.zeros(Array.Empty<long>(), dtype: input.dtype, device: input.device);
        var advantage = Surrogate.Hold("advantage", reward - b);
        var logPiA = logp.gather(1, action.unsqueeze(1)).squeeze(1);
        var loss = -advantage * logPiA;
        if (entropy_weight > 0)
        {
            var entropy = -(p * logp).sum(1);
            loss = loss - entropy_weight * entropy;
        }
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The REINFORCE surrogate loss of a classifier as a module; it owns a generator seeded at construction. See <see cref="Losses.policy_gradient_loss"/>.</summary>
public sealed class PolicyGradientLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double entropyWeight;
    private readonly bool baseline;
    private readonly Generator generator;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.policy_gradient_loss"/>, and <paramref name="seed"/> seeds the module's generator.</summary>
    /// <param name="entropy_weight">Weight of the entropy bonus.</param>
    /// <param name="baseline">Subtract the batch's mean reward.</param>
    /// <param name="seed">Seed of the module's generator.</param>
    /// <param name="reduction">The reduction.</param>
    public PolicyGradientLoss(double entropy_weight = 0.01, bool baseline = true, ulong seed = 0, Reduction reduction = Reduction.Mean) : base(nameof(PolicyGradientLoss))
    {
        Check.Param(entropy_weight >= 0 && double.IsFinite(entropy_weight), nameof(PolicyGradientLoss), nameof(entropy_weight), "a finite number >= 0", entropy_weight);
        Reduce.NoBatchMean(reduction, nameof(PolicyGradientLoss));
        entropyWeight = entropy_weight;
        this.baseline = baseline;
        generator = new Generator(seed);
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.policy_gradient_loss(input, target, entropyWeight, baseline, generator, reduction);
}

internal sealed class PolicyGradientDefinition : LossDefinition
{
    public override string Name => "policy_gradient";
    public override string Family => "classification";
    public override string Summary => "Classifier as a contextual bandit: REINFORCE with a sampled action, reward [a = y], held batch-mean baseline and an entropy bonus.";
    public override string Math => "a ~ softmax(input); r = [a = y]; b = sg(mean r); l_i = -sg(r_i - b) log pi(a_i) - entropy_weight H(pi_i)";
    public override string Reference => "Williams 1992, REINFORCE; Williams and Peng 1991 (entropy bonus); Sutton and Barto 2018";
    public override string Function => "Losses.policy_gradient_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["baseline", "advantage"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("entropy_weight", 0.01, "weight of the entropy bonus", min: 0),
        ParamSpec.Bool("baseline", true, "subtract the batch's mean reward (held)"),
        ParamSpec.Int("seed", 0, "seed of the torch.Generator drawing the actions (same seed, same actions)", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) policy logits"),
        InputSpec.Data("target", "(N) class indices"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p)
    {
        using var generator = new Generator((ulong)p.Int("seed"));
        return Losses.policy_gradient_loss(x.Required("input"), x.Required("target"), p.Float("entropy_weight"), p.Bool("baseline"), generator, p.Reduction);
    }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(8,4) baseline entropy 0.01 mean", g => new() { ["input"] = Sample.Normal(g, [8, 4]), ["target"] = Sample.Labels(g, 8, 4) });
        yield return GradcheckCase.Of("(6,3) no baseline entropy 0.5 none", g => new() { ["input"] = Sample.Normal(g, [6, 3]), ["target"] = Sample.Labels(g, 6, 3) },
            ("baseline", "false"), ("entropy_weight", "0.5"), ("seed", "5"), ("reduction", "none"));
        yield return GradcheckCase.Of("(5,5) no entropy sum", g => new() { ["input"] = Sample.Normal(g, [5, 5], 2), ["target"] = Sample.Labels(g, 5, 5) },
            ("entropy_weight", "0"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,4) single sample", g => new() { ["input"] = Sample.Normal(g, [1, 4]), ["target"] = Sample.Labels(g, 1, 4) });
    }
}
