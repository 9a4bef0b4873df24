using LossLab.Distances;
using LossLab.Miners;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Triplet loss on a labelled batch, in the style of pytorch-metric-learning's <c>TripletMarginLoss</c>: a
    /// <paramref name="miner"/> picks index triplets (a, p, n) without gradient, a <paramref name="distance"/> compares the
    /// embeddings, and each triplet costs <c>max(0, d(a, p) - d(a, n) + margin)</c> (for a similarity,
    /// <c>max(0, s(a, n) - s(a, p) + margin)</c>), or with <paramref name="soft_margin"/> the smooth
    /// <c>softplus(d(a, p) - d(a, n) + margin)</c> (Hermans et al. 2017's soft margin uses margin 0).
    /// </summary>
    /// <remarks>
    /// <para>Use it to learn an embedding where samples of one label sit closer together than to any other label (face
    /// and person re-identification, image retrieval), from batches holding several samples of each label. For
    /// pre-formed (anchor, positive, negative) tensors use <see cref="triplet_margin_loss"/> instead.</para>
    /// <para>The defaults are pytorch-metric-learning's: every valid triplet (<see cref="AllTriplets"/>), the Euclidean
    /// distance between L2-normalised embeddings, margin 0.05. PML's default reducer averages over the triplets with a
    /// positive loss only: pass <paramref name="avg_nonzero"/> for that. With no triplet (no label with two samples, or
    /// no second label) the loss is 0, connected to the graph.</para>
    /// <para>Memory: with <paramref name="chunk_size"/> &gt; 0 the anchors are taken in chunks, both by the miner and by
    /// the loss, so that only one (chunk, N) block of distances is built at a time instead of the (N, N) matrix; the
    /// result is the same. The miner works without gradient (two bool masks and at most two float blocks at a time);
    /// the loss builds the block again with gradient, and for the Euclidean distance autograd keeps its square roots
    /// and two bool masks per chunk: over all chunks that is one N x N float matrix (plus two bool ones) until backward,
    /// whatever the chunk size. Chunking bounds the transient peak, not what backward needs. The embeddings are
    /// normalised once for all chunks.</para>
    /// <code>
    /// var loss = Losses.triplet_loss(embeddings, labels);                                                 // all triplets, PML defaults
    /// var hard = Losses.triplet_loss(embeddings, labels, new BatchHard(), new Distances.Cosine(), margin: 0.2, chunk_size: 256);
    /// var soft = Losses.triplet_loss(embeddings, labels, new BatchHard(), new Euclidean(normalizeEmbeddings: false), margin: 0, soft_margin: true);
    /// </code>
    /// </remarks>
    /// <param name="embeddings">Embeddings (N, D), floating.</param>
    /// <param name="labels">Labels (N), integer: samples of one label are positives of each other.</param>
    /// <param name="miner">Picks the triplets (default: <see cref="AllTriplets"/>). Ignored when <paramref name="indices"/> is given.</param>
    /// <param name="distance">Compares embeddings (default: <see cref="Euclidean"/> on normalised embeddings).</param>
    /// <param name="margin">The required gap, in the distance's units.</param>
    /// <param name="soft_margin">Use <c>softplus</c> instead of the hinge (PML's <c>smooth_loss</c>).</param>
    /// <param name="avg_nonzero">With mean reduction, average over the triplets with a positive loss only (PML's
    /// <c>AvgNonZeroReducer</c>, its default for this loss); 0 when there are none.</param>
    /// <param name="chunk_size">Anchors per distance block (0: all at once).</param>
    /// <param name="reduction">none: the loss of each triplet (T), in the miner's order; mean over triplets; sum.</param>
    /// <param name="indices">Triplets mined beforehand (PML's <c>indices_tuple</c>); they must be valid for <paramref name="labels"/>.</param>
    /// <returns>A scalar, or (T) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes or devices, or triplet indices out of range.</exception>
    public static Tensor triplet_loss(Tensor embeddings, Tensor labels, IMiner? miner = null, IDistance? distance = null, double margin = 0.05,
        bool soft_margin = false, bool avg_nonzero = false, long chunk_size = 0, Reduction reduction = Reduction.Mean, Triplets? indices = null)
    {
        const string name = "triplet_loss";
        Check.Embeddings(embeddings, name);
        Check.GroupLabels(labels, embeddings, nameof(embeddings), name);
        Check.FiniteParam(margin, name, nameof(margin));
        Check.ChunkSize(chunk_size, name);
        Reduce.NoBatchMean(reduction, name);
        if (indices is not null) CheckTriplets(indices, embeddings.shape[0], embeddings.device, name);
        miner ??= new AllTriplets();
        distance ??= new Euclidean();

        using var scope = NewDisposeScope();
        var t = indices ?? miner.Mine(embeddings, labels, distance, chunk_size);
        var loss = TripletLosses(embeddings, t, distance, margin, soft_margin, chunk_size);
        return ReduceTriplets(loss, embeddings, reduction, avg_nonzero).MoveToOuterDisposeScope();
    }

    // The per-triplet losses (T), computed chunk by chunk of anchors from one (chunk, N) block of distances at a time.
    private static Tensor TripletLosses(Tensor embeddings, Triplets t, IDistance distance, double margin, bool soft, long chunkSize)
    {
        using var scope = NewDisposeScope();
        long n = embeddings.shape[0];
        if (t.Count == 0) return embeddings.new_zeros(0).MoveToOuterDisposeScope();
        var parts = new List<Tensor>();
        var where = new List<Tensor>();
        var blocks = new AnchorBlocks(distance, embeddings);
        foreach (var (start, length) in PairMath.Chunks(n, chunkSize))
        {
            using var inner = NewDisposeScope();
            var inChunk = t.Anchor.ge(start).logical_and(t.Anchor.lt(start + length)).nonzero().squeeze(1);
            if (inChunk.numel() == 0) continue;
            var block = blocks.Block(start, length);                                             // (c, N)
            var rows = t.Anchor.index_select(0, inChunk) - start;
            var ap = block.index(rows, t.Positive.index_select(0, inChunk));
            var an = block.index(rows, t.Negative.index_select(0, inChunk));
            var violation = distance.Gap(ap, an) + margin;
            parts.Add((soft ? PairMath.Softplus(violation) : PairMath.Hinge(violation)).MoveToOuterDisposeScope());
            where.Add(inChunk.MoveToOuterDisposeScope());
        }
        var values = torch.cat(parts, 0);
        var order = torch.cat(where, 0);
        // Back to the triplets' order (a permutation: each triplet belongs to exactly one chunk).
        var loss = torch.zeros(t.Count, dtype: values.dtype, device: values.device).index_copy(0, order, values);
        return loss.MoveToOuterDisposeScope();
    }

    private static Tensor ReduceTriplets(Tensor loss, Tensor embeddings, Reduction reduction, bool avgNonzero)
    {
        if (reduction == Reduction.None) return loss;
        var zero = PairMath.ConnectedZero(embeddings);
        if (loss.numel() == 0) return zero;
        if (reduction == Reduction.Sum) return loss.sum();
        if (!avgNonzero) return loss.mean();
        return PairMath.SafeMean(loss.sum(), loss.gt(0).sum());
    }

    private static void CheckTriplets(Triplets t, long n, Device device, string name)
    {
        foreach (var (v, arg) in new[] { (t.Anchor, "indices.Anchor"), (t.Positive, "indices.Positive"), (t.Negative, "indices.Negative") })
        {
            Check.Integer(v, name, arg);
            Check.Rank(v, name, arg, 1);
            if (v.shape[0] != t.Anchor.shape[0])
                throw new ArgumentException($"{name}: the triplet index vectors must have one length, got {t.Anchor.shape[0]} anchors and {v.shape[0]} in '{arg}'", arg);
            if (v.device_type != device.type)
                throw new ArgumentException($"{name}: '{arg}' is on {v.device} but the embeddings are on {device}", arg);
            if (v.numel() > 0)
            {
                long lo = v.min().item<long>(), hi = v.max().item<long>();
                if (lo < 0 || hi >= n)
                    throw new ArgumentException($"{name}: '{arg}' holds indices in [{lo}, {hi}] but the batch has {n} samples", arg);
            }
        }
    }
}

/// <summary>The triplet loss with a miner and a distance, as a module <c>forward(embeddings, labels)</c>; see <see cref="Losses.triplet_loss"/>.</summary>
public sealed class TripletLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly IMiner miner;
    private readonly IDistance distance;
    private readonly double margin;
    private readonly bool softMargin;
    private readonly bool avgNonzero;
    private readonly long chunkSize;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.triplet_loss"/>.</summary>
    public TripletLoss(IMiner? miner = null, IDistance? distance = null, double margin = 0.05, bool soft_margin = false, bool avg_nonzero = false,
        long chunk_size = 0, Reduction reduction = Reduction.Mean) : base(nameof(TripletLoss))
    {
        Check.FiniteParam(margin, nameof(TripletLoss), nameof(margin));
        Check.ChunkSize(chunk_size, nameof(TripletLoss));
        Reduce.NoBatchMean(reduction, nameof(TripletLoss));
        this.miner = miner ?? new AllTriplets();
        this.distance = distance ?? new Euclidean();
        this.margin = margin;
        softMargin = soft_margin;
        avgNonzero = avg_nonzero;
        chunkSize = chunk_size;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor embeddings, Tensor labels) =>
        Losses.triplet_loss(embeddings, labels, miner, distance, margin, softMargin, avgNonzero, chunkSize, reduction);
}

internal sealed class TripletDefinition : LossDefinition
{
    public override string Name => "triplet";
    public override string Family => "metric_learning";
    public override string Summary => "Triplet loss on a labelled batch with a miner (all, batch_hard, semi_hard, batch_easy_hard) and a distance (pytorch-metric-learning style).";
    public override string Math => "(a, p, n) = miner(embeddings, labels);  l = max(0, d(a, p) - d(a, n) + margin)  [soft_margin: softplus(...); similarity: s(a, n) - s(a, p) + margin]";
    public override string Reference => "Schroff et al. 2015, FaceNet; Hermans et al. 2017, In Defense of the Triplet Loss; Xuan et al. 2020; pytorch-metric-learning TripletMarginLoss and miners";
    public override string Function => "Losses.triplet_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("miner", "all", "which triplets: every valid one, batch-hard, semi-hard (within the margin), easy-positive/semi-hard-negative", "all", "batch_hard", "semi_hard", "batch_easy_hard"),
        .. DistanceNames.RegistryParameters,
        ParamSpec.Float("margin", 0.05, "the required gap between the distances (also the semi-hard band)"),
        ParamSpec.Bool("soft_margin", false, "softplus instead of the hinge"),
        ParamSpec.Bool("avg_nonzero", false, "mean over triplets with a positive loss only (PML's AvgNonZeroReducer)"),
        ParamSpec.Int("chunk_size", 0, "anchors per distance block; 0 builds the whole N x N matrix", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("embeddings", "(N, D) embeddings"),
        InputSpec.Data("labels", "(N) group labels"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p)
    {
        double margin = p.Float("margin");
        var miner = MinerNames.Parse(p.Choice("miner"), margin);   // semi_hard: its band is the loss's margin (> 0)
        return Losses.triplet_loss(x.Required("embeddings"), x.Required("labels"), miner, DistanceNames.FromParameters(p),
            margin, p.Bool("soft_margin"), p.Bool("avg_nonzero"), p.Int("chunk_size"), p.Reduction);
    }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        // Margins far above the random triplets' gaps keep the hinge active; random embeddings keep the miners' choices
        // away from ties, so small perturbations do not change the selected triplets.
        yield return GradcheckCase.Of("(8,4) all euclidean margin=3 mean", g => new() { ["embeddings"] = Sample.Normal(g, [8, 4]), ["labels"] = Sample.Groups(g, 8, 3) }, ("margin", "3"));
        yield return GradcheckCase.Of("(8,5) batch_hard squared_euclidean unnormalised chunk=3 sum", g => new() { ["embeddings"] = Sample.Normal(g, [8, 5]), ["labels"] = Sample.Groups(g, 8, 2) },
            ("miner", "batch_hard"), ("distance", "squared_euclidean"), ("normalize_embeddings", "false"), ("margin", "20"), ("chunk_size", "3"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(9,4) all cosine soft none", g => new() { ["embeddings"] = Sample.Normal(g, [9, 4]), ["labels"] = Sample.Groups(g, 9, 3) },
            ("distance", "cosine"), ("soft_margin", "true"), ("margin", "0"), ("reduction", "none"));
        yield return GradcheckCase.Of("(10,6) semi_hard cosine_similarity margin=0.5", g => new() { ["embeddings"] = Sample.Normal(g, [10, 6]), ["labels"] = Sample.Groups(g, 10, 2) },
            ("miner", "semi_hard"), ("distance", "cosine_similarity"), ("margin", "0.5"));
        yield return GradcheckCase.Of("(8,4) batch_easy_hard euclidean avg_nonzero chunk=5", g => new() { ["embeddings"] = Sample.Normal(g, [8, 4]), ["labels"] = Sample.Groups(g, 8, 2) },
            ("miner", "batch_easy_hard"), ("margin", "1"), ("avg_nonzero", "true"), ("chunk_size", "5"));
        yield return GradcheckCase.Of("(3,2) one triplet", g => new() { ["embeddings"] = Sample.Normal(g, [3, 2]), ["labels"] = torch.tensor(new long[] { 4, 4, 7 }) }, ("margin", "3"));
    }
}
