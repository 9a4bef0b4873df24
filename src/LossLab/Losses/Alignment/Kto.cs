using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Kahneman-Tversky Optimization (Ethayarajh et al. 2024) as TRL's <c>KTOTrainer</c> computes it. With the
    /// sequence log-ratio <c>r_i = log pi(y_i|x_i) - log ref(y_i|x_i)</c> (masked sums) and the reference point
    /// <c>z_ref = max(0, mean_j [log pi(y'_j|x_j) - log ref(y'_j|x_j)])</c> over a mismatched batch (prompts paired
    /// with other prompts' completions), held constant, the per-example loss is
    /// <c>desirable_weight * (1 - sigmoid(beta (r_i - z_ref)))</c> for desirable examples and
    /// <c>undesirable_weight * (1 - sigmoid(beta (z_ref - r_i)))</c> for undesirable ones.
    /// </summary>
    /// <remarks>
    /// KTO needs only a binary signal per example (desirable or not), not pairs. z_ref estimates KL(pi || ref) and is
    /// held constant (<see cref="LossLab.Autograd.Surrogate.Hold"/>, term <c>kl_ref</c>): no gradient flows into the
    /// mismatched batch, as in TRL (which detaches it). Without a mismatched batch (all kl_* null), z_ref = 0 (TRL's
    /// <c>calculate_KL=False</c>). The KL batch may be given per token (B', T') with <paramref name="kl_mask"/>, or as
    /// sequence log-probabilities (B'). Use KTO with unpaired thumbs-up/down data, or imbalanced desirable/undesirable
    /// counts (weight them so that desirable_weight * n_D / (undesirable_weight * n_U) is in [1, 4/3], the paper's advice).
    /// <code>
    /// var loss = Losses.kto_loss(logps, refLogps, mask, labels, klLogps, klRefLogps, klMask, beta: 0.1);
    /// </code>
    /// </remarks>
    /// <param name="logps">Policy per-token log-probabilities, (B, T).</param>
    /// <param name="ref_logps">Reference per-token log-probabilities, (B, T).</param>
    /// <param name="mask">Token mask, (B, T) (null: all).</param>
    /// <param name="labels">Desirable (1 / true) or undesirable (0 / false) per example, (B).</param>
    /// <param name="kl_logps">Policy log-probabilities of the mismatched batch: (B', T') per token, or (B') per sequence; null for z_ref = 0.</param>
    /// <param name="kl_ref_logps">Reference log-probabilities of the mismatched batch, the shape of <paramref name="kl_logps"/>.</param>
    /// <param name="kl_mask">Token mask of the mismatched batch, (B', T') (null: all).</param>
    /// <param name="beta">Inverse temperature, &gt; 0.</param>
    /// <param name="desirable_weight">Weight of desirable examples, &gt;= 0.</param>
    /// <param name="undesirable_weight">Weight of undesirable examples, &gt;= 0.</param>
    /// <param name="reduction">none: per-example losses (B); mean (TRL's, over all examples); sum.</param>
    /// <returns>A scalar, or (B) for reduction none.</returns>
    public static Tensor kto_loss(Tensor logps, Tensor ref_logps, Tensor? mask, Tensor labels,
        Tensor? kl_logps = null, Tensor? kl_ref_logps = null, Tensor? kl_mask = null,
        double beta = 0.1, double desirable_weight = 1.0, double undesirable_weight = 1.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "kto_loss";
        AlignmentOps.CheckPolicyAndReference(logps, ref_logps, mask, name);
        Check.PerSequence(labels, logps, name, nameof(labels), nameof(logps));
        Check.BinaryFeedback(labels, name, nameof(labels));
        if ((kl_logps is null) != (kl_ref_logps is null))
            throw new ArgumentException($"{name}: 'kl_logps' and 'kl_ref_logps' must be given together (or neither, for z_ref = 0)", kl_logps is null ? nameof(kl_logps) : nameof(kl_ref_logps));
        if (kl_logps is not null)
        {
            Check.Floating(kl_logps, name, nameof(kl_logps));
            Check.Rank(kl_logps, name, nameof(kl_logps), 1, 2);
            Check.Floating(kl_ref_logps!, name, nameof(kl_ref_logps));
            Check.SameShape(kl_logps, nameof(kl_logps), kl_ref_logps!, nameof(kl_ref_logps), name);
            if (kl_logps.shape[0] == 0) throw new ArgumentException($"{name}: the mismatched batch 'kl_logps' is empty", nameof(kl_logps));
            if (kl_mask is not null && kl_logps.dim() != 2)
                throw new ArgumentException($"{name}: 'kl_mask' needs per-token 'kl_logps' (B', T'), got {Check.Shape(kl_logps)}", nameof(kl_mask));
            Check.TokenMask(kl_mask, kl_logps, name, nameof(kl_mask), nameof(kl_logps));
        }
        else if (kl_mask is not null) throw new ArgumentException($"{name}: 'kl_mask' was given without 'kl_logps'", nameof(kl_mask));
        Check.SameDevice(name, (logps, nameof(logps)), (ref_logps, nameof(ref_logps)), (kl_logps, nameof(kl_logps)), (kl_ref_logps, nameof(kl_ref_logps)));
        Check.Param(beta > 0 && double.IsFinite(beta), name, nameof(beta), "a finite number > 0", beta);
        Check.Param(desirable_weight >= 0 && double.IsFinite(desirable_weight), name, nameof(desirable_weight), "a finite number >= 0", desirable_weight);
        Check.Param(undesirable_weight >= 0 && double.IsFinite(undesirable_weight), name, nameof(undesirable_weight), "a finite number >= 0", undesirable_weight);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var dtype = logps.dtype;
        var ratio = AlignmentOps.SequenceLogps(logps, mask, false) - AlignmentOps.SequenceLogps(ref_logps.to_type(dtype), mask, false);
        Tensor z;
        if (kl_logps is null) z = torch.zeros(1, dtype: dtype, device: logps.device);
        else
        {
            var klRatio = kl_logps.dim() == 2
                ? AlignmentOps.SequenceLogps(kl_logps, kl_mask, false) - AlignmentOps.SequenceLogps(kl_ref_logps!.to_type(kl_logps.dtype), kl_mask, false)
                : kl_logps - kl_ref_logps!.to_type(kl_logps.dtype);
            z = Surrogate.Hold("kl_ref", klRatio.mean().clamp_min(0.0).to_type(dtype).reshape(1));
        }
        var desirable = (labels.dtype == ScalarType.Bool ? labels : labels.ne(0)).to(logps.device);
        var lossD = (1 - torch.sigmoid((ratio - z) * beta)) * desirable_weight;
        var lossU = (1 - torch.sigmoid((z - ratio) * beta)) * undesirable_weight;
        var loss = torch.where(desirable, lossD, lossU);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The KTO loss as a module; see <see cref="Losses.kto_loss"/>. Inputs: logps, ref_logps, mask,
/// labels, and the mismatched batch's sequence log-probabilities kl_logps and kl_ref_logps (B') (use
/// <see cref="Losses.sequence_logps"/> to form them from padded tokens).</summary>
public sealed class KtoLoss : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly double beta;
    private readonly double desirableWeight;
    private readonly double undesirableWeight;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.kto_loss"/>.</summary>
    /// <param name="beta">Inverse temperature.</param>
    /// <param name="desirable_weight">Weight of desirable examples.</param>
    /// <param name="undesirable_weight">Weight of undesirable examples.</param>
    /// <param name="reduction">The reduction.</param>
    public KtoLoss(double beta = 0.1, double desirable_weight = 1.0, double undesirable_weight = 1.0, Reduction reduction = Reduction.Mean) : base(nameof(KtoLoss))
    {
        Check.Param(beta > 0 && double.IsFinite(beta), nameof(KtoLoss), nameof(beta), "a finite number > 0", beta);
        this.beta = beta;
        desirableWeight = desirable_weight;
        undesirableWeight = undesirable_weight;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor logps, Tensor ref_logps, Tensor mask, Tensor labels, Tensor kl_logps, Tensor kl_ref_logps) =>
        Losses.kto_loss(logps, ref_logps, mask, labels, kl_logps, kl_ref_logps, null, beta, desirableWeight, undesirableWeight, reduction);
}

internal sealed class KtoDefinition : LossDefinition
{
    public override string Name => "kto";
    public override string Family => "alignment";
    public override string Summary => "Kahneman-Tversky Optimization on unpaired desirable/undesirable examples, with the KL reference point from a mismatched batch held constant (TRL).";
    public override string Math => "r_i = sum_t m (logp - ref); z = sg(max(0, mean_j r'_j)); l_i = w_D (1 - sigmoid(beta (r_i - z))) if desirable else w_U (1 - sigmoid(beta (z - r_i)))";
    public override string Reference => "Ethayarajh et al. 2024, KTO: Model Alignment as Prospect Theoretic Optimization; TRL KTOTrainer";
    public override string Function => "Losses.kto_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["kl_ref"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("beta", 0.1, "inverse temperature", min: 0, minExclusive: true),
        ParamSpec.Float("desirable_weight", 1.0, "weight of desirable examples", min: 0),
        ParamSpec.Float("undesirable_weight", 1.0, "weight of undesirable examples", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("logps", "(B, T) policy token log-probs"),
        InputSpec.Data("ref_logps", "(B, T) reference token log-probs"),
        InputSpec.Optional("mask", "(B, T) 0/1 token mask"),
        InputSpec.Data("labels", "(B) 1 desirable, 0 undesirable"),
        InputSpec.Optional("kl_logps", "(B', T') or (B') policy log-probs of the mismatched batch"),
        InputSpec.Optional("kl_ref_logps", "(B', T') or (B') reference log-probs of the mismatched batch"),
        InputSpec.Optional("kl_mask", "(B', T') 0/1 mask of the mismatched batch"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.kto_loss(x.Required("logps"), x.Required("ref_logps"), x.Optional("mask"), x.Required("labels"),
            x.Optional("kl_logps"), x.Optional("kl_ref_logps"), x.Optional("kl_mask"),
            p.Float("beta"), p.Float("desirable_weight"), p.Float("undesirable_weight"), p.Reduction);

    private static Dictionary<string, Tensor> Make(Generator g, long b, long t, bool kl, double scale = 1)
    {
        var d = new Dictionary<string, Tensor>
        {
            ["logps"] = Sample.Uniform(g, [b, t], -3, -0.05) * scale,
            ["ref_logps"] = Sample.Uniform(g, [b, t], -3, -0.05) * scale,
            ["mask"] = AlignmentSamples.Mask(g, b, t),
            ["labels"] = Sample.Binary(g, [b]),
        };
        if (kl)
        {
            d["kl_logps"] = Sample.Uniform(g, [b, t], -3, -0.05);
            d["kl_ref_logps"] = Sample.Uniform(g, [b, t], -4, -1);
            d["kl_mask"] = AlignmentSamples.Mask(g, b, t);
        }
        return d;
    }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) with KL batch", g => Make(g, 6, 4, true), ("beta", "0.5"));
        yield return GradcheckCase.Of("(5,3) no KL batch none", g => Make(g, 5, 3, false), ("reduction", "none"));
        yield return GradcheckCase.Of("(4,5) weighted sum", g => Make(g, 4, 5, true), ("desirable_weight", "1.33"), ("undesirable_weight", "0.7"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,3) single example", g => Make(g, 1, 3, true), ("beta", "1"));
    }
}
