using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The original minimax GAN (Goodfellow et al. 2014) from discriminator logits <c>D = sigmoid(logit)</c>:
    /// the discriminator minimises <c>-log D(x) - log(1 - D(G(z)))</c>, the generator minimises <c>log(1 - D(G(z)))</c>.
    /// </summary>
    /// <remarks>
    /// In log space: <c>-log D(x) = softplus(-real)</c>, <c>-log(1 - D(G(z))) = softplus(fake)</c> and
    /// <c>log(1 - D(G(z))) = -softplus(fake)</c>, so logits of magnitude 1e4 in float32 give finite values and gradients.
    /// The discriminator's loss is the binary cross-entropy with targets 1 (real) and 0 (fake); with
    /// <paramref name="label_smoothing"/> s the real target is 1 - s (one-sided label smoothing, Salimans et al. 2016).
    /// At the optimal discriminator the game's value is <c>-log 4 + 2 JSD(p_data || p_g)</c>; with <c>p_g = p_data</c>,
    /// D = 1/2 everywhere and the discriminator's loss is <c>log 4</c>.
    /// The generator's minimax loss saturates: its gradient <c>-sigmoid(fake)</c> vanishes while the discriminator
    /// rejects the samples confidently (fake logits very negative), early in training. Prefer
    /// <see cref="gan_non_saturating_loss"/> for the generator; this form is for studies of the original game.
    /// Mean reduction averages each term over its own batch, so the real and fake batches may differ in size.
    /// <code>
    /// var dLoss = Losses.gan_minimax_loss(D(x), D(G(z).detach()));                        // discriminator step
    /// var gLoss = Losses.gan_minimax_loss(null, D(G(z)), GanRole.Generator);              // generator step
    /// </code>
    /// </remarks>
    /// <param name="real_logits">Discriminator logits on real samples, (N, *); needed for the discriminator role only (may be null otherwise).</param>
    /// <param name="fake_logits">Discriminator logits on generated samples, (M, *); (N, *) with reduction none.</param>
    /// <param name="role">Which player the loss trains.</param>
    /// <param name="label_smoothing">One-sided label smoothing of the real target, in [0, 1) (discriminator role).</param>
    /// <param name="reduction">none: per-entry losses (real term + fake term entry by entry for the discriminator);
    /// mean: the mean of each term over its batch, added; sum.</param>
    /// <returns>A scalar, or the per-entry losses for reduction none.</returns>
    public static Tensor gan_minimax_loss(Tensor? real_logits, Tensor fake_logits, GanRole role = GanRole.Discriminator, double label_smoothing = 0.0, Reduction reduction = Reduction.Mean) =>
        GanCommon.Logistic(real_logits, fake_logits, role, label_smoothing, reduction, nonSaturating: false, "gan_minimax_loss");
}

/// <summary>The minimax GAN loss as a module; see <see cref="Losses.gan_minimax_loss"/>. <c>forward(real_logits, fake_logits)</c>;
/// in the generator role the real logits are ignored.</summary>
public sealed class GanMinimaxLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly GanRole role;
    private readonly double labelSmoothing;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.gan_minimax_loss"/>.</summary>
    public GanMinimaxLoss(GanRole role = GanRole.Discriminator, double label_smoothing = 0.0, Reduction reduction = Reduction.Mean) : base(nameof(GanMinimaxLoss))
    {
        GanCommon.CheckSmoothing(label_smoothing, nameof(GanMinimaxLoss));
        Reduce.NoBatchMean(reduction, nameof(GanMinimaxLoss));
        this.role = role;
        labelSmoothing = label_smoothing;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor real_logits, Tensor fake_logits) => Losses.gan_minimax_loss(real_logits, fake_logits, role, labelSmoothing, reduction);
}

internal sealed class GanMinimaxDefinition : GanDefinition
{
    public override string Name => "gan_minimax";
    public override string Summary => "The original minimax GAN from logits: binary cross-entropy discriminator; saturating generator log(1 - D(G(z))).";
    public override string Math => "discriminator: softplus(-real) [(1-s) softplus(-real) + s softplus(real)] + softplus(fake); generator: -softplus(fake) = log(1 - sigmoid(fake))";
    public override string Reference => "Goodfellow et al. 2014, Generative Adversarial Nets; one-sided label smoothing: Salimans et al. 2016, Improved Techniques for Training GANs";
    public override string Function => "Losses.gan_minimax_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = GanCommon.BceParameters();

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.gan_minimax_loss(x.Optional(GanCommon.Real), x.Required(GanCommon.Fake), GanCommon.ParseRole(p), p.Float("label_smoothing"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        foreach (var c in RoleCases()) yield return c;
        yield return GradcheckCase.Of("(6,2)/(6,2) discriminator smoothing=0.1", Scores([6, 2], [6, 2], 3), ("label_smoothing", "0.1"));
    }
}
