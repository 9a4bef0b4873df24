using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Pairwise hinge ranking loss (RankSVM; TF-Ranking's <c>PairwiseHingeLoss</c>): over the pairs (i, j) of items of
    /// one list with graded relevance <c>label_i &gt; label_j</c>, <c>max(0, margin - (s_i - s_j))</c>.
    /// </summary>
    /// <remarks>
    /// <para>Use it for learning to rank from lists of scored items with graded labels (search, recommendation), when a
    /// margin between better and worse items is wanted and a sparse gradient is acceptable: pairs ordered by more than
    /// the margin cost nothing. <see cref="soft_pairwise_loss"/> is its smooth version; <see cref="margin_ranking_loss"/>
    /// takes explicit pairs instead of lists.</para>
    /// <para>Items whose label is negative, or whose <paramref name="mask"/> is false, are padding and take part in no
    /// pair. Scores are divided by <paramref name="temperature"/> first (TF-Ranking's option). Reduction follows
    /// TF-Ranking: mean is the sum over all pairs of the batch divided by the number of pairs (its default
    /// <c>SUM_BY_NONZERO_WEIGHTS</c>), so lists with more pairs weigh more; none gives each list's mean over its pairs
    /// (<c>compute_per_list</c>); no pair gives 0. The (N, L, L) pair tensors are built in chunks of
    /// <paramref name="chunk_size"/> lists.</para>
    /// <code>
    /// // 2 queries, 3 documents each, relevance 0..2; the last document of query 2 is padding (label -1)
    /// var loss = Losses.pairwise_hinge_loss(scores, torch.tensor(new float[,] { { 2, 0, 1 }, { 1, 0, -1 } }));
    /// </code>
    /// </remarks>
    /// <param name="scores">Scores (N lists, L items), floating.</param>
    /// <param name="labels">Graded relevance (N, L), real; negative values mark padding.</param>
    /// <param name="mask">Optional validity (N, L), bool or 0/1; false items take part in no pair.</param>
    /// <param name="margin">The required score gap (TF-Ranking uses 1).</param>
    /// <param name="temperature">Scores are divided by it, &gt; 0.</param>
    /// <param name="chunk_size">Lists per pair block (0: all at once).</param>
    /// <param name="reduction">none: per-list mean over its pairs (N); mean: over all pairs of the batch; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes or devices.</exception>
    public static Tensor pairwise_hinge_loss(Tensor scores, Tensor labels, Tensor? mask = null, double margin = 1.0, double temperature = 1.0, long chunk_size = 0,
        Reduction reduction = Reduction.Mean)
    {
        const string name = "pairwise_hinge_loss";
        PairwiseRanking.Validate(name, scores, labels, mask, temperature, chunk_size, reduction);
        Check.FiniteParam(margin, name, nameof(margin));
        using var scope = NewDisposeScope();
        return PairwiseRanking.Loss(scores, labels, mask, d => PairMath.Hinge(margin - d), temperature, chunk_size, reduction).MoveToOuterDisposeScope();
    }
}

/// <summary>The pairwise hinge ranking loss as a module <c>forward(scores, labels)</c>; see <see cref="Losses.pairwise_hinge_loss"/>.</summary>
public sealed class PairwiseHingeLoss : ListRankingLoss
{
    private readonly double margin;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.pairwise_hinge_loss"/>.</summary>
    public PairwiseHingeLoss(double margin = 1.0, double temperature = 1.0, long chunk_size = 0, Reduction reduction = Reduction.Mean)
        : base(nameof(PairwiseHingeLoss), temperature, chunk_size, reduction)
    {
        Check.FiniteParam(margin, nameof(PairwiseHingeLoss), nameof(margin));
        this.margin = margin;
    }

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor scores, Tensor labels, Tensor? mask) => Losses.pairwise_hinge_loss(scores, labels, mask, margin, Temperature, ChunkSize, Reduction);
}

internal sealed class PairwiseHingeDefinition : LossDefinition
{
    public override string Name => "pairwise_hinge";
    public override string Family => "ranking";
    public override string Summary => "Pairwise hinge (RankSVM) over the pairs of a list with label_i > label_j (TF-Ranking PairwiseHingeLoss).";
    public override string Math => "sum_{i,j valid, y_i > y_j} max(0, margin - (s_i - s_j)/temperature);  mean: / number of pairs";
    public override string Reference => "Herbrich et al. 2000 / Joachims 2002 (RankSVM); TF-Ranking PairwiseHingeLoss";
    public override string Function => "Losses.pairwise_hinge_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("margin", 1.0, "the required score gap"),
        ParamSpec.Float("temperature", 1.0, "scores are divided by it", min: 0, minExclusive: true),
        ParamSpec.Int("chunk_size", 0, "lists per pair block; 0: all at once", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } = RankingSamples.Inputs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.pairwise_hinge_loss(x.Required("scores"), x.Required("labels"), x.Optional("mask"), p.Float("margin"), p.Float("temperature"), p.Int("chunk_size"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        // A margin of 10 keeps every pair's hinge active for unit-normal scores; 0.1 leaves some active and some not.
        yield return GradcheckCase.Of("(4,5) margin=10 mean", g => RankingSamples.Lists(g, 4, 5), ("margin", "10"));
        yield return GradcheckCase.Of("(3,6) margin=0.1 masked sum", g => RankingSamples.Lists(g, 3, 6, masked: true), ("margin", "0.1"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(5,4) margin=10 t=2 chunk=2 none", g => RankingSamples.Lists(g, 5, 4), ("margin", "10"), ("temperature", "2"), ("chunk_size", "2"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,3) margin=10", g => RankingSamples.Lists(g, 1, 3), ("margin", "10"));
    }
}

/// <summary>Inputs and gradcheck samples shared by the list ranking losses.</summary>
internal static class RankingSamples
{
    public static IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("scores", "(N, L) scores of L items in each of N lists"),
        InputSpec.Data("labels", "(N, L) graded relevance; negative marks padding"),
        InputSpec.Optional("mask", "(N, L) validity, bool or 0/1"),
    ];

    // Distinct graded labels in 0..3 (so that pairs exist), scores far from ties and hinge kinks for random draws.
    public static Dictionary<string, Tensor> Lists(Generator g, long n, long l, bool masked = false)
    {
        var d = new Dictionary<string, Tensor>
        {
            ["scores"] = Sample.Normal(g, [n, l]),
            ["labels"] = torch.randint(0, 4, new[] { n, l }, dtype: ScalarType.Float64, generator: g),
        };
        if (masked)
        {
            var m = torch.rand(new[] { n, l }, dtype: ScalarType.Float64, generator: g).gt(0.25);
            m[TensorIndex.Colon, 0] = true;
            d["mask"] = m;
        }
        return d;
    }
}
