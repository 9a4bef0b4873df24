using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The Wasserstein GAN (Arjovsky et al. 2017): the critic minimises <c>E[D(G(z))] - E[D(x)]</c> (the negative of its
    /// estimate of the Wasserstein-1 distance), the generator minimises <c>-E[D(G(z))]</c>. D is an unbounded score, not
    /// a probability.
    /// </summary>
    /// <remarks>
    /// The critic must be kept 1-Lipschitz: by weight clipping (the original paper), by <see cref="gradient_penalty"/>
    /// (WGAN-GP, Gulrajani et al. 2017; add it to the critic's loss) or by spectral normalisation. <paramref name="drift"/>
    /// adds <c>drift * E[D(x)^2]</c> to the critic's loss (Karras et al. 2018, ProGAN, used 0.001) to keep the scores
    /// from drifting away from 0. The loss is linear in the scores, so it is finite for any finite scores.
    /// <code>
    /// var critic = Losses.wgan_loss(D(x), D(G(z).detach())) + Losses.gradient_penalty(D.forward, x, G(z).detach(), 10.0);
    /// var gen = Losses.wgan_loss(null, D(G(z)), GanRole.Generator);
    /// </code>
    /// </remarks>
    /// <param name="real_logits">Critic scores on real samples, (N, *); needed for the critic (discriminator) role only.</param>
    /// <param name="fake_logits">Critic scores on generated samples, (M, *); (N, *) with reduction none.</param>
    /// <param name="role">Which player the loss trains (Discriminator: the critic).</param>
    /// <param name="drift">Weight of the drift term <c>E[D(x)^2]</c> of the critic, at least 0.</param>
    /// <param name="reduction">none: per-entry <c>D(G(z)) - D(x) [+ drift D(x)^2]</c> (critic) or <c>-D(G(z))</c> (generator);
    /// mean: the mean of each term over its batch, added; sum.</param>
    /// <returns>A scalar, or the per-entry losses for reduction none.</returns>
    public static Tensor wgan_loss(Tensor? real_logits, Tensor fake_logits, GanRole role = GanRole.Discriminator, double drift = 0.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "wgan_loss";
        GanCommon.CheckScores(real_logits, fake_logits, role, reduction, name);
        Check.Param(drift >= 0 && double.IsFinite(drift), name, nameof(drift), "a finite number >= 0", drift);

        using var scope = NewDisposeScope();
        Tensor loss;
        if (role == GanRole.Generator) loss = Reduce.Apply(-fake_logits, reduction, name);
        else
        {
            var onReal = drift == 0 ? -real_logits! : drift * real_logits!.square() - real_logits;
            loss = GanCommon.ReducePair(onReal, fake_logits, reduction);
        }
        return loss.MoveToOuterDisposeScope();
    }
}

/// <summary>The WGAN loss as a module; see <see cref="Losses.wgan_loss"/>. <c>forward(real_logits, fake_logits)</c>;
/// in the generator role the real scores are ignored.</summary>
public sealed class WganLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly GanRole role;
    private readonly double drift;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.wgan_loss"/>.</summary>
    public WganLoss(GanRole role = GanRole.Discriminator, double drift = 0.0, Reduction reduction = Reduction.Mean) : base(nameof(WganLoss))
    {
        Check.Param(drift >= 0 && double.IsFinite(drift), nameof(WganLoss), nameof(drift), "a finite number >= 0", drift);
        Reduce.NoBatchMean(reduction, nameof(WganLoss));
        this.role = role;
        this.drift = drift;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor real_logits, Tensor fake_logits) => Losses.wgan_loss(real_logits, fake_logits, role, drift, reduction);
}

internal sealed class WganDefinition : GanDefinition
{
    public override string Name => "wgan";
    public override string Summary => "Wasserstein GAN: critic E[D(fake)] - E[D(real)] (+ drift E[D(real)^2]); generator -E[D(fake)].";
    public override string Math => "critic: mean(fake) - mean(real) + drift * mean(real^2); generator: -mean(fake)";
    public override string Reference => "Arjovsky, Chintala, Bottou 2017, Wasserstein GAN; drift term: Karras et al. 2018, Progressive Growing of GANs";
    public override string Function => "Losses.wgan_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        GanCommon.RoleParam("the critic"),
        ParamSpec.Float("drift", 0.0, "weight of the critic's drift penalty E[D(real)^2] (ProGAN: 0.001)", min: 0),
        ParamSpec.Reduction(),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.wgan_loss(x.Optional(GanCommon.Real), x.Required(GanCommon.Fake), GanCommon.ParseRole(p), p.Float("drift"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        foreach (var c in RoleCases()) yield return c;
        yield return GradcheckCase.Of("(4,2)/(4,2) critic none drift=0.5", Scores([4, 2], [4, 2]), ("drift", "0.5"), ("reduction", "none"));
    }
}
