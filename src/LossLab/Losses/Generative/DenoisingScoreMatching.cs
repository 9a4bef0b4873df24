using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Denoising score matching (Vincent 2011), weighted across noise levels as Song and Ermon 2019 (NCSN): per sample,
    /// <c>1/2 * sigma^anneal_power * || s_theta(x~, sigma) + (x~ - x) / sigma^2 ||^2</c>, the squared norm summed over the
    /// sample's elements; <c>-(x~ - x) / sigma^2</c> is the score of the Gaussian perturbation kernel
    /// <c>q(x~ | x) = N(x, sigma^2 I)</c>.
    /// </summary>
    /// <remarks>
    /// Minimising it matches <c>s_theta</c> to the score of the noised data, <c>grad log q_sigma(x~)</c> (Vincent's equivalence of
    /// denoising and explicit score matching). With the default <c>anneal_power = 2</c> (<c>lambda(sigma) = sigma^2</c>) every
    /// noise level contributes on the same scale: the loss is <c>1/2 || sigma s_theta + eps ||^2</c> with
    /// <c>x~ = x + sigma eps</c>. Draw sigma per sample from <see cref="NoiseSchedule.GeometricSigmas"/>. This is the
    /// reference code's <c>anneal_dsm_score_estimation</c>.
    /// <code>
    /// var sigmas = NoiseSchedule.GeometricSigmas(1.0, 0.01, 10).to_type(x.dtype);
    /// var sigma = sigmas.index_select(0, torch.randint(0, 10, new long[] { n }));
    /// var perturbed = x + sigma.reshape(-1, 1, 1, 1) * torch.randn_like(x);
    /// var loss = Losses.denoising_score_matching_loss(scoreNet.forward(perturbed, sigma), perturbed, x, sigma);
    /// </code>
    /// </remarks>
    /// <param name="input">The predicted score s_theta(x~, sigma), (N, ...).</param>
    /// <param name="perturbed">The noised samples x~, the shape of <paramref name="input"/>.</param>
    /// <param name="clean">The clean samples x, the shape of <paramref name="input"/>.</param>
    /// <param name="sigma">The noise level of each sample, (N), or one level for all, (); greater than 0.</param>
    /// <param name="anneal_power">The weighting's exponent p in <c>lambda(sigma) = sigma^p</c>, at least 0 (2 in the paper).</param>
    /// <param name="reduction">none: per-sample losses (N); mean over the batch (the paper's); sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor denoising_score_matching_loss(Tensor input, Tensor perturbed, Tensor clean, Tensor sigma, double anneal_power = 2.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "denoising_score_matching_loss";
        DenoisingCommon.CheckPair(input, perturbed, name, nameof(perturbed));
        Check.ElementwisePair(input, clean, name, "input", nameof(clean));
        Check.Floating(sigma, name, nameof(sigma));
        if (sigma.dim() > 1 || (sigma.dim() == 1 && sigma.shape[0] != input.shape[0]))
            throw new ArgumentException($"{name}: 'sigma' must hold one noise level per sample, shape [{input.shape[0]}], or one for all, shape []; got {Check.Shape(sigma)}", nameof(sigma));
        Check.PositiveEntries(sigma, name, nameof(sigma), "noise levels");
        Check.Param(anneal_power >= 0 && double.IsFinite(anneal_power), name, nameof(anneal_power), "a finite number >= 0", anneal_power);
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (input, nameof(input)), (perturbed, nameof(perturbed)), (clean, nameof(clean)), (sigma, nameof(sigma)));

        using var scope = NewDisposeScope();
        long n = input.shape[0];
        var s = (sigma.dim() == 0 ? sigma.expand(n) : sigma).to_type(input.dtype);
        var sb = DenoisingCommon.PerSample(s, input);
        var residual = input + (perturbed - clean) / sb.square();
        var sq = residual.square();
        var perSample = (sq.dim() == 1 ? sq : sq.reshape(n, -1).sum(1)) * 0.5;
        if (anneal_power != 0) perSample = perSample * s.pow(anneal_power);
        return Reduce.Apply(perSample, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>Denoising score matching as a module; see <see cref="Losses.denoising_score_matching_loss"/>.
/// <c>forward(score, perturbed, clean, sigma)</c>.</summary>
public sealed class DenoisingScoreMatchingLoss : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly double annealPower;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.denoising_score_matching_loss"/>.</summary>
    public DenoisingScoreMatchingLoss(double anneal_power = 2.0, Reduction reduction = Reduction.Mean) : base(nameof(DenoisingScoreMatchingLoss))
    {
        Check.Param(anneal_power >= 0 && double.IsFinite(anneal_power), nameof(DenoisingScoreMatchingLoss), nameof(anneal_power), "a finite number >= 0", anneal_power);
        Reduce.NoBatchMean(reduction, nameof(DenoisingScoreMatchingLoss));
        annealPower = anneal_power;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor perturbed, Tensor clean, Tensor sigma) =>
        Losses.denoising_score_matching_loss(input, perturbed, clean, sigma, annealPower, reduction);
}

internal sealed class DenoisingScoreMatchingDefinition : LossDefinition
{
    public override string Name => "denoising_score_matching";
    public override string Family => "generative";
    public override string Summary => "Denoising score matching (NCSN): 1/2 sigma^2 ||s(x~) + (x~ - x) / sigma^2||^2 per sample.";
    public override string Math => "l_i = 1/2 * sigma_i^p * sum_j (input_ij + (perturbed_ij - clean_ij) / sigma_i^2)^2, p = anneal_power";
    public override string Reference => "Vincent 2011, A Connection Between Score Matching and Denoising Autoencoders; Song and Ermon 2019, Generative Modeling by Estimating Gradients of the Data Distribution";
    public override string Function => "Losses.denoising_score_matching_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("anneal_power", 2.0, "exponent p of the weighting lambda(sigma) = sigma^p (2: every level on the same scale)", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, ...) predicted scores s(x~, sigma)"),
        InputSpec.Data("perturbed", "(N, ...) noised samples x~"),
        InputSpec.Data("clean", "(N, ...) clean samples x"),
        InputSpec.Data("sigma", "(N) or () noise levels, > 0"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.denoising_score_matching_loss(x.Required("input"), x.Required("perturbed"), x.Required("clean"), x.Required("sigma"), p.Float("anneal_power"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Make(long[] shape, bool scalarSigma) => g =>
        {
            var sigma = scalarSigma ? torch.tensor(0.5, dtype: ScalarType.Float64) : Sample.Uniform(g, [shape[0]], 0.1, 1.5);
            var clean = Sample.Normal(g, shape);
            var sb = scalarSigma ? sigma : sigma.reshape(new long[] { shape[0] }.Concat(Enumerable.Repeat(1L, shape.Length - 1)).ToArray());
            return new() { ["input"] = Sample.Normal(g, shape), ["clean"] = clean, ["perturbed"] = clean + sb * Sample.Normal(g, shape), ["sigma"] = sigma };
        };
        yield return GradcheckCase.Of("(4,3) mean", Make([4, 3], false));
        yield return GradcheckCase.Of("(3,2,2) scalar sigma none", Make([3, 2, 2], true), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,5) p=0 sum", Make([1, 5], false), ("anneal_power", "0"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(6) p=1", Make([6], false), ("anneal_power", "1"));
    }
}
