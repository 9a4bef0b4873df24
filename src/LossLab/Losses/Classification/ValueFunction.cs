using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Classification as a contextual bandit learned by a value function: the network predicts a reward per class
    /// (<c>input</c>, (N, C)); an action is chosen epsilon-greedily, the reward is 1 when it is the label and 0 otherwise,
    /// and the loss is the squared error between the chosen action's predicted reward and the reward received.
    /// </summary>
    /// <remarks>
    /// <para><b>Definition.</b> Per sample, with probability <paramref name="epsilon"/> the action a is a class drawn
    /// uniformly at random, otherwise <c>argmax_c input_c</c> (the greedy action); <c>r = [a = y]</c>;
    /// <c>l = (input_a - r)^2</c>. Only the chosen action's prediction receives a gradient (bandit feedback: the label
    /// is never revealed, only whether the action was right). The action is an index, a step function of the input, so
    /// no gradient flows through the choice. The greedy value <c>max_c input_c</c> then estimates the probability of being
    /// right, and argmax is the classifier.</para>
    /// <para><b>Randomness.</b> Two draws per sample, in this order: a uniform number deciding exploration, then a random
    /// class (both drawn for every sample, so the stream does not depend on the decisions). The same
    /// <paramref name="generator"/> state gives the same actions (null: torch's default generator).</para>
    /// <para><b>When to use it.</b> To study learning from partial (bandit) feedback, or as the value-based baseline
    /// against <see cref="policy_gradient_loss"/>. With full labels, cross-entropy is the better classifier.</para>
    /// <para>No logarithm or exponential: inputs of magnitude 1e4 in float32 give finite values and gradients.</para>
    /// <code>
    /// var gen = new Generator(1);
    /// var loss = Losses.value_function_loss(predictedRewards, labels, epsilon: 0.1, generator: gen);
    /// </code>
    /// Reference: Sutton and Barto 2018, "Reinforcement Learning: An Introduction" (epsilon-greedy action values,
    /// contextual bandits); Lattimore and Szepesvári 2020, "Bandit Algorithms".
    /// </remarks>
    /// <param name="input">Predicted rewards (action values), shape (N, C).</param>
    /// <param name="target">Class indices (the rewarded actions), shape (N), int64.</param>
    /// <param name="epsilon">The exploration probability, in [0, 1].</param>
    /// <param name="generator">The random generator (null: torch's default).</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor value_function_loss(Tensor input, Tensor target, double epsilon = 0.1, Generator? generator = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "value_function_loss";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        Check.Rank(target, name, nameof(target), 1);
        Check.SameBatch(input, nameof(input), target, nameof(target), name);
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));
        Check.Param(epsilon >= 0 && epsilon <= 1, name, nameof(epsilon), "in [0, 1]", epsilon);
        Reduce.NoBatchMean(reduction, name);
        Check.ClassIndices(target, input.shape[1], name, nameof(target));

        using var scope = NewDisposeScope();
        long n = input.shape[0], c = input.shape[1];
        var explore = torch.rand(new[] { n }, dtype: ScalarType.Float64, generator: generator).lt(epsilon).to(input.device);
        var random = torch.randint(0, c, new[] { n }, dtype: ScalarType.Int64, generator: generator).to(input.device);
        var action = torch.where(explore, random, input.argmax(1));
        var reward = action.eq(target.to_type(ScalarType.Int64)).to_type(input.dtype);
        var value = input.gather(1, action.unsqueeze(1)).squeeze(1);
        var loss = (value - reward).square();
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The epsilon-greedy value-function loss as a module; it owns a generator seeded at construction. See <see cref="Losses.value_function_loss"/>.</summary>
public sealed class ValueFunctionLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double epsilon;
    private readonly Generator generator;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.value_function_loss"/>, and <paramref name="seed"/> seeds the module's generator.</summary>
    /// <param name="epsilon">The exploration probability.</param>
    /// <param name="seed">Seed of the module's generator.</param>
    /// <param name="reduction">The reduction.</param>
    public ValueFunctionLoss(double epsilon = 0.1, ulong seed = 0, Reduction reduction = Reduction.Mean) : base(nameof(ValueFunctionLoss))
    {
        Check.Param(epsilon >= 0 && epsilon <= 1, nameof(ValueFunctionLoss), nameof(epsilon), "in [0, 1]", epsilon);
        Reduce.NoBatchMean(reduction, nameof(ValueFunctionLoss));
        this.epsilon = epsilon;
        generator = new Generator(seed);
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.value_function_loss(input, target, epsilon, generator, reduction);
}

internal sealed class ValueFunctionDefinition : LossDefinition
{
    public override string Name => "value_function";
    public override string Family => "classification";
    public override string Summary => "Classifier as a contextual bandit: epsilon-greedy action, reward [a = y], squared error of the chosen action's predicted reward.";
    public override string Math => "a = uniform class w.p. epsilon else argmax input; r = [a = y]; l_i = (input_{i,a} - r)^2";
    public override string Reference => "Sutton and Barto 2018, Reinforcement Learning: An Introduction (epsilon-greedy, contextual bandits)";
    public override string Function => "Losses.value_function_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("epsilon", 0.1, "exploration probability", min: 0, max: 1),
        ParamSpec.Int("seed", 0, "seed of the torch.Generator drawing the actions (same seed, same actions)", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) predicted rewards"),
        InputSpec.Data("target", "(N) class indices"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p)
    {
        using var generator = new Generator((ulong)p.Int("seed"));
        return Losses.value_function_loss(x.Required("input"), x.Required("target"), p.Float("epsilon"), generator, p.Reduction);
    }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(8,4) epsilon 0.1 mean", g => new() { ["input"] = Sample.Uniform(g, [8, 4], 0, 1), ["target"] = Sample.Labels(g, 8, 4) });
        yield return GradcheckCase.Of("(6,3) epsilon 0.5 seed 3 none", g => new() { ["input"] = Sample.Uniform(g, [6, 3], 0, 1), ["target"] = Sample.Labels(g, 6, 3) },
            ("epsilon", "0.5"), ("seed", "3"), ("reduction", "none"));
        yield return GradcheckCase.Of("(5,5) greedy sum", g => new() { ["input"] = Sample.Normal(g, [5, 5]), ["target"] = Sample.Labels(g, 5, 5) }, ("epsilon", "0"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,4) explore always", g => new() { ["input"] = Sample.Normal(g, [1, 4]), ["target"] = Sample.Labels(g, 1, 4) }, ("epsilon", "1"));
    }
}
