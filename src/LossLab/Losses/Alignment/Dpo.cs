using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>The DPO loss variants, as TRL's <c>DPOTrainer</c> names them.</summary>
public enum DpoLossType
{
    /// <summary>DPO (Rafailov et al. 2023), with conservative label smoothing (cDPO): <c>-(1-e) log sigmoid(beta h) - e log sigmoid(-beta h)</c>.</summary>
    Sigmoid,
    /// <summary>SLiC / RSO hinge: <c>relu(1 - beta h)</c>.</summary>
    Hinge,
    /// <summary>IPO (Azar et al. 2023): <c>(h - 1/(2 beta))^2</c> on length-averaged log-probabilities.</summary>
    Ipo,
    /// <summary>Robust DPO (Chowdhury et al. 2024): <c>(-(1-e) log sigmoid(beta h) + e log sigmoid(-beta h)) / (1 - 2e)</c>.</summary>
    Robust,
}

/// <summary>How sequence log-probabilities are formed from token log-probabilities in <see cref="Losses.dpo_loss"/>.</summary>
public enum DpoLengthNormalization
{
    /// <summary>The method's own choice: the mean for IPO (as TRL), the sum for the others.</summary>
    Auto,
    /// <summary>The masked sum over tokens (the log-probability of the sequence).</summary>
    Sum,
    /// <summary>The masked mean over tokens (length-normalised).</summary>
    Mean,
}

public static partial class Losses
{
    /// <summary>
    /// Direct Preference Optimization and its TRL variants. With sequence log-probabilities <c>pi_c, pi_r</c> of the
    /// policy and <c>ref_c, ref_r</c> of the reference model on the chosen and rejected responses,
    /// <c>h = (pi_c - pi_r) - (ref_c - ref_r)</c>, and per pair:
    /// sigmoid <c>-(1-e) log sigmoid(beta h) - e log sigmoid(-beta h)</c>;
    /// hinge <c>relu(1 - beta h)</c>; ipo <c>(h - 1/(2 beta))^2</c>;
    /// robust <c>(-(1-e) log sigmoid(beta h) + e log sigmoid(-beta h)) / (1 - 2e)</c>, e = label_smoothing.
    /// </summary>
    /// <remarks>
    /// Inputs are per-token log-probabilities (B, T) of the response tokens, with masks; the sequence
    /// log-probability is the masked sum (IPO: the masked mean, as TRL computes it; see
    /// <paramref name="length_normalization"/>). Chosen and rejected may have different lengths T. The reference
    /// log-probabilities are data (computed without gradient). With <paramref name="reference_free"/> the reference
    /// terms are 0 (a uniform reference). Logsigmoid keeps log-probabilities of magnitude 1e4 finite.
    /// Use DPO for offline preference data when a reference (SFT) model is at hand; IPO when preferences are
    /// deterministic or DPO over-fits; robust/label smoothing when labels are noisy.
    /// <code>
    /// var loss = Losses.dpo_loss(pc, pr, refC, refR, maskC, maskR, beta: 0.1);
    /// var ipo = Losses.dpo_loss(pc, pr, refC, refR, maskC, maskR, beta: 0.1, loss_type: DpoLossType.Ipo);
    /// </code>
    /// </remarks>
    /// <param name="chosen_logps">Policy per-token log-probabilities of the chosen responses, (B, Tc).</param>
    /// <param name="rejected_logps">Policy per-token log-probabilities of the rejected responses, (B, Tr).</param>
    /// <param name="ref_chosen_logps">Reference per-token log-probabilities of the chosen responses, (B, Tc) (null only with reference_free).</param>
    /// <param name="ref_rejected_logps">Reference per-token log-probabilities of the rejected responses, (B, Tr) (null only with reference_free).</param>
    /// <param name="chosen_mask">Mask of the chosen tokens, (B, Tc) (null: all).</param>
    /// <param name="rejected_mask">Mask of the rejected tokens, (B, Tr) (null: all).</param>
    /// <param name="beta">Inverse temperature (TRL's beta; IPO's tau), &gt; 0.</param>
    /// <param name="loss_type">The variant.</param>
    /// <param name="label_smoothing">e: the assumed probability that a label is flipped, in [0, 0.5) (sigmoid, robust).</param>
    /// <param name="length_normalization">Sum or mean of token log-probabilities (auto: mean for IPO).</param>
    /// <param name="reference_free">Ignore the reference model (its log-ratios are 0).</param>
    /// <param name="reduction">none: per-pair losses (B); mean; sum.</param>
    /// <returns>A scalar, or (B) for reduction none.</returns>
    public static Tensor dpo_loss(Tensor chosen_logps, Tensor rejected_logps, Tensor? ref_chosen_logps, Tensor? ref_rejected_logps,
        Tensor? chosen_mask = null, Tensor? rejected_mask = null, double beta = 0.1, DpoLossType loss_type = DpoLossType.Sigmoid,
        double label_smoothing = 0.0, DpoLengthNormalization length_normalization = DpoLengthNormalization.Auto, bool reference_free = false,
        Reduction reduction = Reduction.Mean)
    {
        const string name = "dpo_loss";
        Check.TokenLogProbs(chosen_logps, name, nameof(chosen_logps));
        Check.TokenLogProbs(rejected_logps, name, nameof(rejected_logps));
        Check.SameBatch(chosen_logps, nameof(chosen_logps), rejected_logps, nameof(rejected_logps), name);
        Check.SameFloatType(name, (chosen_logps, nameof(chosen_logps)), (rejected_logps, nameof(rejected_logps)));
        if (!reference_free)
        {
            if (ref_chosen_logps is null) throw new ArgumentNullException(nameof(ref_chosen_logps), $"{name}: 'ref_chosen_logps' is required unless reference_free is set");
            if (ref_rejected_logps is null) throw new ArgumentNullException(nameof(ref_rejected_logps), $"{name}: 'ref_rejected_logps' is required unless reference_free is set");
        }
        if (ref_chosen_logps is not null)
        {
            Check.Floating(ref_chosen_logps, name, nameof(ref_chosen_logps));
            Check.SameShape(chosen_logps, nameof(chosen_logps), ref_chosen_logps, nameof(ref_chosen_logps), name);
        }
        if (ref_rejected_logps is not null)
        {
            Check.Floating(ref_rejected_logps, name, nameof(ref_rejected_logps));
            Check.SameShape(rejected_logps, nameof(rejected_logps), ref_rejected_logps, nameof(ref_rejected_logps), name);
        }
        Check.TokenMask(chosen_mask, chosen_logps, name, nameof(chosen_mask), nameof(chosen_logps));
        Check.TokenMask(rejected_mask, rejected_logps, name, nameof(rejected_mask), nameof(rejected_logps));
        Check.SameDevice(name, (chosen_logps, nameof(chosen_logps)), (rejected_logps, nameof(rejected_logps)), (ref_chosen_logps, nameof(ref_chosen_logps)), (ref_rejected_logps, nameof(ref_rejected_logps)));
        if (!Enum.IsDefined(loss_type)) throw new ArgumentOutOfRangeException(nameof(loss_type), loss_type, $"{name}: unknown loss_type");
        if (!Enum.IsDefined(length_normalization)) throw new ArgumentOutOfRangeException(nameof(length_normalization), length_normalization, $"{name}: unknown length_normalization");
        Check.Param(beta > 0 && double.IsFinite(beta), name, nameof(beta), "a finite number > 0", beta);
        Check.Param(label_smoothing >= 0 && label_smoothing < 0.5, name, nameof(label_smoothing), "in [0, 0.5)", label_smoothing);
        Reduce.NoBatchMean(reduction, name);
        bool average = length_normalization == DpoLengthNormalization.Mean || (length_normalization == DpoLengthNormalization.Auto && loss_type == DpoLossType.Ipo);
        if (average)
        {
            Check.NonEmptySequences(chosen_mask, chosen_logps, name, nameof(chosen_mask));
            Check.NonEmptySequences(rejected_mask, rejected_logps, name, nameof(rejected_mask));
        }

        using var scope = NewDisposeScope();
        var h = AlignmentOps.SequenceLogps(chosen_logps, chosen_mask, average) - AlignmentOps.SequenceLogps(rejected_logps, rejected_mask, average);
        if (!reference_free)
            h = h - (AlignmentOps.SequenceLogps(ref_chosen_logps!.to_type(chosen_logps.dtype), chosen_mask, average)
                     - AlignmentOps.SequenceLogps(ref_rejected_logps!.to_type(chosen_logps.dtype), rejected_mask, average));
        var loss = AlignmentOps.PreferenceLoss(h, beta, loss_type, label_smoothing);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

internal static partial class AlignmentOps
{
    /// <summary>The per-pair preference loss of a log-ratio margin h (DPO's variants; SimPO uses sigmoid and hinge).</summary>
    public static Tensor PreferenceLoss(Tensor h, double beta, DpoLossType type, double labelSmoothing)
    {
        var z = h * beta;
        return type switch
        {
            DpoLossType.Sigmoid => labelSmoothing == 0
                ? -torch.nn.functional.logsigmoid(z)
                : -torch.nn.functional.logsigmoid(z) * (1 - labelSmoothing) - torch.nn.functional.logsigmoid(-z) * labelSmoothing,
            DpoLossType.Robust => (-torch.nn.functional.logsigmoid(z) * (1 - labelSmoothing) + torch.nn.functional.logsigmoid(-z) * labelSmoothing) / (1 - 2 * labelSmoothing),
            DpoLossType.Hinge => torch.nn.functional.relu(1 - z),
            DpoLossType.Ipo => (h - 1 / (2 * beta)).square(),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown loss_type"),
        };
    }
}

/// <summary>The DPO loss as a module; see <see cref="Losses.dpo_loss"/>. Inputs: chosen_logps, rejected_logps,
/// ref_chosen_logps, ref_rejected_logps, chosen_mask, rejected_mask.</summary>
public sealed class DpoLoss : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly double beta;
    private readonly DpoLossType lossType;
    private readonly double labelSmoothing;
    private readonly DpoLengthNormalization lengthNormalization;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.dpo_loss"/>.</summary>
    /// <param name="beta">Inverse temperature.</param>
    /// <param name="loss_type">The variant.</param>
    /// <param name="label_smoothing">Label-flip probability.</param>
    /// <param name="length_normalization">Sum or mean of token log-probabilities.</param>
    /// <param name="reduction">The reduction.</param>
    public DpoLoss(double beta = 0.1, DpoLossType loss_type = DpoLossType.Sigmoid, double label_smoothing = 0.0, DpoLengthNormalization length_normalization = DpoLengthNormalization.Auto, Reduction reduction = Reduction.Mean) : base(nameof(DpoLoss))
    {
        Check.Param(beta > 0 && double.IsFinite(beta), nameof(DpoLoss), nameof(beta), "a finite number > 0", beta);
        Check.Param(label_smoothing >= 0 && label_smoothing < 0.5, nameof(DpoLoss), nameof(label_smoothing), "in [0, 0.5)", label_smoothing);
        this.beta = beta;
        lossType = loss_type;
        labelSmoothing = label_smoothing;
        lengthNormalization = length_normalization;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor chosen_logps, Tensor rejected_logps, Tensor ref_chosen_logps, Tensor ref_rejected_logps, Tensor chosen_mask, Tensor rejected_mask) =>
        Losses.dpo_loss(chosen_logps, rejected_logps, ref_chosen_logps, ref_rejected_logps, chosen_mask, rejected_mask, beta, lossType, labelSmoothing, lengthNormalization, false, reduction);
}

internal sealed class DpoDefinition : LossDefinition
{
    public override string Name => "dpo";
    public override string Family => "alignment";
    public override string Summary => "Direct Preference Optimization and TRL's variants (sigmoid/cDPO, hinge, IPO, robust) on per-token log-probabilities with masks.";
    public override string Math => "h = (pi_c - pi_r) - (ref_c - ref_r) (masked sums; IPO: means); sigmoid -(1-e)logsig(beta h) - e logsig(-beta h); hinge relu(1 - beta h); ipo (h - 1/(2 beta))^2; robust (-(1-e)logsig(beta h) + e logsig(-beta h))/(1-2e)";
    public override string Reference => "Rafailov et al. 2023 (DPO); Azar et al. 2023 (IPO); Zhao et al. 2023 (SLiC); Chowdhury et al. 2024 (robust DPO); TRL DPOTrainer";
    public override string Function => "Losses.dpo_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("beta", 0.1, "inverse temperature (deviation from the reference)", min: 0, minExclusive: true),
        ParamSpec.Choice("loss_type", "sigmoid", "the variant", "sigmoid", "hinge", "ipo", "robust"),
        ParamSpec.Float("label_smoothing", 0.0, "assumed label-flip probability (sigmoid, robust)", min: 0, max: 0.5, maxExclusive: true),
        ParamSpec.Choice("length_normalization", "auto", "sequence log-prob: masked sum or mean over tokens (auto: mean for ipo)", "auto", "sum", "mean"),
        ParamSpec.Bool("reference_free", false, "ignore the reference model (its log-ratios are 0)"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("chosen_logps", "(B, Tc) policy token log-probs of the chosen responses"),
        InputSpec.Grad("rejected_logps", "(B, Tr) policy token log-probs of the rejected responses"),
        InputSpec.Optional("ref_chosen_logps", "(B, Tc) reference token log-probs of the chosen responses"),
        InputSpec.Optional("ref_rejected_logps", "(B, Tr) reference token log-probs of the rejected responses"),
        InputSpec.Optional("chosen_mask", "(B, Tc) 0/1 mask of the chosen tokens"),
        InputSpec.Optional("rejected_mask", "(B, Tr) 0/1 mask of the rejected tokens"),
    ];

    internal static DpoLossType Type(string s) => s switch
    {
        "hinge" => DpoLossType.Hinge,
        "ipo" => DpoLossType.Ipo,
        "robust" => DpoLossType.Robust,
        _ => DpoLossType.Sigmoid,
    };

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.dpo_loss(x.Required("chosen_logps"), x.Required("rejected_logps"), x.Optional("ref_chosen_logps"), x.Optional("ref_rejected_logps"),
            x.Optional("chosen_mask"), x.Optional("rejected_mask"), p.Float("beta"), Type(p.Choice("loss_type")), p.Float("label_smoothing"),
            p.Choice("length_normalization") switch { "sum" => DpoLengthNormalization.Sum, "mean" => DpoLengthNormalization.Mean, _ => DpoLengthNormalization.Auto },
            p.Bool("reference_free"), p.Reduction);

    internal static Dictionary<string, Tensor> Pairs(Generator g, long b, long tc, long tr, bool reference)
    {
        var d = new Dictionary<string, Tensor>
        {
            ["chosen_logps"] = Sample.Uniform(g, [b, tc], -3, -0.05),
            ["rejected_logps"] = Sample.Uniform(g, [b, tr], -3, -0.05),
            ["chosen_mask"] = AlignmentSamples.Mask(g, b, tc),
            ["rejected_mask"] = AlignmentSamples.Mask(g, b, tr),
        };
        if (reference)
        {
            d["ref_chosen_logps"] = Sample.Uniform(g, [b, tc], -3, -0.05);
            d["ref_rejected_logps"] = Sample.Uniform(g, [b, tr], -3, -0.05);
        }
        return d;
    }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(4,5|3) sigmoid", g => Pairs(g, 4, 5, 3, true));
        yield return GradcheckCase.Of("(3,4|4) sigmoid ls=0.1 none beta=0.5", g => Pairs(g, 3, 4, 4, true), ("label_smoothing", "0.1"), ("beta", "0.5"), ("reduction", "none"));
        yield return GradcheckCase.Of("(3,4|5) robust ls=0.2 sum", g => Pairs(g, 3, 4, 5, true), ("loss_type", "robust"), ("label_smoothing", "0.2"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(4,3|3) ipo", g => Pairs(g, 4, 3, 3, true), ("loss_type", "ipo"), ("beta", "0.5"));
        // beta small keeps 1 - beta*h away from the hinge's kink for these log-prob ranges
        yield return GradcheckCase.Of("(1,6|2) hinge mean-normalised", g => Pairs(g, 1, 6, 2, true), ("loss_type", "hinge"), ("beta", "0.01"), ("length_normalization", "mean"));
        yield return GradcheckCase.Of("(3,4|4) reference-free", g => Pairs(g, 3, 4, 4, false), ("reference_free", "true"));
    }
}

/// <summary>Generators of inputs for the alignment losses' gradient checks.</summary>
internal static class AlignmentSamples
{
    /// <summary>A right-padded 0/1 mask (B, T) in float64 with at least one token per row.</summary>
    public static Tensor Mask(Generator g, long b, long t)
    {
        var lengths = torch.randint(1, t + 1, new[] { b, 1L }, dtype: ScalarType.Int64, generator: g);
        return torch.arange(t, dtype: ScalarType.Int64).unsqueeze(0).lt(lengths).to_type(ScalarType.Float64);
    }
}
