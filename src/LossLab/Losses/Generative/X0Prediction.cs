using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>How a diffusion loss in x0 terms weights each sample by its signal-to-noise ratio
/// <c>SNR = alpha_bar / (1 - alpha_bar)</c> (Salimans and Ho 2022, section 4; Hang et al. 2023).</summary>
public enum SnrWeighting
{
    /// <summary>Weight 1: plain x0 regression.</summary>
    None,
    /// <summary>SNR: the weighting the eps loss implies (<c>||eps - eps_theta||^2 = SNR ||x0 - x0_theta||^2</c>); alpha_bar must be below 1.</summary>
    Snr,
    /// <summary>SNR + 1: the weighting the v loss implies.</summary>
    SnrPlusOne,
    /// <summary>max(SNR, 1): truncated SNR (Salimans and Ho 2022).</summary>
    TruncatedSnr,
    /// <summary>min(SNR, gamma): min-SNR-gamma (Hang et al. 2023), in x0 terms.</summary>
    MinSnr,
}

public static partial class Losses
{
    /// <summary>
    /// The x0-prediction diffusion loss: the network predicts the clean sample and the loss is, per sample, the mean over its
    /// elements of <c>(x0_theta - x0)^2</c>, times an SNR weighting of alpha_bar and an optional per-sample weight.
    /// </summary>
    /// <remarks>
    /// The weightings relate the parameterisations: with <see cref="SnrWeighting.Snr"/> the loss equals the eps loss
    /// (<see cref="ddpm_loss"/>) of the implied noise prediction <c>eps_theta = (x_t - sqrt(alpha_bar) x0_theta) / sqrt(1 - alpha_bar)</c>;
    /// with <see cref="SnrWeighting.SnrPlusOne"/> it equals the v loss (<see cref="v_prediction_loss"/>) of the implied v;
    /// <see cref="SnrWeighting.TruncatedSnr"/> is <c>max(SNR, 1)</c> and <see cref="SnrWeighting.MinSnr"/> is
    /// <c>min(SNR, snr_gamma)</c>. x0-prediction is what consistency, cascaded and many video models regress.
    /// <code>
    /// var loss = Losses.x0_prediction_loss(model.forward(xt, t), x0);
    /// var minSnr = Losses.x0_prediction_loss(model.forward(xt, t), x0, alphaBarT, weighting: SnrWeighting.MinSnr, snr_gamma: 5);
    /// </code>
    /// </remarks>
    /// <param name="input">The predicted clean samples, (N, ...).</param>
    /// <param name="target">The clean samples x0, the shape of <paramref name="input"/>.</param>
    /// <param name="alpha_bar">Each sample's alpha_bar_t, (N), in [0, 1] (below 1 for Snr); needed unless <paramref name="weighting"/> is None.</param>
    /// <param name="weight">Optional per-sample weights, (N).</param>
    /// <param name="weighting">The SNR weighting.</param>
    /// <param name="snr_gamma">The cap gamma of min-SNR weighting, greater than 0 (5 in Hang et al.).</param>
    /// <param name="reduction">none: per-sample losses (N); mean over the batch; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor x0_prediction_loss(Tensor input, Tensor target, Tensor? alpha_bar = null, Tensor? weight = null, SnrWeighting weighting = SnrWeighting.None, double snr_gamma = 5.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "x0_prediction_loss";
        DenoisingCommon.CheckPair(input, target, name);
        if (!Enum.IsDefined(weighting)) throw new ArgumentOutOfRangeException(nameof(weighting), weighting, $"{name}: unknown weighting");
        Check.Param(snr_gamma > 0 && double.IsFinite(snr_gamma), name, nameof(snr_gamma), "a finite number > 0", snr_gamma);
        if (weighting != SnrWeighting.None)
        {
            if (alpha_bar is null) throw new ArgumentNullException(nameof(alpha_bar), $"{name}: 'alpha_bar' is required for the {weighting} weighting");
            DenoisingCommon.CheckUnitPerSample(alpha_bar, input.shape[0], name, nameof(alpha_bar));
            if (weighting == SnrWeighting.Snr && alpha_bar.numel() > 0 && DenoisingCommon.MaxOf(alpha_bar) >= 1)
                throw new ArgumentException($"{name}: 'alpha_bar' must be below 1 with the Snr weighting (SNR = alpha_bar / (1 - alpha_bar) is infinite at 1); use MinSnr or TruncatedSnr", nameof(alpha_bar));
        }
        DenoisingCommon.CheckWeightAndReduction(input, weight, reduction, name, (target, nameof(target)), (alpha_bar, nameof(alpha_bar)));

        using var scope = NewDisposeScope();
        Tensor? w = weight;
        if (weighting != SnrWeighting.None)
        {
            var a = alpha_bar!.to_type(input.dtype);
            var snr = a / (1 - a);   // alpha_bar = 1 gives +inf, capped by min-SNR and rejected for plain SNR
            var sw = weighting switch
            {
                SnrWeighting.Snr => snr,
                SnrWeighting.SnrPlusOne => 1 / (1 - a),
                SnrWeighting.TruncatedSnr => snr.clamp_min(1.0),
                _ => snr.clamp_max(snr_gamma),
            };
            w = weight is null ? sw : sw * weight.to_type(input.dtype);
        }
        return DenoisingCommon.WeightedSampleMse(input, target, w, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The x0-prediction loss as a module; see <see cref="Losses.x0_prediction_loss"/>.
/// <c>forward(predicted_x0, x0, alpha_bar)</c> (alpha_bar is ignored with no weighting).</summary>
public sealed class X0PredictionLoss : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly SnrWeighting weighting;
    private readonly double snrGamma;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.x0_prediction_loss"/>.</summary>
    public X0PredictionLoss(SnrWeighting weighting = SnrWeighting.None, double snr_gamma = 5.0, Reduction reduction = Reduction.Mean) : base(nameof(X0PredictionLoss))
    {
        Check.Param(snr_gamma > 0 && double.IsFinite(snr_gamma), nameof(X0PredictionLoss), nameof(snr_gamma), "a finite number > 0", snr_gamma);
        Reduce.NoBatchMean(reduction, nameof(X0PredictionLoss));
        this.weighting = weighting;
        snrGamma = snr_gamma;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target, Tensor alpha_bar) =>
        Losses.x0_prediction_loss(input, target, weighting == SnrWeighting.None ? null : alpha_bar, null, weighting, snrGamma, reduction);
}

internal sealed class X0PredictionDefinition : LossDefinition
{
    internal static readonly string[] WeightingNames = ["none", "snr", "snr_plus_one", "truncated_snr", "min_snr"];

    public override string Name => "x0_prediction";
    public override string Family => "generative";
    public override string Summary => "x0-prediction diffusion loss: per-sample mean squared error to the clean sample, with an optional SNR weighting.";
    public override string Math => "l_i = w_i * lambda(SNR_i) * mean_j (input_ij - target_ij)^2, SNR = abar / (1 - abar); lambda: 1, SNR, SNR + 1, max(SNR, 1), min(SNR, gamma)";
    public override string Reference => "Ho et al. 2020 (x0 parameterisation); Salimans and Ho 2022 (SNR weightings); Hang et al. 2023, Efficient Diffusion Training via Min-SNR Weighting";
    public override string Function => "Losses.x0_prediction_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("weighting", "none", "SNR weighting: none, snr (= the eps loss), snr_plus_one (= the v loss), truncated_snr max(SNR,1), min_snr min(SNR,gamma)", WeightingNames),
        ParamSpec.Float("snr_gamma", 5.0, "the cap gamma of min_snr", min: 0, minExclusive: true),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, ...) predicted clean samples"),
        InputSpec.Data("target", "(N, ...) clean samples x0"),
        InputSpec.Optional("alpha_bar", "(N) alpha_bar_t of each sample, in [0, 1]; required with a weighting"),
        DenoisingCommon.WeightInput,
    ];

    internal static SnrWeighting Parse(string s) => (SnrWeighting)Array.IndexOf(WeightingNames, s);

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.x0_prediction_loss(x.Required("input"), x.Required("target"), x.Optional("alpha_bar"), x.Optional("weight"), Parse(p.Choice("weighting")), p.Float("snr_gamma"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Make(long[] shape, bool weighted) =>
            DenoisingCommon.GradcheckInputs(shape, weighted, alphaBar: true, "input", "target");
        yield return GradcheckCase.Of("(4,3) none mean", Make([4, 3], false));
        yield return GradcheckCase.Of("(3,2,2) snr weighted none", Make([3, 2, 2], true), ("weighting", "snr"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) snr_plus_one sum", Make([1, 4], false), ("weighting", "snr_plus_one"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(5,2) truncated_snr", Make([5, 2], false), ("weighting", "truncated_snr"));
        yield return GradcheckCase.Of("(5,2) min_snr gamma=2", Make([5, 2], true), ("weighting", "min_snr"), ("snr_gamma", "2"));
    }
}
