using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The least-squares GAN (Mao et al. 2017, equation 2): the discriminator minimises
    /// <c>1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2]</c>, the generator minimises <c>1/2 E[(D(G(z)) - c)^2]</c>, with D an
    /// unbounded score (no sigmoid): a is the fake label, b the real label, c the value the generator wants D to give its samples.
    /// </summary>
    /// <remarks>
    /// The defaults a = 0, b = c = 1 are the paper's 0-1 coding (the form most implementations use, e.g. pix2pix and
    /// CycleGAN with <c>MSELoss</c>, there without the 1/2). With <c>b - c = 1</c> and <c>b - a = 2</c>
    /// (e.g. a = -1, b = 1, c = 0) minimising the objective minimises the Pearson chi2 divergence between
    /// <c>p_data + p_g</c> and <c>2 p_g</c> (the paper's section 3.2.2). The squares penalise generated samples that lie far
    /// on the correct side of the decision boundary too, which keeps gradients alive; scores of magnitude 1e4 in float32
    /// give finite values (about 5e7) and gradients.
    /// <code>
    /// var dLoss = Losses.lsgan_loss(D(x), D(G(z).detach()));
    /// var gLoss = Losses.lsgan_loss(null, D(G(z)), GanRole.Generator);
    /// var chi2 = Losses.lsgan_loss(D(x), D(G(z).detach()), a: -1, b: 1, c: 0);
    /// </code>
    /// </remarks>
    /// <param name="real_logits">Discriminator scores on real samples, (N, *); needed for the discriminator role only.</param>
    /// <param name="fake_logits">Discriminator scores on generated samples, (M, *); (N, *) with reduction none.</param>
    /// <param name="role">Which player the loss trains.</param>
    /// <param name="a">The target score of generated samples in the discriminator's loss.</param>
    /// <param name="b">The target score of real samples in the discriminator's loss.</param>
    /// <param name="c">The target score of generated samples in the generator's loss.</param>
    /// <param name="reduction">none: per-entry losses; mean: the mean of each term over its batch, added; sum.</param>
    /// <returns>A scalar, or the per-entry losses for reduction none.</returns>
    public static Tensor lsgan_loss(Tensor? real_logits, Tensor fake_logits, GanRole role = GanRole.Discriminator, double a = 0.0, double b = 1.0, double c = 1.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "lsgan_loss";
        GanCommon.CheckScores(real_logits, fake_logits, role, reduction, name);
        Check.Param(double.IsFinite(a), name, nameof(a), "a finite number", a);
        Check.Param(double.IsFinite(b), name, nameof(b), "a finite number", b);
        Check.Param(double.IsFinite(c), name, nameof(c), "a finite number", c);

        using var scope = NewDisposeScope();
        var loss = role == GanRole.Generator
            ? Reduce.Apply((fake_logits - c).square() * 0.5, reduction, name)
            : GanCommon.ReducePair((real_logits! - b).square() * 0.5, (fake_logits - a).square() * 0.5, reduction);
        return loss.MoveToOuterDisposeScope();
    }
}

/// <summary>The least-squares GAN loss as a module; see <see cref="Losses.lsgan_loss"/>. <c>forward(real_logits, fake_logits)</c>;
/// in the generator role the real scores are ignored.</summary>
public sealed class LsganLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly GanRole role;
    private readonly double a, b, c;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.lsgan_loss"/>.</summary>
    public LsganLoss(GanRole role = GanRole.Discriminator, double a = 0.0, double b = 1.0, double c = 1.0, Reduction reduction = Reduction.Mean) : base(nameof(LsganLoss))
    {
        Check.Param(double.IsFinite(a) && double.IsFinite(b) && double.IsFinite(c), nameof(LsganLoss), "a, b, c", "finite numbers", $"{a}, {b}, {c}");
        Reduce.NoBatchMean(reduction, nameof(LsganLoss));
        this.role = role;
        this.a = a;
        this.b = b;
        this.c = c;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor real_logits, Tensor fake_logits) => Losses.lsgan_loss(real_logits, fake_logits, role, a, b, c, reduction);
}

internal sealed class LsganDefinition : GanDefinition
{
    public override string Name => "lsgan";
    public override string Summary => "Least-squares GAN: discriminator 1/2 (D(real) - b)^2 + 1/2 (D(fake) - a)^2; generator 1/2 (D(fake) - c)^2.";
    public override string Math => "discriminator: 1/2 mean (real - b)^2 + 1/2 mean (fake - a)^2; generator: 1/2 mean (fake - c)^2";
    public override string Reference => "Mao et al. 2017, Least Squares Generative Adversarial Networks (equation 2)";
    public override string Function => "Losses.lsgan_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        GanCommon.RoleParam(),
        ParamSpec.Float("a", 0.0, "target score of generated samples for the discriminator (0-1 coding: 0; chi2 coding: -1)"),
        ParamSpec.Float("b", 1.0, "target score of real samples for the discriminator"),
        ParamSpec.Float("c", 1.0, "target score of generated samples for the generator (chi2 coding: 0)"),
        ParamSpec.Reduction(),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.lsgan_loss(x.Optional(GanCommon.Real), x.Required(GanCommon.Fake), GanCommon.ParseRole(p), p.Float("a"), p.Float("b"), p.Float("c"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        foreach (var c in RoleCases()) yield return c;
        yield return GradcheckCase.Of("(4)/(4) a=-1 b=1 c=0 none", Scores([4], [4]), ("a", "-1"), ("b", "1"), ("c", "0"), ("reduction", "none"));
        yield return GradcheckCase.Of("(3,2) generator c=0.5 sum", Scores([3, 2], [3, 2]), ("role", "generator"), ("c", "0.5"), ("reduction", "sum"));
    }
}
