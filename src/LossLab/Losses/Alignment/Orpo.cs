using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// ORPO (Hong, Lee, Thorne 2024), odds-ratio preference optimisation: the supervised NLL of the chosen responses
    /// plus <c>lambda</c> times the odds-ratio term <c>-log sigmoid(log odds(a_c) - log odds(a_r))</c>, where
    /// <c>a_c, a_r</c> are the average token log-probabilities of the chosen and rejected responses and
    /// <c>log odds(a) = a - log(1 - exp(a))</c>.
    /// </summary>
    /// <remarks>
    /// No reference model: the NLL term keeps the model on the chosen responses (SFT) while the odds ratio pushes the
    /// rejected ones down, in one stage. <c>log(1 - exp(a))</c> is computed stably (log1mexp: <c>log(-expm1(a))</c> near
    /// 0, <c>log1p(-exp(a))</c> below -log 2). An average log-probability at 0 (probability 1, infinite odds) is capped
    /// at minus the dtype's machine epsilon, so values and gradients stay finite (the gradient is 0 beyond the cap).
    /// With reduction mean the NLL is TRL's: the mean over all chosen tokens of the batch; with none it is each
    /// pair's own mean (<c>-a_c</c>), and sum adds those. lambda is TRL's <c>beta</c> (default 0.1).
    /// <code>
    /// var loss = Losses.orpo_loss(chosenLogps, rejectedLogps, chosenMask, rejectedMask, lambda: 0.1);
    /// </code>
    /// </remarks>
    /// <param name="chosen_logps">Policy per-token log-probabilities of the chosen responses, (B, Tc).</param>
    /// <param name="rejected_logps">Policy per-token log-probabilities of the rejected responses, (B, Tr).</param>
    /// <param name="chosen_mask">Mask of the chosen tokens (null: all).</param>
    /// <param name="rejected_mask">Mask of the rejected tokens (null: all).</param>
    /// <param name="lambda">Weight of the odds-ratio term, &gt;= 0.</param>
    /// <param name="reduction">none: per-pair losses (B); mean (TRL's token-level NLL plus the mean odds-ratio term); sum.</param>
    /// <returns>A scalar, or (B) for reduction none.</returns>
    public static Tensor orpo_loss(Tensor chosen_logps, Tensor rejected_logps, Tensor? chosen_mask = null, Tensor? rejected_mask = null,
        double lambda = 0.1, Reduction reduction = Reduction.Mean)
    {
        const string name = "orpo_loss";
        AlignmentOps.CheckAveragedPairs(chosen_logps, rejected_logps, chosen_mask, rejected_mask, name);
        Check.Param(lambda >= 0 && double.IsFinite(lambda), name, nameof(lambda), "a finite number >= 0", lambda);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        double cap = -AlignmentOps.MachineEpsilon(chosen_logps.dtype);
        var ac = AlignmentOps.SequenceLogps(chosen_logps, chosen_mask, true).clamp_max(cap);
        var ar = AlignmentOps.SequenceLogps(rejected_logps, rejected_mask, true).clamp_max(cap);
        var logOdds = (ac - ar) - (AlignmentOps.Log1mExp(ac) - AlignmentOps.Log1mExp(ar));
        var orTerm = -torch.nn.functional.logsigmoid(logOdds);
        Tensor result;
        if (reduction == Reduction.Mean)
        {
            var w = AlignmentOps.Weights(chosen_logps, chosen_mask);
            var nll = -AlignmentOps.Masked(chosen_logps, chosen_mask).sum() / w.sum();
            result = nll + orTerm.mean() * lambda;
        }
        else result = Reduce.Apply(-AlignmentOps.SequenceLogps(chosen_logps, chosen_mask, true) + orTerm * lambda, reduction, name);
        return result.MoveToOuterDisposeScope();
    }
}

/// <summary>The ORPO loss as a module; see <see cref="Losses.orpo_loss"/>. Inputs: chosen_logps, rejected_logps,
/// chosen_mask, rejected_mask.</summary>
public sealed class OrpoLoss : nn.Module<Tensor, Tensor, Tensor?, Tensor?, Tensor>
{
    private readonly double lambda;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.orpo_loss"/>.</summary>
    /// <param name="lambda">Weight of the odds-ratio term.</param>
    /// <param name="reduction">The reduction.</param>
    public OrpoLoss(double lambda = 0.1, Reduction reduction = Reduction.Mean) : base(nameof(OrpoLoss))
    {
        Check.Param(lambda >= 0 && double.IsFinite(lambda), nameof(OrpoLoss), nameof(lambda), "a finite number >= 0", lambda);
        this.lambda = lambda;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor chosen_logps, Tensor rejected_logps, Tensor? chosen_mask, Tensor? rejected_mask) =>
        Losses.orpo_loss(chosen_logps, rejected_logps, chosen_mask, rejected_mask, lambda, reduction);
}

internal sealed class OrpoDefinition : LossDefinition
{
    public override string Name => "orpo";
    public override string Family => "alignment";
    public override string Summary => "ORPO: SFT negative log-likelihood of the chosen responses plus lambda times the odds-ratio preference term (no reference model).";
    public override string Math => "a = sum_t m logp / sum_t m; log odds(a) = a - log1mexp(a); L = NLL(chosen) + lambda * mean(-logsig(log odds(a_c) - log odds(a_r)))";
    public override string Reference => "Hong, Lee, Thorne 2024, ORPO: Monolithic Preference Optimization without Reference Model; TRL ORPOTrainer";
    public override string Function => "Losses.orpo_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("lambda", 0.1, "weight of the odds-ratio term (TRL's beta)", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs => SimPoDefinition.PairInputs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.orpo_loss(x.Required("chosen_logps"), x.Required("rejected_logps"), x.Optional("chosen_mask"), x.Optional("rejected_mask"), p.Float("lambda"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(4,5|3)", g => DpoDefinition.Pairs(g, 4, 5, 3, false));
        yield return GradcheckCase.Of("(3,4|6) lambda=1 none", g => DpoDefinition.Pairs(g, 3, 4, 6, false), ("lambda", "1"), ("reduction", "none"));
        yield return GradcheckCase.Of("(3,4|4) sum", g => DpoDefinition.Pairs(g, 3, 4, 4, false), ("lambda", "0.5"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(2,3|3) near-certain tokens", g =>
        {
            var d = DpoDefinition.Pairs(g, 2, 3, 3, false);
            d["chosen_logps"] = Sample.Uniform(g, [2, 3], -0.2, -0.01);
            return d;
        }, ("lambda", "2"));
        yield return GradcheckCase.Of("(1,3|2) single pair", g => DpoDefinition.Pairs(g, 1, 3, 2, false));
    }
}
