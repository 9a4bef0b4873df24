using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// SimPO (Meng, Xia, Chen 2024), a reference-free preference loss on length-normalised log-probabilities: with the
    /// average token log-probabilities <c>a_c, a_r</c> of the chosen and rejected responses,
    /// <c>-log sigmoid(beta (a_c - a_r) - gamma)</c> per pair (sigmoid, with optional label smoothing
    /// <c>-(1-e) log sigmoid(z) - e log sigmoid(-z)</c>), or <c>relu(1 - (beta (a_c - a_r) - gamma))</c> (hinge).
    /// </summary>
    /// <remarks>
    /// gamma is the target reward margin of the paper (the official code's <c>gamma_beta_ratio</c> times beta; TRL's
    /// CPO <c>simpo_gamma</c>). The defaults are the official code's (beta 2.0, gamma_beta_ratio 0.25). The average
    /// makes the implicit reward independent of the response length, so the model cannot win by length alone.
    /// Use it when no reference model is wanted (half the memory of DPO). Every sequence needs at least one token.
    /// <code>
    /// var loss = Losses.simpo_loss(chosenLogps, rejectedLogps, chosenMask, rejectedMask, beta: 2.5, gamma: 1.4);
    /// </code>
    /// </remarks>
    /// <param name="chosen_logps">Policy per-token log-probabilities of the chosen responses, (B, Tc).</param>
    /// <param name="rejected_logps">Policy per-token log-probabilities of the rejected responses, (B, Tr).</param>
    /// <param name="chosen_mask">Mask of the chosen tokens (null: all).</param>
    /// <param name="rejected_mask">Mask of the rejected tokens (null: all).</param>
    /// <param name="beta">Reward scale, &gt; 0.</param>
    /// <param name="gamma">Target reward margin, &gt;= 0.</param>
    /// <param name="label_smoothing">Label-flip probability (sigmoid only), in [0, 0.5).</param>
    /// <param name="hinge">Use the hinge loss instead of the sigmoid.</param>
    /// <param name="reduction">none: per-pair losses (B); mean; sum.</param>
    /// <returns>A scalar, or (B) for reduction none.</returns>
    public static Tensor simpo_loss(Tensor chosen_logps, Tensor rejected_logps, Tensor? chosen_mask = null, Tensor? rejected_mask = null,
        double beta = 2.0, double gamma = 0.5, double label_smoothing = 0.0, bool hinge = false, Reduction reduction = Reduction.Mean)
    {
        const string name = "simpo_loss";
        AlignmentOps.CheckAveragedPairs(chosen_logps, rejected_logps, chosen_mask, rejected_mask, name);
        Check.Param(beta > 0 && double.IsFinite(beta), name, nameof(beta), "a finite number > 0", beta);
        Check.Param(gamma >= 0 && double.IsFinite(gamma), name, nameof(gamma), "a finite number >= 0", gamma);
        Check.Param(label_smoothing >= 0 && label_smoothing < 0.5, name, nameof(label_smoothing), "in [0, 0.5)", label_smoothing);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var h = AlignmentOps.SequenceLogps(chosen_logps, chosen_mask, true) - AlignmentOps.SequenceLogps(rejected_logps, rejected_mask, true) - gamma / beta;
        var loss = AlignmentOps.PreferenceLoss(h, beta, hinge ? DpoLossType.Hinge : DpoLossType.Sigmoid, label_smoothing);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

internal static partial class AlignmentOps
{
    /// <summary>The checks of a reference-free preference loss on averaged log-probabilities (SimPO, ORPO).</summary>
    public static void CheckAveragedPairs(Tensor chosen, Tensor rejected, Tensor? chosenMask, Tensor? rejectedMask, string name)
    {
        Check.TokenLogProbs(chosen, name, "chosen_logps");
        Check.TokenLogProbs(rejected, name, "rejected_logps");
        Check.SameBatch(chosen, "chosen_logps", rejected, "rejected_logps", name);
        Check.SameFloatType(name, (chosen, "chosen_logps"), (rejected, "rejected_logps"));
        Check.SameDevice(name, (chosen, "chosen_logps"), (rejected, "rejected_logps"));
        Check.TokenMask(chosenMask, chosen, name, "chosen_mask", "chosen_logps");
        Check.TokenMask(rejectedMask, rejected, name, "rejected_mask", "rejected_logps");
        Check.NonEmptySequences(chosenMask, chosen, name, "chosen_mask");
        Check.NonEmptySequences(rejectedMask, rejected, name, "rejected_mask");
    }
}

/// <summary>The SimPO loss as a module; see <see cref="Losses.simpo_loss"/>. Inputs: chosen_logps, rejected_logps,
/// chosen_mask, rejected_mask.</summary>
public sealed class SimPoLoss : nn.Module<Tensor, Tensor, Tensor?, Tensor?, Tensor>
{
    private readonly double beta;
    private readonly double gamma;
    private readonly double labelSmoothing;
    private readonly bool hinge;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.simpo_loss"/>.</summary>
    /// <param name="beta">Reward scale.</param>
    /// <param name="gamma">Target reward margin.</param>
    /// <param name="label_smoothing">Label-flip probability.</param>
    /// <param name="hinge">Hinge instead of sigmoid.</param>
    /// <param name="reduction">The reduction.</param>
    public SimPoLoss(double beta = 2.0, double gamma = 0.5, double label_smoothing = 0.0, bool hinge = false, Reduction reduction = Reduction.Mean) : base(nameof(SimPoLoss))
    {
        Check.Param(beta > 0 && double.IsFinite(beta), nameof(SimPoLoss), nameof(beta), "a finite number > 0", beta);
        this.beta = beta;
        this.gamma = gamma;
        labelSmoothing = label_smoothing;
        this.hinge = hinge;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor chosen_logps, Tensor rejected_logps, Tensor? chosen_mask, Tensor? rejected_mask) =>
        Losses.simpo_loss(chosen_logps, rejected_logps, chosen_mask, rejected_mask, beta, gamma, labelSmoothing, hinge, reduction);
}

internal sealed class SimPoDefinition : LossDefinition
{
    public override string Name => "simpo";
    public override string Family => "alignment";
    public override string Summary => "SimPO: reference-free preference loss on length-normalised log-probabilities with a target margin gamma.";
    public override string Math => "a = sum_t m logp / sum_t m; z = beta (a_c - a_r) - gamma; l = -(1-e) logsig(z) - e logsig(-z)  (hinge: relu(1 - z))";
    public override string Reference => "Meng, Xia, Chen 2024, SimPO: Simple Preference Optimization with a Reference-Free Reward (official code; TRL CPOTrainer loss_type=simpo)";
    public override string Function => "Losses.simpo_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("beta", 2.0, "reward scale", min: 0, minExclusive: true),
        ParamSpec.Float("gamma", 0.5, "target reward margin", min: 0),
        ParamSpec.Float("label_smoothing", 0.0, "label-flip probability (sigmoid)", min: 0, max: 0.5, maxExclusive: true),
        ParamSpec.Bool("hinge", false, "hinge loss relu(1 - z) instead of -log sigmoid(z)"),
        ParamSpec.Reduction(),
    ];
    /// <summary>The inputs of a reference-free preference loss (SimPO, ORPO).</summary>
    internal static readonly IReadOnlyList<InputSpec> PairInputs =
    [
        InputSpec.Grad("chosen_logps", "(B, Tc) policy token log-probs of the chosen responses"),
        InputSpec.Grad("rejected_logps", "(B, Tr) policy token log-probs of the rejected responses"),
        InputSpec.Optional("chosen_mask", "(B, Tc) 0/1 mask of the chosen tokens"),
        InputSpec.Optional("rejected_mask", "(B, Tr) 0/1 mask of the rejected tokens"),
    ];
    public override IReadOnlyList<InputSpec> Inputs => PairInputs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.simpo_loss(x.Required("chosen_logps"), x.Required("rejected_logps"), x.Optional("chosen_mask"), x.Optional("rejected_mask"),
            p.Float("beta"), p.Float("gamma"), p.Float("label_smoothing"), p.Bool("hinge"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(4,5|3)", g => DpoDefinition.Pairs(g, 4, 5, 3, false));
        yield return GradcheckCase.Of("(3,4|6) ls=0.1 none", g => DpoDefinition.Pairs(g, 3, 4, 6, false), ("label_smoothing", "0.1"), ("reduction", "none"));
        // z stays within beta*(+-3) - gamma, so 1 - z = 1 + gamma - 0.2*(a_c - a_r) > 0: away from the hinge's kink
        yield return GradcheckCase.Of("(3,4|4) hinge sum", g => DpoDefinition.Pairs(g, 3, 4, 4, false), ("hinge", "true"), ("beta", "0.2"), ("gamma", "0.5"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,3|2) single pair", g => DpoDefinition.Pairs(g, 1, 3, 2, false), ("beta", "2.5"), ("gamma", "1.4"));
    }
}
