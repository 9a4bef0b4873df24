using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>How <see cref="Losses.reward_prediction_loss"/> predicts the reward.</summary>
public enum RewardPredictionMode
{
    /// <summary>Regress the reward: the squared error <c>(r^ - r)^2</c>.</summary>
    Regression,
    /// <summary>UNREAL's three-class classification of the reward's sign: zero, positive, negative (cross-entropy).</summary>
    Classification,
}

public static partial class Losses
{
    /// <summary>
    /// The reward-prediction auxiliary loss (Jaderberg et al. 2017, "Reinforcement Learning with Unsupervised Auxiliary
    /// Tasks", UNREAL, section 3.2): from the agent's representation of a short history, predict the next reward, either by
    /// regression, <c>l = (r^ - r)^2</c> (<see cref="mse_loss"/>), or, as UNREAL does, by classifying its sign into three
    /// classes, <c>l = CE(logits, c(r))</c> (<see cref="cross_entropy"/>) with
    /// <c>c(r) = 0</c> (zero, <c>|r| &lt;= zero_threshold</c>), <c>1</c> (positive), <c>2</c> (negative).
    /// </summary>
    /// <remarks>
    /// <para>The loss only shapes the features the policy shares with the predictor; it is not a value function. UNREAL
    /// samples the replayed sequences so that rewarding and non-rewarding ones are equally likely (skewed sampling): do
    /// that when building the batch. The class order (zero, positive, negative) is that of the reference implementation
    /// (miyosuda/unreal), whose test is <c>r == 0</c>: the default threshold 0.</para>
    /// <para>Classification uses <c>log_softmax</c>: logits of magnitude 1e4 in float32 give finite values and gradients.</para>
    /// <code>
    /// var logits = rewardHead.forward(encoder.forward(lastThreeFrames));          // (N, 3)
    /// var loss = Losses.reward_prediction_loss(logits, nextRewards, RewardPredictionMode.Classification);
    /// var mse = Losses.reward_prediction_loss(predictedRewards, nextRewards);      // (N), regression
    /// </code>
    /// </remarks>
    /// <param name="input">Regression: predicted rewards, the shape of <paramref name="target"/>. Classification: logits (N, 3) over (zero, positive, negative).</param>
    /// <param name="target">The rewards observed, floating: any shape for regression, (N) for classification.</param>
    /// <param name="mode">Regression (the default) or UNREAL's sign classification.</param>
    /// <param name="zero_threshold">Classification: rewards with <c>|r| &lt;= zero_threshold</c> are class "zero"; finite, &gt;= 0.</param>
    /// <param name="reduction">none: per-prediction losses; mean; sum.</param>
    /// <returns>A scalar, or the per-prediction losses for reduction none.</returns>
    public static Tensor reward_prediction_loss(Tensor input, Tensor target, RewardPredictionMode mode = RewardPredictionMode.Regression, double zero_threshold = 0.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "reward_prediction_loss";
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, $"{name}: 'mode' must be regression or classification");
        Check.NonNegativeFinite(zero_threshold, name, nameof(zero_threshold));
        Reduce.NoBatchMean(reduction, name);
        if (mode == RewardPredictionMode.Regression)
        {
            Check.ElementwisePair(input, target, name);
            Check.NaNFree(target, name, nameof(target));
            return mse_loss(input, target, reduction);
        }
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        Check.Size(input, 1, 3, name, nameof(input), "the three classes (zero, positive, negative)");
        Check.Floating(target, name, nameof(target));
        Check.Rank(target, name, nameof(target), 1);
        Check.SameBatch(input, nameof(input), target, nameof(target), name);
        Check.NaNFree(target, name, nameof(target));
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));

        using var scope = NewDisposeScope();
        return cross_entropy(input, reward_classes(target, zero_threshold), reduction: reduction).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// UNREAL's reward classes: 0 for <c>|r| &lt;= zero_threshold</c> (zero), 1 for a larger positive reward, 2 for a
    /// smaller negative one; int64, the shape of <paramref name="rewards"/>.
    /// </summary>
    /// <param name="rewards">Rewards, any shape, floating.</param>
    /// <param name="zero_threshold">The largest magnitude read as zero, &gt;= 0.</param>
    /// <returns>The class of each reward.</returns>
    public static Tensor reward_classes(Tensor rewards, double zero_threshold = 0.0)
    {
        const string name = "reward_classes";
        Check.Floating(rewards, name, nameof(rewards));
        Check.NonNegativeFinite(zero_threshold, name, nameof(zero_threshold));
        using var scope = NewDisposeScope();
        var r = rewards.detach();
        var classes = torch.zeros(r.shape, dtype: ScalarType.Int64, device: r.device);
        classes = classes.masked_fill(r.gt(zero_threshold), 1).masked_fill(r.lt(-zero_threshold), 2);
        return classes.MoveToOuterDisposeScope();
    }
}

/// <summary>The reward-prediction loss as a module; see <see cref="Losses.reward_prediction_loss"/>. <c>forward(input, target)</c>.</summary>
public sealed class RewardPredictionLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly RewardPredictionMode mode;
    private readonly double zeroThreshold;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.reward_prediction_loss"/>.</summary>
    public RewardPredictionLoss(RewardPredictionMode mode = RewardPredictionMode.Regression, double zero_threshold = 0.0, Reduction reduction = Reduction.Mean) : base(nameof(RewardPredictionLoss))
    {
        Check.NonNegativeFinite(zero_threshold, nameof(RewardPredictionLoss), nameof(zero_threshold));
        Reduce.NoBatchMean(reduction, nameof(RewardPredictionLoss));
        this.mode = mode;
        zeroThreshold = zero_threshold;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.reward_prediction_loss(input, target, mode, zeroThreshold, reduction);
}

internal sealed class RewardPredictionDefinition : LossDefinition
{
    public override string Name => "reward_prediction";
    public override string Family => Rl.Family;
    public override string Summary => "Auxiliary reward prediction (UNREAL): squared error to the next reward, or cross-entropy over its sign (zero, positive, negative).";
    public override string Math => "regression: l = (input - r)^2;  classification: l = -log softmax(input)[c(r)],  c(r) = 0 if |r| <= zero_threshold, 1 if r > 0, 2 if r < 0";
    public override string Reference => "Jaderberg et al. 2017, Reinforcement Learning with Unsupervised Auxiliary Tasks (UNREAL)";
    public override string Function => "Losses.reward_prediction_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("mode", "regression", "regress the reward, or classify its sign as UNREAL", "regression", "classification"),
        ParamSpec.Float("zero_threshold", 0.0, "classification: |r| at most this is the class zero", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N) predicted rewards (regression) or (N, 3) logits over zero, positive, negative (classification)"),
        InputSpec.Data("target", "(N) rewards observed"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.reward_prediction_loss(x.Required("input"), x.Required("target"),
            p.Choice("mode") == "classification" ? RewardPredictionMode.Classification : RewardPredictionMode.Regression, p.Float("zero_threshold"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Make(long n, bool logits) => g => new()
        {
            ["input"] = logits ? Sample.Normal(g, [n, 3], 2) : Sample.Normal(g, [n]),
            ["target"] = Sample.Normal(g, [n]) * Sample.Binary(g, [n]),
        };
        yield return GradcheckCase.Of("(6) regression mean", Make(6, false));
        yield return GradcheckCase.Of("(5,3) classification none", Make(5, true), ("mode", "classification"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,3) classification threshold=0.5 sum", Make(1, true), ("mode", "classification"), ("zero_threshold", "0.5"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(4) regression sum", Make(4, false), ("reduction", "sum"));
    }
}
