using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// InfoNCE (van den Oord, Li, Vinyals 2018, Representation Learning with Contrastive Predictive Coding): each anchor
    /// (query) must pick its positive key out of a set of candidates by a softmax over similarities divided by a
    /// temperature: <c>-log(exp(s(q_i, k_i+)/t) / sum_{k in candidates_i} exp(s(q_i, k)/t))</c>.
    /// </summary>
    /// <remarks>
    /// <para>Use it for self-supervised and retrieval training from (query, positive) pairs: the candidates are the positive
    /// and either explicit negatives or the other positives of the batch.</para>
    /// <para>The candidates of anchor i, as the <c>info-nce-pytorch</c> package's <c>InfoNCE</c>:
    /// no <paramref name="negative"/>: every positive of the batch (in-batch negatives; the target is j = i);
    /// <paramref name="negative"/> (M, D): its positive followed by the M shared negatives ("unpaired");
    /// <paramref name="negative"/> (N, M, D): its positive followed by its own M negatives ("paired").
    /// In-batch InfoNCE equals <see cref="multiple_negatives_ranking_loss"/> with <c>scale = 1 / temperature</c>; the
    /// shared-negatives form differs from it in leaving the other positives out.</para>
    /// <para>Computed with <c>logsumexp</c>: finite for any temperature and, with the cosine, for embeddings of any size
    /// (zero vectors give similarity 0). With <paramref name="chunk_size"/> &gt; 0 the anchors are taken in chunks, so that
    /// only one (chunk, N) block of logits exists at a time; the result is the same.</para>
    /// <code>
    /// var inBatch = Losses.info_nce_loss(queries, keys, temperature: 0.1);
    /// var paired = Losses.info_nce_loss(queries, keys, hardNegatives);         // hardNegatives: (N, M, D)
    /// </code>
    /// </remarks>
    /// <param name="anchor">Queries (N, D), floating.</param>
    /// <param name="positive">Positive keys (N, D): key i belongs with query i.</param>
    /// <param name="negative">Optional negative keys: (M, D) shared, or (N, M, D) per query.</param>
    /// <param name="temperature">Divides the similarities, &gt; 0.</param>
    /// <param name="similarity">Cosine (the default, as info-nce-pytorch) or dot product.</param>
    /// <param name="chunk_size">Anchors per block of logits (0: all at once).</param>
    /// <param name="reduction">none: per-anchor losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes or devices.</exception>
    public static Tensor info_nce_loss(Tensor anchor, Tensor positive, Tensor? negative = null, double temperature = 0.1,
        PairSimilarity similarity = PairSimilarity.Cosine, long chunk_size = 0, Reduction reduction = Reduction.Mean)
    {
        const string name = "info_nce_loss";
        Check.Embeddings(anchor, name, nameof(anchor));
        Check.Floating(positive, name, nameof(positive));
        Check.SameShape(anchor, nameof(anchor), positive, nameof(positive), name);
        if (negative is not null)
        {
            Check.Floating(negative, name, nameof(negative));
            Check.Rank(negative, name, nameof(negative), 2, 3);
            Check.Size(negative, (int)negative.dim() - 1, anchor.shape[1], name, nameof(negative), "the embedding size of 'anchor'");
            if (negative.dim() == 3) Check.SameBatch(anchor, nameof(anchor), negative, nameof(negative), name);
        }
        Check.SameFloatType(name, (anchor, nameof(anchor)), (positive, nameof(positive)), (negative, nameof(negative)));
        Check.SameDevice(name, (anchor, nameof(anchor)), (positive, nameof(positive)), (negative, nameof(negative)));
        Check.PositiveFinite(temperature, name, nameof(temperature));
        if (!Enum.IsDefined(similarity))
            throw new ArgumentOutOfRangeException(nameof(similarity), similarity, $"{name}: 'similarity' must be one of {string.Join(", ", PairSimilarityNames.All)}");
        Check.ChunkSize(chunk_size, name);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var q = InBatch.Prepare(anchor, similarity);
        var k = InBatch.Prepare(positive, similarity);
        var scale = torch.tensor(1.0 / temperature, dtype: anchor.dtype, device: anchor.device);
        Tensor loss;
        if (negative is null) loss = InBatch.DiagonalCrossEntropy(q, k, scale, chunk_size);
        else
        {
            var neg = InBatch.Prepare(negative, similarity);
            var parts = new List<Tensor>();
            foreach (var (start, length) in PairMath.Chunks(anchor.shape[0], chunk_size))
            {
                var rows = q.narrow(0, start, length);
                var pos = (rows * k.narrow(0, start, length)).sum(1, keepdim: true);                           // (c, 1)
                var negs = neg.dim() == 2 ? rows.mm(neg.t()) : torch.einsum("nd,nmd->nm", rows, neg.narrow(0, start, length));
                var logits = torch.cat(new[] { pos, negs }, 1) * scale;                                          // (c, 1 + M)
                parts.Add(logits.logsumexp(1) - logits.select(1, 0));
            }
            loss = torch.cat(parts, 0);
        }
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>InfoNCE as a module <c>forward(anchor, positive)</c> (in-batch negatives) or <c>forward(anchor, positive, negative)</c>; see <see cref="Losses.info_nce_loss"/>.</summary>
public sealed class InfoNceLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double temperature;
    private readonly PairSimilarity similarity;
    private readonly long chunkSize;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.info_nce_loss"/>.</summary>
    public InfoNceLoss(double temperature = 0.1, PairSimilarity similarity = PairSimilarity.Cosine, long chunk_size = 0, Reduction reduction = Reduction.Mean) : base(nameof(InfoNceLoss))
    {
        Check.PositiveFinite(temperature, nameof(InfoNceLoss), nameof(temperature));
        Check.ChunkSize(chunk_size, nameof(InfoNceLoss));
        Reduce.NoBatchMean(reduction, nameof(InfoNceLoss));
        this.temperature = temperature;
        this.similarity = similarity;
        chunkSize = chunk_size;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor anchor, Tensor positive) => Losses.info_nce_loss(anchor, positive, null, temperature, similarity, chunkSize, reduction);

    /// <summary>The loss with explicit negatives, (M, D) shared or (N, M, D) per anchor.</summary>
    /// <param name="anchor">Queries (N, D).</param>
    /// <param name="positive">Positive keys (N, D).</param>
    /// <param name="negative">Negative keys.</param>
    public Tensor forward(Tensor anchor, Tensor positive, Tensor negative) => Losses.info_nce_loss(anchor, positive, negative, temperature, similarity, chunkSize, reduction);
}

internal sealed class InfoNceDefinition : LossDefinition
{
    public override string Name => "info_nce";
    public override string Family => "contrastive";
    public override string Summary => "InfoNCE: softmax over the positive and the negatives (in-batch, shared (M, D) or per-anchor (N, M, D)) of similarity / temperature.";
    public override string Math => "l_i = -s(q_i, k_i)/t + logsumexp_{k in {k_i} + negatives_i} s(q_i, k)/t;  negatives_i = other positives (in-batch), negative (M, D), or negative[i] (M, D)";
    public override string Reference => "van den Oord, Li, Vinyals 2018, Representation Learning with Contrastive Predictive Coding; info-nce-pytorch InfoNCE";
    public override string Function => "Losses.info_nce_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("temperature", 0.1, "divides the similarities", min: 0, minExclusive: true),
        ParamSpec.Choice("similarity", "cosine", "how queries and keys are compared", "cosine", "dot_product"),
        ParamSpec.Int("chunk_size", 0, "anchors per block of logits; 0: all at once", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("anchor", "(N, D) queries"),
        InputSpec.Grad("positive", "(N, D) positive keys, key i for query i"),
        new InputSpec("negative", "(M, D) shared or (N, M, D) per-query negative keys; absent: in-batch negatives", Required: false, Differentiable: true),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.info_nce_loss(x.Required("anchor"), x.Required("positive"), x.Optional("negative"), p.Float("temperature"),
            PairSimilarityNames.Parse(p.Choice("similarity")), p.Int("chunk_size"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(5,4) in-batch t=0.5", g => new() { ["anchor"] = Sample.Normal(g, [5, 4]), ["positive"] = Sample.Normal(g, [5, 4]) }, ("temperature", "0.5"));
        yield return GradcheckCase.Of("(6,3) in-batch dot t=2 chunk=4 none", g => new() { ["anchor"] = Sample.Normal(g, [6, 3]), ["positive"] = Sample.Normal(g, [6, 3]) },
            ("temperature", "2"), ("similarity", "dot_product"), ("chunk_size", "4"), ("reduction", "none"));
        yield return GradcheckCase.Of("(4,5) shared negatives (3,5) sum", g => new() { ["anchor"] = Sample.Normal(g, [4, 5]), ["positive"] = Sample.Normal(g, [4, 5]), ["negative"] = Sample.Normal(g, [3, 5]) },
            ("temperature", "0.3"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(4,3) paired negatives (4,2,3) chunk=3", g => new() { ["anchor"] = Sample.Normal(g, [4, 3]), ["positive"] = Sample.Normal(g, [4, 3]), ["negative"] = Sample.Normal(g, [4, 2, 3]) },
            ("temperature", "0.4"), ("chunk_size", "3"));
        yield return GradcheckCase.Of("(1,4) single pair with negatives", g => new() { ["anchor"] = Sample.Normal(g, [1, 4]), ["positive"] = Sample.Normal(g, [1, 4]), ["negative"] = Sample.Normal(g, [1, 3, 4]) });
    }
}
