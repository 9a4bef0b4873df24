using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// sentence-transformers' MultipleNegativesRankingLoss (in-batch negatives, InfoNCE; Henderson et al. 2017): with
    /// <c>S_ij = scale * sim(anchor_i, candidate_j)</c>, the candidates being the positives followed by the optional hard
    /// negatives, the loss of anchor i is the cross entropy of row i with target j = i:
    /// <c>-S_ii + logsumexp_j S_ij</c>. Every other anchor's positive is a negative of anchor i.
    /// </summary>
    /// <remarks>
    /// With <paramref name="symmetric"/> (sentence-transformers' MultipleNegativesSymmetricRankingLoss), each sample's
    /// loss is the average of that and the positive-to-anchor direction, the cross entropy of column i of the
    /// anchor-positive block, <c>-S_ii + logsumexp_j S_ji</c> (hard negatives take no part in it).
    /// Computed with <c>log_softmax</c>, so a large scale or dot products of large embeddings stay finite. The cosine
    /// normalises rows with <c>x / max(||x||, 1e-12)</c> as <c>F.normalize</c> (and sentence-transformers' <c>cos_sim</c>) do.
    /// <code>
    /// var loss = Losses.multiple_negatives_ranking_loss(queryEmbeddings, passageEmbeddings);            // scale 20, cosine
    /// var both = Losses.multiple_negatives_ranking_loss(q, p, hardNegatives, symmetric: true);
    /// </code>
    /// </remarks>
    /// <param name="anchor">Anchor embeddings, shape (N, D), floating.</param>
    /// <param name="positive">Positive embeddings, shape (N, D): positive i belongs with anchor i.</param>
    /// <param name="negative">Optional hard negatives, shape (M, D), shared by all anchors (sentence-transformers stacks
    /// one or more columns of N negatives, one per anchor, after the positives: pass them concatenated).</param>
    /// <param name="scale">Multiplies the similarities (the inverse temperature), &gt; 0.</param>
    /// <param name="similarity">Cosine (the default) or dot product.</param>
    /// <param name="symmetric">Average with the positive-to-anchor direction.</param>
    /// <param name="reduction">none: per-anchor losses (N); mean (sentence-transformers'); sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes or devices.</exception>
    public static Tensor multiple_negatives_ranking_loss(Tensor anchor, Tensor positive, Tensor? negative = null, double scale = 20.0,
        PairSimilarity similarity = PairSimilarity.Cosine, bool symmetric = false, Reduction reduction = Reduction.Mean)
    {
        const string name = "multiple_negatives_ranking_loss";
        Check.Floating(anchor, name, nameof(anchor));
        Check.Floating(positive, name, nameof(positive));
        Check.Rank(anchor, name, nameof(anchor), 2);
        Check.SameShape(anchor, nameof(anchor), positive, nameof(positive), name);
        if (anchor.shape[0] == 0)
            throw new ArgumentException($"{name}: 'anchor' must hold at least one sample, got shape {Check.Shape(anchor)}", nameof(anchor));
        if (negative is not null)
        {
            Check.Floating(negative, name, nameof(negative));
            Check.Rank(negative, name, nameof(negative), 2);
            Check.Size(negative, 1, anchor.shape[1], name, nameof(negative), "the embedding size of 'anchor'");
        }
        Check.SameFloatType(name, (anchor, nameof(anchor)), (positive, nameof(positive)), (negative, nameof(negative)));
        Check.SameDevice(name, (anchor, nameof(anchor)), (positive, nameof(positive)), (negative, nameof(negative)));
        Check.Param(scale > 0 && double.IsFinite(scale), name, nameof(scale), "a finite number > 0", scale);
        Reduce.NoBatchMean(reduction, name);
        if (!Enum.IsDefined(similarity))
            throw new ArgumentOutOfRangeException(nameof(similarity), similarity, $"{name}: 'similarity' must be one of {string.Join(", ", PairSimilarityNames.All)}");

        using var scope = NewDisposeScope();
        long n = anchor.shape[0];
        var candidates = negative is null ? positive : torch.cat(new[] { positive, negative });
        var scores = similarity.Matrix(anchor, candidates) * scale;              // (N, N + M)
        var forward = -torch.nn.functional.log_softmax(scores, 1).diagonal();  // target j = i
        var loss = forward;
        if (symmetric)
        {
            var block = scores.slice(1, 0, n, 1);                              // anchor-positive block (N, N)
            var backward = -torch.nn.functional.log_softmax(block, 0).diagonal();
            loss = (forward + backward) * 0.5;
        }
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>MultipleNegativesRankingLoss as a module (anchor, positive[, negative]); see <see cref="Losses.multiple_negatives_ranking_loss"/>.</summary>
public sealed class MultipleNegativesRankingLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double scale;
    private readonly PairSimilarity similarity;
    private readonly bool symmetric;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.multiple_negatives_ranking_loss"/>.</summary>
    public MultipleNegativesRankingLoss(double scale = 20.0, PairSimilarity similarity = PairSimilarity.Cosine, bool symmetric = false, Reduction reduction = Reduction.Mean)
        : base(nameof(MultipleNegativesRankingLoss))
    {
        Check.Param(scale > 0 && double.IsFinite(scale), nameof(MultipleNegativesRankingLoss), nameof(scale), "a finite number > 0", scale);
        this.scale = scale;
        this.similarity = similarity;
        this.symmetric = symmetric;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor anchor, Tensor positive) =>
        Losses.multiple_negatives_ranking_loss(anchor, positive, null, scale, similarity, symmetric, reduction);

    /// <summary>The loss with hard negatives (M, D) added to every anchor's candidates.</summary>
    /// <param name="anchor">Anchor embeddings (N, D).</param>
    /// <param name="positive">Positive embeddings (N, D).</param>
    /// <param name="negative">Hard negatives (M, D).</param>
    public Tensor forward(Tensor anchor, Tensor positive, Tensor negative) =>
        Losses.multiple_negatives_ranking_loss(anchor, positive, negative, scale, similarity, symmetric, reduction);
}

internal sealed class MultipleNegativesRankingDefinition : LossDefinition
{
    public override string Name => "multiple_negatives_ranking";
    public override string Family => "contrastive";
    public override string Summary => "sentence-transformers' MultipleNegativesRankingLoss: cross entropy over in-batch (and hard) negatives.";
    public override string Math => "l_i = -S_ii + logsumexp_j S_ij,  S_ij = scale * sim(anchor_i, [positive; negative]_j)  [symmetric: average with -S_ii + logsumexp_j S_ji over the positives]";
    public override string Reference => "Henderson et al. 2017, Efficient Natural Language Response Suggestion for Smart Reply; sentence-transformers MultipleNegativesRankingLoss";
    public override string Function => "Losses.multiple_negatives_ranking_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("scale", 20.0, "multiplies the similarities (inverse temperature)", min: 0, minExclusive: true),
        ParamSpec.Choice("similarity", "cosine", "how anchors and candidates are compared", "cosine", "dot_product"),
        ParamSpec.Bool("symmetric", false, "average with the positive-to-anchor direction"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("anchor", "(N, D) anchor embeddings"),
        InputSpec.Grad("positive", "(N, D) positive embeddings, positive i for anchor i"),
        new InputSpec("negative", "(M, D) optional hard negatives shared by all anchors", Required: false, Differentiable: true),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.multiple_negatives_ranking_loss(x.Required("anchor"), x.Required("positive"), x.Optional("negative"), p.Float("scale"),
            PairSimilarityNames.Parse(p.Choice("similarity")), p.Bool("symmetric"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(4,8) cosine scale=20", g => new() { ["anchor"] = Sample.Normal(g, [4, 8]), ["positive"] = Sample.Normal(g, [4, 8]) });
        yield return GradcheckCase.Of("(5,6) dot_product scale=1 none", g => new() { ["anchor"] = Sample.Normal(g, [5, 6], 0.5), ["positive"] = Sample.Normal(g, [5, 6], 0.5) },
            ("scale", "1"), ("similarity", "dot_product"), ("reduction", "none"));
        yield return GradcheckCase.Of("(4,5) symmetric scale=5 sum", g => new() { ["anchor"] = Sample.Normal(g, [4, 5]), ["positive"] = Sample.Normal(g, [4, 5]) },
            ("scale", "5"), ("symmetric", "true"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(3,4) hard negatives (6,4) symmetric", g => new()
        {
            ["anchor"] = Sample.Normal(g, [3, 4]),
            ["positive"] = Sample.Normal(g, [3, 4]),
            ["negative"] = Sample.Normal(g, [6, 4]),
        }, ("scale", "3"), ("symmetric", "true"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,5) single pair", g => new() { ["anchor"] = Sample.Normal(g, [1, 5]), ["positive"] = Sample.Normal(g, [1, 5]), ["negative"] = Sample.Normal(g, [2, 5]) },
            ("scale", "2"));
    }
}
