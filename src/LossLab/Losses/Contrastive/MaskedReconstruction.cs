using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The masked autoencoder reconstruction loss (He et al. 2022, MAE): the mean squared error per patch,
    /// <c>mean_p (input - target)^2</c>, averaged over the masked (removed) patches only:
    /// <c>sum_{b,l} mask_bl e_bl / sum mask</c>.
    /// </summary>
    /// <remarks>
    /// <para>Use it for masked-image (or masked-signal) pre-training: the encoder sees the visible patches, the decoder
    /// predicts every patch, and only the hidden ones are scored. With <paramref name="norm_pix_loss"/> (MAE's best
    /// setting) each target patch is first standardised by its own mean and variance,
    /// <c>(t - mean) / sqrt(var + 1e-6)</c> with the unbiased variance over the patch's values, as the MAE code does.</para>
    /// <para>The mask may be bool or 0/1 (MAE's float mask, 1 = removed); values in [0, 1] act as weights. A batch with no
    /// masked patch gives 0, not NaN. The target carries no gradient in MAE; here it is an ordinary input.</para>
    /// <code>
    /// var loss = Losses.masked_reconstruction_loss(decoderOutput, Patchify(images), mask, norm_pix_loss: true);
    /// </code>
    /// </remarks>
    /// <param name="input">Predicted patches (B, L, P): L patches of P values (patch_size^2 * channels), floating.</param>
    /// <param name="target">Target patches (B, L, P).</param>
    /// <param name="mask">(B, L): 1 (true) where a patch was masked and is scored, 0 where visible.</param>
    /// <param name="norm_pix_loss">Standardise each target patch first (needs P &gt;= 2).</param>
    /// <param name="reduction">none: per-patch losses times the mask (B, L); mean over masked patches; sum.</param>
    /// <returns>A scalar, or (B, L) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, devices or mask values.</exception>
    public static Tensor masked_reconstruction_loss(Tensor input, Tensor target, Tensor mask, bool norm_pix_loss = false, Reduction reduction = Reduction.Mean)
    {
        const string name = "masked_reconstruction_loss";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 3);
        Check.Floating(target, name, nameof(target));
        Check.SameShape(input, nameof(input), target, nameof(target), name);
        Check.SameFloatType(name, (input, nameof(input)), (target, nameof(target)));
        Check.NotNull(mask, name, nameof(mask));
        if (mask.dtype.IsComplex())
            throw new ArgumentException($"{name}: 'mask' must be a bool or 0/1 tensor, got {mask.dtype}", nameof(mask));
        if (mask.dim() != 2 || mask.shape[0] != input.shape[0] || mask.shape[1] != input.shape[1])
            throw new ArgumentException($"{name}: 'mask' must have shape (B, L) = [{input.shape[0]}, {input.shape[1]}] for input of shape {Check.Shape(input)}, got {Check.Shape(mask)}", nameof(mask));
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (mask, nameof(mask)));
        if (mask.dtype != ScalarType.Bool) Check.InRange(mask, 0, 1, name, nameof(mask));
        if (norm_pix_loss && input.shape[2] < 2)
            throw new ArgumentException($"{name}: 'norm_pix_loss' needs at least 2 values per patch (the unbiased variance), got shape {Check.Shape(input)}", nameof(norm_pix_loss));
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var t = target;
        if (norm_pix_loss)
        {
            var mean = target.mean(new long[] { -1 }, keepdim: true);
            var variance = target.var(-1, unbiased: true, keepdim: true);
            t = (target - mean) / (variance + 1e-6).sqrt();
        }
        var w = mask.to_type(input.dtype);
        var perPatch = (input - t).square().mean(new long[] { -1 }) * w;                      // (B, L)
        Tensor result = reduction switch
        {
            Reduction.None => perPatch,
            Reduction.Sum => perPatch.sum(),
            _ => perPatch.sum() / torch.where(w.sum().gt(0), w.sum(), torch.ones_like(w.sum())),   // 0 / 1 without a masked patch
        };
        return result.MoveToOuterDisposeScope();
    }
}

/// <summary>The MAE reconstruction loss as a module <c>forward(input, target, mask)</c>; see <see cref="Losses.masked_reconstruction_loss"/>.</summary>
public sealed class MaskedReconstructionLoss : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly bool normPixLoss;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.masked_reconstruction_loss"/>.</summary>
    public MaskedReconstructionLoss(bool norm_pix_loss = false, Reduction reduction = Reduction.Mean) : base(nameof(MaskedReconstructionLoss))
    {
        Reduce.NoBatchMean(reduction, nameof(MaskedReconstructionLoss));
        normPixLoss = norm_pix_loss;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target, Tensor mask) => Losses.masked_reconstruction_loss(input, target, mask, normPixLoss, reduction);
}

internal sealed class MaskedReconstructionDefinition : LossDefinition
{
    public override string Name => "masked_reconstruction";
    public override string Family => "self_supervised";
    public override string Summary => "MAE reconstruction loss: per-patch MSE averaged over the masked patches only, optional per-patch target normalisation.";
    public override string Math => "e_bl = mean_p (input - t)^2, t = target [norm_pix_loss: (target - mean) / sqrt(var_unbiased + 1e-6) per patch];  l = sum mask e / sum mask";
    public override string Reference => "He et al. 2022, Masked Autoencoders Are Scalable Vision Learners (MAE)";
    public override string Function => "Losses.masked_reconstruction_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Bool("norm_pix_loss", false, "standardise each target patch by its mean and variance"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(B, L, P) predicted patches"),
        InputSpec.Data("target", "(B, L, P) target patches"),
        InputSpec.Data("mask", "(B, L) 1 where the patch was masked (scored)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.masked_reconstruction_loss(x.Required("input"), x.Required("target"), x.Required("mask"), p.Bool("norm_pix_loss"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> Patches(Generator g, long b, long l, long p)
        {
            var m = torch.rand(new[] { b, l }, dtype: ScalarType.Float64, generator: g).lt(0.75).to_type(ScalarType.Float64);
            m[0, 0] = 1.0;
            return new() { ["input"] = Sample.Normal(g, [b, l, p]), ["target"] = Sample.Normal(g, [b, l, p]), ["mask"] = m };
        }
        yield return GradcheckCase.Of("(2,5,4) mean", g => Patches(g, 2, 5, 4));
        yield return GradcheckCase.Of("(3,4,6) norm_pix_loss sum", g => Patches(g, 3, 4, 6), ("norm_pix_loss", "true"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(2,3,2) norm_pix_loss none", g => Patches(g, 2, 3, 2), ("norm_pix_loss", "true"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,1,3) one patch", g => Patches(g, 1, 1, 3));
    }
}
