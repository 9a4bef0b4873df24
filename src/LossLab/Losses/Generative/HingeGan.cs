using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The hinge GAN loss (Lim and Ye 2017, Geometric GAN; used by SN-GAN, SAGAN and BigGAN): the discriminator minimises
    /// <c>E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]</c>, the generator minimises <c>-E[D(G(z))]</c>. D is an unbounded score.
    /// </summary>
    /// <remarks>
    /// The discriminator is a soft-margin SVM between real and generated samples: samples already beyond the
    /// <paramref name="margin"/> (real scores above it, fake scores below minus it) contribute nothing. The generator's loss
    /// is WGAN's. Both are piecewise linear, so finite for any finite scores; the gradient at the kinks is 0 (the value of
    /// <c>relu'(0)</c>).
    /// <code>
    /// var dLoss = Losses.hinge_gan_loss(D(x), D(G(z).detach()));
    /// var gLoss = Losses.hinge_gan_loss(null, D(G(z)), GanRole.Generator);
    /// </code>
    /// </remarks>
    /// <param name="real_logits">Discriminator scores on real samples, (N, *); needed for the discriminator role only.</param>
    /// <param name="fake_logits">Discriminator scores on generated samples, (M, *); (N, *) with reduction none.</param>
    /// <param name="role">Which player the loss trains.</param>
    /// <param name="margin">The hinge's margin, greater than 0 (1 in the papers).</param>
    /// <param name="reduction">none: per-entry losses; mean: the mean of each term over its batch, added; sum.</param>
    /// <returns>A scalar, or the per-entry losses for reduction none.</returns>
    public static Tensor hinge_gan_loss(Tensor? real_logits, Tensor fake_logits, GanRole role = GanRole.Discriminator, double margin = 1.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "hinge_gan_loss";
        GanCommon.CheckScores(real_logits, fake_logits, role, reduction, name);
        Check.Param(margin > 0 && double.IsFinite(margin), name, nameof(margin), "a finite number > 0", margin);

        using var scope = NewDisposeScope();
        var loss = role == GanRole.Generator
            ? Reduce.Apply(-fake_logits, reduction, name)
            : GanCommon.ReducePair(torch.nn.functional.relu(margin - real_logits!), torch.nn.functional.relu(fake_logits + margin), reduction);
        return loss.MoveToOuterDisposeScope();
    }
}

/// <summary>The hinge GAN loss as a module; see <see cref="Losses.hinge_gan_loss"/>. <c>forward(real_logits, fake_logits)</c>;
/// in the generator role the real scores are ignored.</summary>
public sealed class HingeGanLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly GanRole role;
    private readonly double margin;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.hinge_gan_loss"/>.</summary>
    public HingeGanLoss(GanRole role = GanRole.Discriminator, double margin = 1.0, Reduction reduction = Reduction.Mean) : base(nameof(HingeGanLoss))
    {
        Check.Param(margin > 0 && double.IsFinite(margin), nameof(HingeGanLoss), nameof(margin), "a finite number > 0", margin);
        Reduce.NoBatchMean(reduction, nameof(HingeGanLoss));
        this.role = role;
        this.margin = margin;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor real_logits, Tensor fake_logits) => Losses.hinge_gan_loss(real_logits, fake_logits, role, margin, reduction);
}

internal sealed class HingeGanDefinition : GanDefinition
{
    public override string Name => "hinge_gan";
    public override string Summary => "Hinge GAN (Geometric GAN, SN-GAN, BigGAN): discriminator relu(1 - D(real)) + relu(1 + D(fake)); generator -D(fake).";
    public override string Math => "discriminator: mean relu(margin - real) + mean relu(margin + fake); generator: -mean(fake)";
    public override string Reference => "Lim and Ye 2017, Geometric GAN; Miyato et al. 2018, Spectral Normalization for GANs";
    public override string Function => "Losses.hinge_gan_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        GanCommon.RoleParam(),
        ParamSpec.Float("margin", 1.0, "the hinge's margin (1 in the papers)", min: 0, minExclusive: true),
        ParamSpec.Reduction(),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.hinge_gan_loss(x.Optional(GanCommon.Real), x.Required(GanCommon.Fake), GanCommon.ParseRole(p), p.Float("margin"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        foreach (var c in RoleCases(realKink: 1.0, fakeKink: -1.0)) yield return c;
        yield return GradcheckCase.Of("(5,2)/(5,2) discriminator margin=2 none", g => new()
        {
            [GanCommon.Real] = GanCommon.AwayFrom(g, [5, 2], 2.0),
            [GanCommon.Fake] = GanCommon.AwayFrom(g, [5, 2], -2.0),
        }, ("margin", "2"), ("reduction", "none"));
    }
}
