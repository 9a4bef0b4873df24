using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The DDPM noise-prediction loss <c>L_simple</c> (Ho et al. 2020, equation 14): per sample, the mean over its
    /// elements of <c>(eps_theta(x_t, t) - eps)^2</c>, optionally times a per-sample weight, then reduced over the batch.
    /// </summary>
    /// <remarks>
    /// The training step draws <c>t</c>, <c>eps ~ N(0, I)</c>, builds <c>x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps</c>
    /// (<see cref="Diffusion.QSample"/>, with <see cref="NoiseSchedule.LinearBetas"/> or <see cref="NoiseSchedule.CosineBetas"/>
    /// and <see cref="NoiseSchedule.AlphasCumprod"/>) and regresses the noise. The per-sample mean over elements is the
    /// <c>mean_flat</c> of the reference code; <paramref name="weight"/> carries importance weights of the sampled
    /// timesteps (improved DDPM) or a min-SNR weighting <c>min(SNR, gamma) / SNR</c>. Use it with classifier-free guidance
    /// (<see cref="ClassifierFreeGuidance"/>) at sampling time.
    /// <code>
    /// var alphaBar = NoiseSchedule.AlphasCumprod(NoiseSchedule.CosineBetas(1000));
    /// var t = torch.randint(0, 1000, new long[] { n });
    /// var noise = torch.randn_like(x0);
    /// var xt = Diffusion.QSample(x0, noise, Diffusion.AlphaBarAt(alphaBar, t).to_type(x0.dtype));
    /// var loss = Losses.ddpm_loss(model.forward(xt, t), noise);
    /// </code>
    /// </remarks>
    /// <param name="input">The predicted noise eps_theta(x_t, t), (N, ...).</param>
    /// <param name="target">The noise eps that made x_t, the shape of <paramref name="input"/>.</param>
    /// <param name="weight">Optional per-sample weights, (N).</param>
    /// <param name="reduction">none: per-sample losses (N); mean over the batch; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor ddpm_loss(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "ddpm_loss";
        DenoisingCommon.CheckPair(input, target, name);
        DenoisingCommon.CheckWeightAndReduction(input, weight, reduction, name, (target, nameof(target)));

        using var scope = NewDisposeScope();
        return DenoisingCommon.WeightedSampleMse(input, target, weight, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The DDPM noise-prediction loss as a module; see <see cref="Losses.ddpm_loss"/>. <c>forward(predicted_noise, noise)</c>.</summary>
public sealed class DdpmLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.ddpm_loss"/>.</summary>
    public DdpmLoss(Reduction reduction = Reduction.Mean) : base(nameof(DdpmLoss))
    {
        Reduce.NoBatchMean(reduction, nameof(DdpmLoss));
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.ddpm_loss(input, target, null, reduction);
}

internal sealed class DdpmDefinition : LossDefinition
{
    public override string Name => "ddpm";
    public override string Family => "generative";
    public override string Summary => "DDPM noise-prediction loss (L_simple): per-sample mean squared error between predicted and true noise.";
    public override string Math => "l_i = w_i * mean_j (input_ij - target_ij)^2, target = eps with x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps";
    public override string Reference => "Ho, Jain, Abbeel 2020, Denoising Diffusion Probabilistic Models (L_simple); Nichol and Dhariwal 2021 (cosine schedule)";
    public override string Function => "Losses.ddpm_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, ...) predicted noise eps_theta(x_t, t)"),
        InputSpec.Data("target", "(N, ...) the true noise eps"),
        DenoisingCommon.WeightInput,
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.ddpm_loss(x.Required("input"), x.Required("target"), x.Optional("weight"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Make(long[] shape, bool weighted) =>
            DenoisingCommon.GradcheckInputs(shape, weighted, alphaBar: false, "input", "target");
        yield return GradcheckCase.Of("(4,2,3) mean", Make([4, 2, 3], false));
        yield return GradcheckCase.Of("(5,3) weighted none", Make([5, 3], true), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,2,2,2) weighted sum", Make([1, 2, 2, 2], true), ("reduction", "sum"));
        yield return GradcheckCase.Of("(6) mean", Make([6], false));
    }
}
