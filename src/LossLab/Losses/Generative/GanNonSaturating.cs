using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The non-saturating GAN (Goodfellow et al. 2014, section 3): the generator minimises <c>-log D(G(z))</c> instead of
    /// <c>log(1 - D(G(z)))</c>; the discriminator's loss is the original binary cross-entropy
    /// <c>-log D(x) - log(1 - D(G(z)))</c>. <c>D = sigmoid(logit)</c>.
    /// </summary>
    /// <remarks>
    /// In log space: the generator's loss is <c>softplus(-fake)</c>, the discriminator's <c>softplus(-real) + softplus(fake)</c>
    /// (with one-sided <paramref name="label_smoothing"/> s: <c>(1 - s) softplus(-real) + s softplus(real)</c>), finite for
    /// logits of magnitude 1e4 in float32. This is the GAN loss most implementations mean (DCGAN, StyleGAN's logistic
    /// loss): the generator's gradient <c>-sigmoid(-fake)</c> is strongest exactly where the minimax form's vanishes.
    /// The two generator losses have the same fixed point (the discriminator at 1/2, <c>p_g = p_data</c>), where their
    /// gradients with respect to the logit are equal (-1/2); entry by entry they satisfy
    /// <c>non_saturating + minimax = -fake</c>.
    /// <code>
    /// var dLoss = Losses.gan_non_saturating_loss(D(x), D(G(z).detach()));
    /// var gLoss = Losses.gan_non_saturating_loss(null, D(G(z)), GanRole.Generator);
    /// </code>
    /// </remarks>
    /// <param name="real_logits">Discriminator logits on real samples, (N, *); needed for the discriminator role only (may be null otherwise).</param>
    /// <param name="fake_logits">Discriminator logits on generated samples, (M, *); (N, *) with reduction none.</param>
    /// <param name="role">Which player the loss trains.</param>
    /// <param name="label_smoothing">One-sided label smoothing of the real target, in [0, 1) (discriminator role).</param>
    /// <param name="reduction">none: per-entry losses; mean: the mean of each term over its batch, added; sum.</param>
    /// <returns>A scalar, or the per-entry losses for reduction none.</returns>
    public static Tensor gan_non_saturating_loss(Tensor? real_logits, Tensor fake_logits, GanRole role = GanRole.Discriminator, double label_smoothing = 0.0, Reduction reduction = Reduction.Mean) =>
        GanCommon.Logistic(real_logits, fake_logits, role, label_smoothing, reduction, nonSaturating: true, "gan_non_saturating_loss");
}

/// <summary>The non-saturating GAN loss as a module; see <see cref="Losses.gan_non_saturating_loss"/>.
/// <c>forward(real_logits, fake_logits)</c>; in the generator role the real logits are ignored.</summary>
public sealed class GanNonSaturatingLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly GanRole role;
    private readonly double labelSmoothing;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.gan_non_saturating_loss"/>.</summary>
    public GanNonSaturatingLoss(GanRole role = GanRole.Discriminator, double label_smoothing = 0.0, Reduction reduction = Reduction.Mean) : base(nameof(GanNonSaturatingLoss))
    {
        GanCommon.CheckSmoothing(label_smoothing, nameof(GanNonSaturatingLoss));
        Reduce.NoBatchMean(reduction, nameof(GanNonSaturatingLoss));
        this.role = role;
        labelSmoothing = label_smoothing;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor real_logits, Tensor fake_logits) => Losses.gan_non_saturating_loss(real_logits, fake_logits, role, labelSmoothing, reduction);
}

internal sealed class GanNonSaturatingDefinition : GanDefinition
{
    public override string Name => "gan_non_saturating";
    public override string Summary => "Non-saturating GAN from logits: generator -log D(G(z)); binary cross-entropy discriminator.";
    public override string Math => "discriminator: softplus(-real) [(1-s) softplus(-real) + s softplus(real)] + softplus(fake); generator: softplus(-fake) = -log sigmoid(fake)";
    public override string Reference => "Goodfellow et al. 2014, Generative Adversarial Nets (section 3, the -log D trick); Radford et al. 2016 (DCGAN)";
    public override string Function => "Losses.gan_non_saturating_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = GanCommon.BceParameters();

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.gan_non_saturating_loss(x.Optional(GanCommon.Real), x.Required(GanCommon.Fake), GanCommon.ParseRole(p), p.Float("label_smoothing"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        foreach (var c in RoleCases()) yield return c;
        yield return GradcheckCase.Of("(3,3) generator sum, large logits", Scores([3, 3], [3, 3], 6), ("role", "generator"), ("reduction", "sum"));
    }
}
