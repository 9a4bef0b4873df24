using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Soft pairwise hinge ranking loss: the pairwise hinge <c>max(0, margin - (s_i - s_j))</c> of
    /// <see cref="pairwise_hinge_loss"/> smoothed by a softplus of sharpness beta,
    /// <c>softplus_beta(margin - (s_i - s_j)) = log(1 + exp(beta (margin - (s_i - s_j)))) / beta</c>, over the pairs (i, j)
    /// of one list with <c>label_i &gt; label_j</c>.
    /// </summary>
    /// <remarks>
    /// <para>Use it when the hinge's margin is wanted but its zero gradient past the margin and its kink are not: pairs
    /// ordered by well over the margin still get a small push, and the loss is smooth. beta interpolates between the
    /// two classical pairwise losses: as beta grows it tends to <see cref="pairwise_hinge_loss"/> (the gap is at most
    /// <c>log 2 / beta</c>), and with margin 0 and beta 1 it is exactly <see cref="pairwise_logistic_loss"/> (RankNet).
    /// TF-Ranking has no loss of this name (its pairwise family is hinge, logistic, soft zero-one and MSE); this is the
    /// softplus-hinge that those two bracket, with TF-Ranking's conventions for padding, temperature and reductions
    /// (see <see cref="pairwise_hinge_loss"/>).</para>
    /// <para>Computed as <c>logaddexp(0, beta x) / beta</c>: exact, and finite in value and gradient for any score gap.</para>
    /// <code>
    /// var loss = Losses.soft_pairwise_loss(scores, relevance, margin: 1.0, beta: 5.0);
    /// </code>
    /// </remarks>
    /// <param name="scores">Scores (N lists, L items), floating.</param>
    /// <param name="labels">Graded relevance (N, L), real; negative values mark padding.</param>
    /// <param name="mask">Optional validity (N, L), bool or 0/1.</param>
    /// <param name="margin">The score gap of the hinge being smoothed.</param>
    /// <param name="beta">Sharpness of the softplus, &gt; 0 (PyTorch's <c>Softplus(beta)</c>).</param>
    /// <param name="temperature">Scores are divided by it, &gt; 0.</param>
    /// <param name="chunk_size">Lists per pair block (0: all at once).</param>
    /// <param name="reduction">none: per-list mean over its pairs (N); mean: over all pairs of the batch; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes or devices.</exception>
    public static Tensor soft_pairwise_loss(Tensor scores, Tensor labels, Tensor? mask = null, double margin = 1.0, double beta = 1.0, double temperature = 1.0,
        long chunk_size = 0, Reduction reduction = Reduction.Mean)
    {
        const string name = "soft_pairwise_loss";
        PairwiseRanking.Validate(name, scores, labels, mask, temperature, chunk_size, reduction);
        Check.FiniteParam(margin, name, nameof(margin));
        Check.PositiveFinite(beta, name, nameof(beta));
        using var scope = NewDisposeScope();
        return PairwiseRanking.Loss(scores, labels, mask, d => PairMath.Softplus((margin - d) * beta) / beta, temperature, chunk_size, reduction).MoveToOuterDisposeScope();
    }
}

/// <summary>The soft pairwise hinge loss as a module <c>forward(scores, labels)</c>; see <see cref="Losses.soft_pairwise_loss"/>.</summary>
public sealed class SoftPairwiseLoss : ListRankingLoss
{
    private readonly double margin;
    private readonly double beta;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.soft_pairwise_loss"/>.</summary>
    public SoftPairwiseLoss(double margin = 1.0, double beta = 1.0, double temperature = 1.0, long chunk_size = 0, Reduction reduction = Reduction.Mean)
        : base(nameof(SoftPairwiseLoss), temperature, chunk_size, reduction)
    {
        Check.FiniteParam(margin, nameof(SoftPairwiseLoss), nameof(margin));
        Check.PositiveFinite(beta, nameof(SoftPairwiseLoss), nameof(beta));
        this.margin = margin;
        this.beta = beta;
    }

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor scores, Tensor labels, Tensor? mask) => Losses.soft_pairwise_loss(scores, labels, mask, margin, beta, Temperature, ChunkSize, Reduction);
}

internal sealed class SoftPairwiseDefinition : LossDefinition
{
    public override string Name => "soft_pairwise";
    public override string Family => "ranking";
    public override string Summary => "Softplus-smoothed pairwise hinge over the pairs of a list with label_i > label_j; beta -> inf gives pairwise_hinge, margin 0 and beta 1 give pairwise_logistic.";
    public override string Math => "sum_{i,j valid, y_i > y_j} log(1 + exp(beta (margin - (s_i - s_j)/temperature))) / beta;  mean: / number of pairs";
    public override string Reference => "Smoothed RankSVM hinge; generalises RankNet (Burges et al. 2005); TF-Ranking conventions for lists and reductions";
    public override string Function => "Losses.soft_pairwise_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("margin", 1.0, "the score gap of the smoothed hinge"),
        ParamSpec.Float("beta", 1.0, "softplus sharpness; large beta approaches the hinge", min: 0, minExclusive: true),
        ParamSpec.Float("temperature", 1.0, "scores are divided by it", min: 0, minExclusive: true),
        ParamSpec.Int("chunk_size", 0, "lists per pair block; 0: all at once", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } = RankingSamples.Inputs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.soft_pairwise_loss(x.Required("scores"), x.Required("labels"), x.Optional("mask"), p.Float("margin"), p.Float("beta"), p.Float("temperature"), p.Int("chunk_size"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(4,5) mean", g => RankingSamples.Lists(g, 4, 5));
        yield return GradcheckCase.Of("(3,6) masked beta=5 margin=0.5 sum", g => RankingSamples.Lists(g, 3, 6, masked: true), ("beta", "5"), ("margin", "0.5"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(5,4) t=2 chunk=3 none", g => RankingSamples.Lists(g, 5, 4), ("temperature", "2"), ("chunk_size", "3"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,3) margin=0", g => RankingSamples.Lists(g, 1, 3), ("margin", "0"));
    }
}
