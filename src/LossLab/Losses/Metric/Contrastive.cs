using LossLab.Distances;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The contrastive (pair) loss of Hadsell, Chopra and LeCun 2006, in pytorch-metric-learning's form
    /// (<c>ContrastiveLoss</c>): over every ordered pair i != j of a labelled batch, a positive pair (same label) costs
    /// <c>max(0, d_ij - pos_margin)</c> and a negative pair (different labels) costs <c>max(0, neg_margin - d_ij)</c>; for a
    /// similarity <c>s</c> the signs flip: <c>max(0, pos_margin - s_ij)</c> and <c>max(0, s_ij - neg_margin)</c>.
    /// </summary>
    /// <remarks>
    /// <para>Use it to pull samples of one label together and push the others beyond a margin, when pairs rather than
    /// triplets are the natural unit (siamese networks, verification). Unlike the triplet loss it asks for absolute
    /// distances, so the margins must suit the distance: with the default normalised Euclidean distance (in [0, 2]) PML's
    /// defaults 0 and 1 pull positives to a point and push negatives to distance 1.</para>
    /// <para>Reduction as PML: the positive and the negative pairs are reduced separately and added. mean is
    /// <c>mean over positive pairs + mean over negative pairs</c> (with <paramref name="avg_nonzero"/>, PML's default
    /// <c>AvgNonZeroReducer</c>, each mean is over its pairs with a positive loss); a kind with no pair contributes 0.
    /// sum adds every pair's loss. none returns the (N, N) matrix of pair losses (0 on the diagonal).</para>
    /// <para>Memory: with <paramref name="chunk_size"/> &gt; 0 the rows (anchors) are taken in chunks, so that only one
    /// (chunk, N) block of distances exists at a time; the result is the same.</para>
    /// <code>
    /// var loss = Losses.contrastive_loss(embeddings, labels);                                       // PML defaults
    /// var sim = Losses.contrastive_loss(embeddings, labels, new Distances.Cosine(asSimilarity: true), pos_margin: 1, neg_margin: 0);
    /// </code>
    /// </remarks>
    /// <param name="embeddings">Embeddings (N, D), floating.</param>
    /// <param name="labels">Labels (N), integer.</param>
    /// <param name="distance">Compares embeddings (default: <see cref="Euclidean"/> on normalised embeddings).</param>
    /// <param name="pos_margin">Distance below which positive pairs cost nothing (for a similarity: above which).</param>
    /// <param name="neg_margin">Distance above which negative pairs cost nothing (for a similarity: below which).</param>
    /// <param name="avg_nonzero">Average each kind over its pairs with a positive loss only.</param>
    /// <param name="chunk_size">Rows per distance block (0: all at once).</param>
    /// <param name="reduction">none: (N, N) pair losses; mean: mean over positive pairs + mean over negative pairs; sum.</param>
    /// <returns>A scalar, or (N, N) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes or devices.</exception>
    public static Tensor contrastive_loss(Tensor embeddings, Tensor labels, IDistance? distance = null, double pos_margin = 0.0, double neg_margin = 1.0,
        bool avg_nonzero = false, long chunk_size = 0, Reduction reduction = Reduction.Mean)
    {
        const string name = "contrastive_loss";
        Check.Embeddings(embeddings, name);
        Check.GroupLabels(labels, embeddings, nameof(embeddings), name);
        Check.FiniteParam(pos_margin, name, nameof(pos_margin));
        Check.FiniteParam(neg_margin, name, nameof(neg_margin));
        Check.ChunkSize(chunk_size, name);
        Reduce.NoBatchMean(reduction, name);
        distance ??= new Euclidean();

        using var scope = NewDisposeScope();
        long n = embeddings.shape[0];
        var blocks = new List<Tensor>();
        var posSums = new List<Tensor> { PairMath.ConnectedZero(embeddings) };
        var negSums = new List<Tensor>();
        long posCount = 0, negCount = 0;
        foreach (var (start, length) in PairMath.Chunks(n, chunk_size))
        {
            using var inner = NewDisposeScope();
            var rows = labels.narrow(0, start, length);
            var same = rows.unsqueeze(1).eq(labels.unsqueeze(0));
            var self = torch.arange(start, start + length, dtype: ScalarType.Int64, device: labels.device).unsqueeze(1)
                .eq(torch.arange(n, dtype: ScalarType.Int64, device: labels.device).unsqueeze(0));
            var pos = same.logical_and(self.logical_not());
            var neg = same.logical_not();
            var block = distance.Matrix(embeddings.narrow(0, start, length), embeddings);      // (c, N)
            var dPos = block.masked_select(pos);
            var dNeg = block.masked_select(neg);
            var lPos = PairMath.Hinge(distance.IsSimilarity ? pos_margin - dPos : dPos - pos_margin);
            var lNeg = PairMath.Hinge(distance.IsSimilarity ? dNeg - neg_margin : neg_margin - dNeg);
            if (reduction == Reduction.None)
            {
                blocks.Add(torch.zeros_like(block).masked_scatter(pos, lPos).masked_scatter(neg, lNeg).MoveToOuterDisposeScope());
                continue;
            }
            posSums.Add(lPos.sum().MoveToOuterDisposeScope());
            negSums.Add(lNeg.sum().MoveToOuterDisposeScope());
            posCount += avg_nonzero ? lPos.gt(0).sum().item<long>() : lPos.numel();
            negCount += avg_nonzero ? lNeg.gt(0).sum().item<long>() : lNeg.numel();
        }
        var posSum = torch.stack(posSums).sum();
        var negSum = negSums.Count == 0 ? posSums[0] : torch.stack(negSums).sum();
        Tensor result = reduction switch
        {
            Reduction.None => torch.cat(blocks, 0),
            Reduction.Sum => posSum + negSum,
            _ => PairMath.SafeMean(posSum, posCount) + PairMath.SafeMean(negSum, negCount),
        };
        return result.MoveToOuterDisposeScope();
    }
}

/// <summary>The contrastive pair loss as a module <c>forward(embeddings, labels)</c>; see <see cref="Losses.contrastive_loss"/>.</summary>
public sealed class ContrastiveLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly IDistance distance;
    private readonly double posMargin;
    private readonly double negMargin;
    private readonly bool avgNonzero;
    private readonly long chunkSize;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.contrastive_loss"/>.</summary>
    public ContrastiveLoss(IDistance? distance = null, double pos_margin = 0.0, double neg_margin = 1.0, bool avg_nonzero = false, long chunk_size = 0,
        Reduction reduction = Reduction.Mean) : base(nameof(ContrastiveLoss))
    {
        Check.FiniteParam(pos_margin, nameof(ContrastiveLoss), nameof(pos_margin));
        Check.FiniteParam(neg_margin, nameof(ContrastiveLoss), nameof(neg_margin));
        Check.ChunkSize(chunk_size, nameof(ContrastiveLoss));
        Reduce.NoBatchMean(reduction, nameof(ContrastiveLoss));
        this.distance = distance ?? new Euclidean();
        posMargin = pos_margin;
        negMargin = neg_margin;
        avgNonzero = avg_nonzero;
        chunkSize = chunk_size;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor embeddings, Tensor labels) =>
        Losses.contrastive_loss(embeddings, labels, distance, posMargin, negMargin, avgNonzero, chunkSize, reduction);
}

internal sealed class ContrastiveDefinition : LossDefinition
{
    public override string Name => "contrastive";
    public override string Family => "metric_learning";
    public override string Summary => "Contrastive pair loss (Hadsell et al. 2006) over every pair of a labelled batch, with pos_margin and neg_margin as pytorch-metric-learning.";
    public override string Math => "positive pairs: max(0, d_ij - pos_margin); negative pairs: max(0, neg_margin - d_ij)  [similarity: max(0, pos_margin - s_ij), max(0, s_ij - neg_margin)];  mean = mean_pos + mean_neg";
    public override string Reference => "Hadsell, Chopra, LeCun 2006, Dimensionality Reduction by Learning an Invariant Mapping; pytorch-metric-learning ContrastiveLoss";
    public override string Function => "Losses.contrastive_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        .. DistanceNames.RegistryParameters,
        ParamSpec.Float("pos_margin", 0.0, "distance below which positive pairs cost nothing"),
        ParamSpec.Float("neg_margin", 1.0, "distance above which negative pairs cost nothing"),
        ParamSpec.Bool("avg_nonzero", false, "average each kind of pair over its pairs with a positive loss (PML's AvgNonZeroReducer)"),
        ParamSpec.Int("chunk_size", 0, "rows per distance block; 0 builds the whole N x N matrix", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("embeddings", "(N, D) embeddings"),
        InputSpec.Data("labels", "(N) group labels"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.contrastive_loss(x.Required("embeddings"), x.Required("labels"), DistanceNames.FromParameters(p),
            p.Float("pos_margin"), p.Float("neg_margin"), p.Bool("avg_nonzero"), p.Int("chunk_size"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        // Margins chosen so that every hinge is active (or every one inactive) away from its kink for random data.
        yield return GradcheckCase.Of("(8,4) euclidean neg_margin=3 mean", g => new() { ["embeddings"] = Sample.Normal(g, [8, 4]), ["labels"] = Sample.Groups(g, 8, 3) }, ("neg_margin", "3"));
        yield return GradcheckCase.Of("(7,5) squared unnormalised chunk=3 sum", g => new() { ["embeddings"] = Sample.Normal(g, [7, 5]), ["labels"] = torch.tensor(new long[] { 0, 1, 0, 2, 1, 0, 2 }) },
            ("distance", "squared_euclidean"), ("normalize_embeddings", "false"), ("neg_margin", "100"), ("chunk_size", "3"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(6,3) cosine_similarity pos=1 neg=-1 none", g => new() { ["embeddings"] = Sample.Normal(g, [6, 3]), ["labels"] = Sample.Groups(g, 6, 2) },
            ("distance", "cosine_similarity"), ("pos_margin", "1"), ("neg_margin", "-1"), ("reduction", "none"));
        yield return GradcheckCase.Of("(8,4) cosine avg_nonzero chunk=5", g => new() { ["embeddings"] = Sample.Normal(g, [8, 4]), ["labels"] = Sample.Groups(g, 8, 2) },
            ("distance", "cosine"), ("neg_margin", "2.5"), ("avg_nonzero", "true"), ("chunk_size", "5"));
        yield return GradcheckCase.Of("(2,3) one positive pair", g => new() { ["embeddings"] = Sample.Normal(g, [2, 3]), ["labels"] = torch.tensor(new long[] { 1, 1 }) });
    }
}
