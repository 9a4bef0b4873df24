using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Bradley-Terry loss of a reward model on preference pairs: per pair
    /// <c>-log sigmoid(r_chosen - r_rejected - margin)</c>, plus optionally
    /// <c>center_rewards_coefficient * (r_chosen + r_rejected)^2</c> (TRL's reward centring, Eisenstein et al. 2023).
    /// </summary>
    /// <remarks>
    /// The reward model's scalar scores of the chosen and the rejected response of each pair are the inputs; the
    /// Bradley-Terry model says P(chosen preferred) = sigmoid(r_c - r_r), and this is its negative log-likelihood.
    /// The optional <paramref name="margin"/> (Llama 2's preference-strength margin, TRL's <c>margin</c> column)
    /// asks for a gap of at least that size. Computed with logsigmoid, so scores of magnitude 1e4 stay finite.
    /// Use it to train the reward model of PPO-style RLHF (InstructGPT, Ouyang et al. 2022).
    /// <code>
    /// var loss = Losses.reward_model_loss(rewardModel.forward(chosenIds), rewardModel.forward(rejectedIds));
    /// </code>
    /// </remarks>
    /// <param name="chosen">Scores of the chosen responses, shape (B).</param>
    /// <param name="rejected">Scores of the rejected responses, shape (B).</param>
    /// <param name="margin">Optional per-pair margins, shape (B).</param>
    /// <param name="center_rewards_coefficient">Weight of the centring term (0: none), at least 0.</param>
    /// <param name="reduction">none: per-pair losses (B); mean (TRL's); sum.</param>
    /// <returns>A scalar, or (B) for reduction none.</returns>
    public static Tensor reward_model_loss(Tensor chosen, Tensor rejected, Tensor? margin = null, double center_rewards_coefficient = 0.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "reward_model_loss";
        Check.Floating(chosen, name, nameof(chosen));
        Check.Rank(chosen, name, nameof(chosen), 1);
        Check.Floating(rejected, name, nameof(rejected));
        Check.SameShape(chosen, nameof(chosen), rejected, nameof(rejected), name);
        if (margin is not null)
        {
            Check.Floating(margin, name, nameof(margin));
            Check.SameShape(chosen, nameof(chosen), margin, nameof(margin), name);
        }
        Check.SameFloatType(name, (chosen, nameof(chosen)), (rejected, nameof(rejected)));
        Check.SameDevice(name, (chosen, nameof(chosen)), (rejected, nameof(rejected)), (margin, nameof(margin)));
        Check.Param(center_rewards_coefficient >= 0 && double.IsFinite(center_rewards_coefficient), name, nameof(center_rewards_coefficient), "a finite number >= 0", center_rewards_coefficient);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var diff = chosen - rejected;
        if (margin is not null) diff = diff - margin.to_type(chosen.dtype);
        var loss = -torch.nn.functional.logsigmoid(diff);
        if (center_rewards_coefficient != 0) loss = loss + (chosen + rejected).square() * center_rewards_coefficient;
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The Bradley-Terry reward-model loss as a module; see <see cref="Losses.reward_model_loss"/>.</summary>
public sealed class RewardModelLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double centerRewardsCoefficient;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.reward_model_loss"/>.</summary>
    /// <param name="center_rewards_coefficient">Weight of the centring term.</param>
    /// <param name="reduction">The reduction.</param>
    public RewardModelLoss(double center_rewards_coefficient = 0.0, Reduction reduction = Reduction.Mean) : base(nameof(RewardModelLoss))
    {
        Check.Param(center_rewards_coefficient >= 0 && double.IsFinite(center_rewards_coefficient), nameof(RewardModelLoss), nameof(center_rewards_coefficient), "a finite number >= 0", center_rewards_coefficient);
        centerRewardsCoefficient = center_rewards_coefficient;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor chosen, Tensor rejected) => Losses.reward_model_loss(chosen, rejected, null, centerRewardsCoefficient, reduction);
}

internal sealed class RewardModelDefinition : LossDefinition
{
    public override string Name => "reward_model";
    public override string Family => "alignment";
    public override string Summary => "Bradley-Terry loss of a reward model on (chosen, rejected) score pairs, with an optional margin and reward centring.";
    public override string Math => "l_i = -log sigmoid(r_c,i - r_r,i - margin_i) + c * (r_c,i + r_r,i)^2";
    public override string Reference => "Bradley & Terry 1952; Ouyang et al. 2022 (InstructGPT); Touvron et al. 2023 (Llama 2 margin); TRL RewardTrainer";
    public override string Function => "Losses.reward_model_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("center_rewards_coefficient", 0.0, "weight of the centring term (r_c + r_r)^2", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("chosen", "(B) scores of the chosen responses"),
        InputSpec.Grad("rejected", "(B) scores of the rejected responses"),
        InputSpec.Optional("margin", "(B) required score gaps"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.reward_model_loss(x.Required("chosen"), x.Required("rejected"), x.Optional("margin"), p.Float("center_rewards_coefficient"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> Make(Generator g, long b, bool margin)
        {
            var d = new Dictionary<string, Tensor> { ["chosen"] = Sample.Normal(g, [b], 2), ["rejected"] = Sample.Normal(g, [b], 2) };
            if (margin) d["margin"] = Sample.Uniform(g, [b], 0, 1);
            return d;
        }
        yield return GradcheckCase.Of("(8) mean", g => Make(g, 8, false));
        yield return GradcheckCase.Of("(6) margin none", g => Make(g, 6, true), ("reduction", "none"));
        yield return GradcheckCase.Of("(5) centred sum", g => Make(g, 5, true), ("center_rewards_coefficient", "0.01"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1) single pair", g => Make(g, 1, false), ("center_rewards_coefficient", "0.5"));
    }
}
