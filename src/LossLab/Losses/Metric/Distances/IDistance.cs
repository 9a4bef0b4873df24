using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Distances;

/// <summary>
/// How the metric-learning losses and miners compare embeddings, in the style of pytorch-metric-learning's distances:
/// a distance (smaller is closer: <see cref="Euclidean"/>, <see cref="SquaredEuclidean"/>, <see cref="Cosine"/> as
/// <c>1 - cos</c>) or a similarity (larger is closer: <see cref="Cosine"/> with <c>asSimilarity</c>, PML's
/// <c>is_inverted</c>). Losses take any <see cref="IDistance"/> and read margins in its units.
/// </summary>
public interface IDistance
{
    /// <summary>The registry name (euclidean, squared_euclidean, cosine, cosine_similarity).</summary>
    string Name { get; }

    /// <summary>Whether larger values mean closer (a similarity, PML's <c>is_inverted</c>).</summary>
    bool IsSimilarity { get; }

    /// <summary>Whether embeddings are L2-normalised before they are compared.</summary>
    bool NormalizeEmbeddings { get; }

    /// <summary>The (N, M) matrix between the rows of <paramref name="query"/> (N, D) and <paramref name="reference"/> (M, D).</summary>
    Tensor Matrix(Tensor query, Tensor reference);
}

/// <summary>
/// The shared part of the distances: argument checks, optional L2 normalisation (<c>x / max(||x||, 1e-12)</c>, as
/// <c>F.normalize</c>) and the matrix computed in chunks of query rows.
/// </summary>
public abstract class Distance : IDistance
{
    /// <summary>Creates a distance.</summary>
    /// <param name="normalizeEmbeddings">L2-normalise the embeddings first (pytorch-metric-learning's default).</param>
    /// <param name="isSimilarity">Larger values mean closer.</param>
    protected Distance(bool normalizeEmbeddings, bool isSimilarity)
    {
        NormalizeEmbeddings = normalizeEmbeddings;
        IsSimilarity = isSimilarity;
    }

    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public bool IsSimilarity { get; }

    /// <inheritdoc/>
    public bool NormalizeEmbeddings { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">Not two floating (N, D) and (M, D) tensors of one dtype and device.</exception>
    public Tensor Matrix(Tensor query, Tensor reference)
    {
        string owner = "distance " + Name;
        Check.Floating(query, owner, nameof(query));
        Check.Floating(reference, owner, nameof(reference));
        Check.Rank(query, owner, nameof(query), 2);
        Check.Rank(reference, owner, nameof(reference), 2);
        Check.Size(reference, 1, query.shape[1], owner, nameof(reference), "the embedding size of 'query'");
        Check.SameFloatType(owner, (query, nameof(query)), (reference, nameof(reference)));
        Check.SameDevice(owner, (query, nameof(query)), (reference, nameof(reference)));
        using var scope = NewDisposeScope();
        var q = NormalizeEmbeddings ? Normalize(query) : query;
        var r = NormalizeEmbeddings ? (ReferenceEquals(query, reference) ? q : Normalize(reference)) : reference;
        return Compute(q, r).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The same matrix built in chunks of <paramref name="chunkSize"/> query rows (0: at once), so that the temporaries
    /// of only one (chunk, M) block are alive at a time.
    /// </summary>
    public Tensor Matrix(Tensor query, Tensor reference, long chunkSize)
    {
        Check.ChunkSize(chunkSize, "distance " + Name, nameof(chunkSize));
        if (chunkSize == 0 || chunkSize >= query.shape[0]) return Matrix(query, reference);
        var blocks = new List<Tensor>();
        try
        {
            foreach (var (start, length) in PairMath.Chunks(query.shape[0], chunkSize))
                blocks.Add(Matrix(query.narrow(0, start, length), reference));
            return torch.cat(blocks, 0);
        }
        finally
        {
            foreach (var b in blocks) b.Dispose();
        }
    }

    /// <summary>The matrix between already prepared (normalised where asked) rows.</summary>
    protected abstract Tensor Compute(Tensor query, Tensor reference);

    /// <summary>Rows as this distance compares them: L2-normalised where it normalises (see <see cref="AnchorBlocks"/>).</summary>
    internal Tensor Prepare(Tensor x) => NormalizeEmbeddings ? Normalize(x) : x;

    /// <summary>The matrix between rows already passed through <see cref="Prepare"/> (no checks).</summary>
    internal Tensor PreparedMatrix(Tensor query, Tensor reference) => Compute(query, reference);

    /// <summary>Rows divided by <c>max(||x||_2, 1e-12)</c>, as <c>torch.nn.functional.normalize</c>.</summary>
    protected static Tensor Normalize(Tensor x) => nn.functional.normalize(x, 2, 1, 1e-12);

    /// <summary>Squared Euclidean distances <c>||q||^2 + ||r||^2 - 2 q.r</c>, clamped at 0 against rounding (by
    /// <c>masked_fill</c>, so that autograd keeps no float copy of the matrix). One float (N, M) matrix: the product is
    /// added into <c>||q||^2 + ||r||^2</c> and clamped in place (the same kernels as the out-of-place forms, so the
    /// same values; neither backward needs the overwritten values).</summary>
    protected static Tensor SquaredDistances(Tensor query, Tensor reference)
    {
        using var scope = NewDisposeScope();
        var qq = query.square().sum(1, keepdim: true);
        var rr = reference.square().sum(1).unsqueeze(0);
        var sq = (qq + rr).addmm_(query, reference.t(), beta: 1, alpha: -2);
        using (var negative = sq.lt(0)) sq.masked_fill_(negative, 0.0);
        return sq.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>Parses the registry names of the distances.</summary>
public static class DistanceNames
{
    /// <summary>Every registry name: euclidean, squared_euclidean, cosine (1 - cos), cosine_similarity (cos, larger is closer).</summary>
    public static IReadOnlyList<string> All { get; } = ["euclidean", "squared_euclidean", "cosine", "cosine_similarity"];

    /// <summary>The distance of a registry name.</summary>
    /// <param name="name">euclidean, squared_euclidean, cosine or cosine_similarity.</param>
    /// <param name="normalizeEmbeddings">For the Euclidean distances: L2-normalise first (the cosine always does).</param>
    /// <exception cref="ArgumentException">Not a known name.</exception>
    public static IDistance Parse(string name, bool normalizeEmbeddings = true) => name.Trim().ToLowerInvariant() switch
    {
        "euclidean" or "lp" or "l2" => new Euclidean(normalizeEmbeddings),
        "squared_euclidean" or "sq_euclidean" => new SquaredEuclidean(normalizeEmbeddings),
        "cosine" or "cosine_distance" => new Cosine(),
        "cosine_similarity" or "cos_sim" => new Cosine(asSimilarity: true),
        _ => throw new ArgumentException($"distance must be one of {string.Join(", ", All)}; got '{name}'", nameof(name)),
    };

    /// <summary>The registry parameters that choose a distance: <c>distance</c> and <c>normalize_embeddings</c>.</summary>
    internal static IReadOnlyList<Registry.ParamSpec> RegistryParameters { get; } =
    [
        Registry.ParamSpec.Choice("distance", "euclidean", "how embeddings are compared", "euclidean", "squared_euclidean", "cosine", "cosine_similarity"),
        Registry.ParamSpec.Bool("normalize_embeddings", true, "L2-normalise embeddings before the Euclidean distances (PML's default)"),
    ];

    /// <summary>The distance chosen by <see cref="RegistryParameters"/>.</summary>
    internal static IDistance FromParameters(Registry.LossParameters p) => Parse(p.Choice("distance"), p.Bool("normalize_embeddings"));

    /// <summary>
    /// How far a triplet is from satisfying <c>closer</c> beating <c>farther</c>, in the distance's units: <c>ap - an</c>
    /// for a distance, <c>an - ap</c> for a similarity (pytorch-metric-learning's <c>distance.margin(ap, an)</c>).
    /// </summary>
    public static Tensor Gap(this IDistance distance, Tensor anchorPositive, Tensor anchorNegative) =>
        distance.IsSimilarity ? anchorNegative - anchorPositive : anchorPositive - anchorNegative;
}
