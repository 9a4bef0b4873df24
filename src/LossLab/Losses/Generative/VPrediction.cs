using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The v-prediction loss of Salimans and Ho 2022 (progressive distillation): the network predicts
    /// <c>v = sqrt(alpha_bar) eps - sqrt(1 - alpha_bar) x0</c> and the loss is, per sample, the mean over its elements of
    /// <c>(v_theta - v)^2</c>, optionally times a per-sample weight.
    /// </summary>
    /// <remarks>
    /// In x0 terms, <c>(v_theta - v)^2 = (x0_theta - x0)^2 / (1 - alpha_bar) = (SNR + 1) (x0_theta - x0)^2</c> with
    /// <c>x0_theta = sqrt(alpha_bar) x_t - sqrt(1 - alpha_bar) v_theta</c>: the "SNR + 1" weighting, which stays finite as the
    /// signal-to-noise ratio goes to 0 (the eps loss's implied weighting does not), so it suits schedules that reach pure
    /// noise and few-step samplers. <see cref="Diffusion.VTarget"/> builds the target.
    /// <code>
    /// var xt = Diffusion.QSample(x0, noise, alphaBarT);
    /// var loss = Losses.v_prediction_loss(model.forward(xt, t), x0, noise, alphaBarT);
    /// </code>
    /// </remarks>
    /// <param name="input">The predicted v, (N, ...).</param>
    /// <param name="x0">The clean samples, the shape of <paramref name="input"/>.</param>
    /// <param name="noise">The noise eps that made x_t, the shape of <paramref name="input"/>.</param>
    /// <param name="alpha_bar">Each sample's alpha_bar_t, (N), in [0, 1].</param>
    /// <param name="weight">Optional per-sample weights, (N).</param>
    /// <param name="reduction">none: per-sample losses (N); mean over the batch; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor v_prediction_loss(Tensor input, Tensor x0, Tensor noise, Tensor alpha_bar, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "v_prediction_loss";
        DenoisingCommon.CheckPair(input, x0, name, nameof(x0));
        Check.ElementwisePair(input, noise, name, "input", nameof(noise));
        DenoisingCommon.CheckUnitPerSample(alpha_bar, input.shape[0], name, nameof(alpha_bar));
        DenoisingCommon.CheckWeightAndReduction(input, weight, reduction, name, (x0, nameof(x0)), (noise, nameof(noise)), (alpha_bar, nameof(alpha_bar)));

        using var scope = NewDisposeScope();
        var a = DenoisingCommon.PerSample(alpha_bar, input);
        var v = a.sqrt() * noise - (1 - a).sqrt() * x0;
        return DenoisingCommon.WeightedSampleMse(input, v, weight, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The v-prediction loss as a module; see <see cref="Losses.v_prediction_loss"/>.
/// <c>forward(predicted_v, x0, noise, alpha_bar)</c>.</summary>
public sealed class VPredictionLoss : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.v_prediction_loss"/>.</summary>
    public VPredictionLoss(Reduction reduction = Reduction.Mean) : base(nameof(VPredictionLoss))
    {
        Reduce.NoBatchMean(reduction, nameof(VPredictionLoss));
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor x0, Tensor noise, Tensor alpha_bar) => Losses.v_prediction_loss(input, x0, noise, alpha_bar, null, reduction);
}

internal sealed class VPredictionDefinition : LossDefinition
{
    public override string Name => "v_prediction";
    public override string Family => "generative";
    public override string Summary => "v-prediction diffusion loss: per-sample mean squared error to v = sqrt(abar) eps - sqrt(1 - abar) x0.";
    public override string Math => "l_i = w_i * mean_j (input_ij - v_ij)^2, v = sqrt(abar_i) noise - sqrt(1 - abar_i) x0";
    public override string Reference => "Salimans and Ho 2022, Progressive Distillation for Fast Sampling of Diffusion Models";
    public override string Function => "Losses.v_prediction_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, ...) predicted v"),
        InputSpec.Data("x0", "(N, ...) clean samples"),
        InputSpec.Data("noise", "(N, ...) the noise eps of x_t"),
        InputSpec.Data("alpha_bar", "(N) alpha_bar_t of each sample, in [0, 1]"),
        DenoisingCommon.WeightInput,
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.v_prediction_loss(x.Required("input"), x.Required("x0"), x.Required("noise"), x.Required("alpha_bar"), x.Optional("weight"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Make(long[] shape, bool weighted) =>
            DenoisingCommon.GradcheckInputs(shape, weighted, alphaBar: true, "input", "x0", "noise");
        yield return GradcheckCase.Of("(4,3) mean", Make([4, 3], false));
        yield return GradcheckCase.Of("(3,2,2) weighted none", Make([3, 2, 2], true), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,5) sum", Make([1, 5], false), ("reduction", "sum"));
    }
}
