using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The WGAN-GP gradient penalty (Gulrajani et al. 2017): <c>lambda_gp * E[(||grad_x^ D(x^)||_2 - 1)^2]</c> at random
    /// interpolates <c>x^_i = e_i x_i + (1 - e_i) x~_i</c> of real samples x and generated samples x~, with
    /// <c>e_i ~ U(0, 1)</c> drawn per sample. Add it to the critic's <see cref="wgan_loss"/> to keep the critic 1-Lipschitz.
    /// </summary>
    /// <remarks>
    /// The gradient is taken with <c>create_graph</c>, so the penalty trains the critic's parameters (gradients flow through
    /// the critic twice). The interpolates are held constant (the held term <c>interpolates</c>, as the paper's code makes
    /// them a fresh leaf): no gradient reaches <paramref name="real"/> or <paramref name="fake"/> through them. The penalty
    /// is computed with gradients enabled even inside <c>torch.no_grad()</c>.
    /// Variants: <paramref name="one_sided"/> penalises only norms above <paramref name="center"/> (<c>relu(||g|| - center)^2</c>,
    /// the paper's appendix); <paramref name="center"/> = 0 gives a zero-centred penalty <c>||g||^2</c> (as R1, Mescheder et al.
    /// 2018, which takes it at real samples instead of interpolates). The critic must treat samples independently (no batch
    /// normalisation; the paper uses layer normalisation), since the gradient of the summed scores is used.
    /// <code>
    /// using var g = new Generator(seed);
    /// var loss = Losses.wgan_loss(D.forward(x), D.forward(xFake)) + Losses.gradient_penalty(D.forward, x, xFake, lambda_gp: 10, generator: g);
    /// </code>
    /// </remarks>
    /// <param name="critic">Maps a batch (N, *) to scores (N) or (N, 1); differentiable in its input.</param>
    /// <param name="real">Real samples, floating, (N, *).</param>
    /// <param name="fake">Generated samples, the shape of <paramref name="real"/>.</param>
    /// <param name="lambda_gp">The penalty's weight, at least 0 (10 in the paper).</param>
    /// <param name="generator">Random source of the mixing weights e (null: the global one).</param>
    /// <param name="center">The target norm, at least 0 (1 in the paper).</param>
    /// <param name="one_sided">Penalise only norms above <paramref name="center"/>.</param>
    /// <param name="reduction">none: per-sample penalties (N); mean (the paper's); sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor gradient_penalty(Func<Tensor, Tensor> critic, Tensor real, Tensor fake, double lambda_gp = 10.0, Generator? generator = null, double center = 1.0, bool one_sided = false, Reduction reduction = Reduction.Mean)
    {
        const string name = "gradient_penalty";
        ArgumentNullException.ThrowIfNull(critic);
        Check.Floating(real, name, nameof(real));
        Check.MinRank(real, name, nameof(real), 1);
        Check.HasSamples(real, name, nameof(real));
        Check.Floating(fake, name, nameof(fake));
        Check.SameShape(real, nameof(real), fake, nameof(fake), name);
        Check.SameFloatType(name, (real, nameof(real)), (fake, nameof(fake)));
        Check.SameDevice(name, (real, nameof(real)), (fake, nameof(fake)));
        Check.Param(lambda_gp >= 0 && double.IsFinite(lambda_gp), name, nameof(lambda_gp), "a finite number >= 0", lambda_gp);
        Check.Param(center >= 0 && double.IsFinite(center), name, nameof(center), "a finite number >= 0", center);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        using var gradMode = torch.enable_grad();
        long n = real.shape[0];
        var shape = new long[real.dim()];
        shape[0] = n;
        for (int i = 1; i < shape.Length; i++) shape[i] = 1;
        var e = torch.rand(shape, dtype: real.dtype, generator: generator, device: real.device);
        var mixed = Surrogate.Hold("interpolates", e * real + (1 - e) * fake).detach().requires_grad_(true);
        var scores = critic(mixed);
        Check.NotNull(scores, name, "critic(x)");
        if (scores.dim() == 0 || scores.shape[0] != n || scores.numel() != n)
            throw new ArgumentException($"{name}: the critic must map a batch of {n} samples to {n} scores, shape (N) or (N, 1); got {Check.Shape(scores)}", nameof(critic));
        if (!scores.requires_grad)
            throw new ArgumentException($"{name}: the critic's scores do not depend on its input (no gradient), so there is no gradient to penalise", nameof(critic));
        var grads = torch.autograd.grad(new List<Tensor> { scores.sum() }, new List<Tensor> { mixed }, retain_graph: true, create_graph: true, allow_unused: true);
        var grad = grads[0] is null || grads[0].IsInvalid ? torch.zeros_like(mixed) : grads[0];
        var norms = grad.reshape(n, -1).norm(1);
        var gap = norms - center;
        if (one_sided) gap = torch.nn.functional.relu(gap);
        var perSample = gap.square() * lambda_gp;
        return Reduce.Apply(perSample, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The WGAN-GP gradient penalty of a fixed critic as a module; see <see cref="Losses.gradient_penalty"/>.
/// <c>forward(real, fake)</c>.</summary>
public sealed class GradientPenaltyLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Func<Tensor, Tensor> critic;
    private readonly double lambdaGp, center;
    private readonly bool oneSided;
    private readonly Generator? generator;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.gradient_penalty"/>.</summary>
    public GradientPenaltyLoss(Func<Tensor, Tensor> critic, double lambda_gp = 10.0, Generator? generator = null, double center = 1.0, bool one_sided = false, Reduction reduction = Reduction.Mean) : base(nameof(GradientPenaltyLoss))
    {
        ArgumentNullException.ThrowIfNull(critic);
        Check.Param(lambda_gp >= 0 && double.IsFinite(lambda_gp), nameof(GradientPenaltyLoss), nameof(lambda_gp), "a finite number >= 0", lambda_gp);
        Check.Param(center >= 0 && double.IsFinite(center), nameof(GradientPenaltyLoss), nameof(center), "a finite number >= 0", center);
        Reduce.NoBatchMean(reduction, nameof(GradientPenaltyLoss));
        this.critic = critic;
        lambdaGp = lambda_gp;
        this.generator = generator;
        this.center = center;
        oneSided = one_sided;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor real, Tensor fake) => Losses.gradient_penalty(critic, real, fake, lambdaGp, generator, center, oneSided, reduction);
}

internal sealed class GradientPenaltyDefinition : LossDefinition
{
    public override string Name => "gradient_penalty";
    public override string Family => "generative";
    public override string Summary => "WGAN-GP gradient penalty at random real/fake interpolates, of a linear or one-hidden-layer tanh critic given by its weight.";
    public override string Math => "lambda_gp * (||grad_x D(x^)||_2 - center)^2 per sample, x^ = e x_real + (1 - e) x_fake, e ~ U(0,1); D(x) = x.w (weight (F)) or sum_h tanh(x W)_h (weight (F, H))";
    public override string Reference => "Gulrajani et al. 2017, Improved Training of Wasserstein GANs";
    public override string Function => "Losses.gradient_penalty";
    public override IReadOnlyList<string> HeldTerms { get; } = ["interpolates"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("lambda_gp", 10.0, "the penalty's weight (10 in the paper)", min: 0),
        ParamSpec.Float("center", 1.0, "the target gradient norm (0: zero-centred penalty)", min: 0),
        ParamSpec.Bool("one_sided", false, "penalise only norms above center: relu(||g|| - center)^2"),
        ParamSpec.Int("seed", 0, "seed of the interpolation weights e (the registry entry draws them from its own generator)", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Data("real", "(N, *) real samples"),
        InputSpec.Data("fake", "(N, *) generated samples, the shape of real"),
        InputSpec.Grad("weight", "the critic's weight: (F) for the linear critic x.w, (F, H) for sum_h tanh(x W)_h; F = numel of one sample"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p)
    {
        var real = x.Required("real");
        var weight = x.Required("weight");
        Check.Floating(weight, Name, "weight");
        Check.Rank(weight, Name, "weight", 1, 2);
        long features = real.dim() == 0 ? 1 : real.numel() / System.Math.Max(1, real.shape[0]);
        Check.Size(weight, 0, features, Name, "weight", "the number of features of one sample");
        Tensor Critic(Tensor v)
        {
            var flat = v.reshape(v.shape[0], -1);
            return weight.dim() == 1 ? flat.matmul(weight) : torch.tanh(flat.matmul(weight)).sum(1);
        }
        using var g = new Generator((ulong)p.Int("seed"));
        return Losses.gradient_penalty(Critic, real, x.Required("fake"), p.Float("lambda_gp"), g, p.Float("center"), p.Bool("one_sided"), p.Reduction);
    }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Make(long[] sample, long[] weight, double scale = 1.0) => g => new()
        {
            ["real"] = Sample.Normal(g, sample),
            ["fake"] = Sample.Normal(g, sample, 2),
            ["weight"] = Sample.Normal(g, weight, scale),
        };
        yield return GradcheckCase.Of("(6,3) linear mean", Make([6, 3], [3]));
        yield return GradcheckCase.Of("(4,5) tanh H=4 mean", Make([4, 5], [5, 4], 0.5));
        yield return GradcheckCase.Of("(1,3) tanh H=2 none", Make([1, 3], [3, 2], 0.7), ("reduction", "none"));
        yield return GradcheckCase.Of("(3,2,2) tanh H=3 sum lambda=1 center=0", Make([3, 2, 2], [4, 3], 0.6), ("lambda_gp", "1"), ("center", "0"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(5,3) tanh H=6 one-sided center=0.3 none", Make([5, 3], [3, 6], 0.8), ("one_sided", "true"), ("center", "0.3"), ("reduction", "none"), ("seed", "3"));
    }
}
