using LossLab.Distances;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Miners;

/// <summary>
/// Index triplets (anchor, positive, negative) into a labelled batch: <c>labels[Anchor[t]] == labels[Positive[t]]</c>,
/// <c>Anchor[t] != Positive[t]</c>, <c>labels[Anchor[t]] != labels[Negative[t]]</c>. Each is an int64 vector of the
/// same length; they carry no gradient.
/// </summary>
/// <param name="Anchor">Anchor indices (T).</param>
/// <param name="Positive">Positive indices (T).</param>
/// <param name="Negative">Negative indices (T).</param>
public sealed record Triplets(Tensor Anchor, Tensor Positive, Tensor Negative)
{
    /// <summary>The number of triplets T.</summary>
    public long Count => Anchor.shape[0];
}

/// <summary>
/// A triplet miner in the style of pytorch-metric-learning: it picks index triplets from a labelled batch, without
/// gradient, so that a loss can take any miner (and any <see cref="IDistance"/>) as an argument.
/// </summary>
public interface IMiner
{
    /// <summary>The registry name (all, batch_hard, semi_hard, batch_easy_hard).</summary>
    string Name { get; }

    /// <summary>Mines the triplets of a batch.</summary>
    /// <param name="embeddings">Embeddings (N, D), floating.</param>
    /// <param name="labels">Group labels (N), integer.</param>
    /// <param name="distance">How embeddings are compared.</param>
    /// <param name="chunkSize">Anchors per distance block (0: all at once); bounds the memory to one (chunk, N) block.</param>
    /// <returns>The triplets, ordered by anchor.</returns>
    Triplets Mine(Tensor embeddings, Tensor labels, IDistance distance, long chunkSize = 0);
}

/// <summary>
/// The shared part of the miners, which all decide each anchor from its own row of distances: checks, no-gradient
/// evaluation, anchor chunks, and masks of the positives (same label, not the anchor) and negatives (another label).
/// </summary>
public abstract class RowMiner : IMiner
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>Whether <see cref="MineRows"/> reads the distances (the all-triplets miner does not).</summary>
    protected virtual bool NeedsDistances => true;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">Bad shapes, dtypes or devices.</exception>
    public Triplets Mine(Tensor embeddings, Tensor labels, IDistance distance, long chunkSize = 0)
    {
        string owner = "miner " + Name;
        Check.Embeddings(embeddings, owner);
        Check.GroupLabels(labels, embeddings, nameof(embeddings), owner);
        ArgumentNullException.ThrowIfNull(distance);
        Check.ChunkSize(chunkSize, owner, nameof(chunkSize));

        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        long n = embeddings.shape[0];
        var a = new List<Tensor>();
        var p = new List<Tensor>();
        var ng = new List<Tensor>();
        var blocks = NeedsDistances ? new AnchorBlocks(distance, embeddings) : null;
        foreach (var (start, length) in PairMath.Chunks(n, chunkSize))
        {
            using var inner = NewDisposeScope();
            // two (c, N) bool masks; the anchors themselves are cleared from the positives in place
            var (positive, negative) = PairMasks.Of(labels.narrow(0, start, length), labels, start);
            Tensor? key = null;
            if (NeedsDistances)
            {
                // Oriented so that smaller is closer for distances and similarities alike (LossLab's own distances
                // return a fresh block, negated in place: no copy).
                key = blocks!.Block(start, length);
                if (distance.IsSimilarity) key = distance is Distance ? key.neg_() : -key;
            }
            var (ai, pi, ni) = MineRows(key, positive, negative!);
            a.Add((ai + start).MoveToOuterDisposeScope());
            p.Add(pi.MoveToOuterDisposeScope());
            ng.Add(ni.MoveToOuterDisposeScope());
        }
        var result = new Triplets(torch.cat(a, 0).MoveToOuterDisposeScope(), torch.cat(p, 0).MoveToOuterDisposeScope(), torch.cat(ng, 0).MoveToOuterDisposeScope());
        return result;
    }

    /// <summary>
    /// Mines one chunk of anchors. Row r of each argument is anchor <c>start + r</c>; the returned anchor indices are
    /// row numbers (the caller adds the chunk's start), the positives and negatives are batch indices.
    /// </summary>
    /// <param name="key">(c, N) distances oriented so that smaller is closer (negated similarities), or null when
    /// <see cref="NeedsDistances"/> is false.</param>
    /// <param name="positive">(c, N) bool: same label, not the anchor itself.</param>
    /// <param name="negative">(c, N) bool: another label.</param>
    protected abstract (Tensor Anchor, Tensor Positive, Tensor Negative) MineRows(Tensor? key, Tensor positive, Tensor negative);

    /// <summary>Every (row, positive) pair of a chunk, row-major: two int64 vectors.</summary>
    protected static (Tensor Row, Tensor Positive) PositivePairs(Tensor positive)
    {
        var idx = positive.nonzero();                     // (P, 2)
        return (idx.select(1, 0), idx.select(1, 1));
    }

    /// <summary>The index of the smallest (or largest) value of each row among the entries where <paramref name="allowed"/> holds, and whether the row had any.</summary>
    protected static (Tensor Index, Tensor Found) ArgExtreme(Tensor key, Tensor allowed, bool largest)
    {
        using var scope = NewDisposeScope();
        // where with a 0-d fill: one float (c, N) temporary and no negated mask
        var fill = torch.tensor(largest ? double.NegativeInfinity : double.PositiveInfinity, dtype: key.dtype, device: key.device);
        var masked = torch.where(allowed, key, fill);
        var index = largest ? masked.argmax(1) : masked.argmin(1);
        return (index.MoveToOuterDisposeScope(), allowed.any(1).MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>Parses the registry names of the miners.</summary>
public static class MinerNames
{
    /// <summary>Every registry name: all, batch_hard, semi_hard, batch_easy_hard.</summary>
    public static IReadOnlyList<string> All { get; } = ["all", "batch_hard", "semi_hard", "batch_easy_hard"];

    /// <summary>The miner of a registry name.</summary>
    /// <param name="name">all, batch_hard, semi_hard or batch_easy_hard (with its defaults: easy positive, semi-hard negative).</param>
    /// <param name="margin">The semi-hard miner's margin.</param>
    /// <exception cref="ArgumentException">Not a known name.</exception>
    public static IMiner Parse(string name, double margin = 0.2) => name.Trim().ToLowerInvariant() switch
    {
        "all" or "all_triplets" => new AllTriplets(),
        "batch_hard" => new BatchHard(),
        "semi_hard" or "semihard" => new SemiHard(margin),
        "batch_easy_hard" => new BatchEasyHard(),
        _ => throw new ArgumentException($"miner must be one of {string.Join(", ", All)}; got '{name}'", nameof(name)),
    };
}
