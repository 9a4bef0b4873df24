using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// The shared part of the listwise-input ranking losses (TF-Ranking's conventions): checks, item validity, and the
/// pairwise reduction over pairs (i, j) of one list with <c>label_i &gt; label_j</c>.
/// </summary>
internal static class PairwiseRanking
{
    public static void Validate(string name, Tensor scores, Tensor labels, Tensor? mask, double temperature, long chunkSize, Reduction reduction)
    {
        Check.Floating(scores, name, nameof(scores));
        Check.Rank(scores, name, nameof(scores), 2);
        Check.Real(labels, name, nameof(labels));
        Check.SameShape(scores, nameof(scores), labels, nameof(labels), name);
        Check.SameDevice(name, (scores, nameof(scores)), (labels, nameof(labels)));
        Check.OptionalMask(mask, scores, nameof(scores), name);
        Check.PositiveFinite(temperature, name, nameof(temperature));
        Check.ChunkSize(chunkSize, name);
        Reduce.NoBatchMean(reduction, name);
    }

    /// <summary>Valid items: a label &gt;= 0 (TF-Ranking treats negative labels as padding) and, when given, a true mask.</summary>
    public static Tensor Valid(Tensor labels, Tensor? mask)
    {
        var valid = labels.ge(0);
        return mask is null ? valid : valid.logical_and(mask.ne(0));
    }

    /// <summary>
    /// <c>sum_{i, j valid, y_i &gt; y_j} loss(s_i - s_j)</c> per list, reduced: none gives each list's mean over its
    /// pairs (N), 0 for a list without pairs; sum adds every pair; mean divides that by the number of pairs in the batch
    /// (TF-Ranking's SUM_BY_NONZERO_WEIGHTS), 0 without pairs. Lists are taken in chunks of <paramref name="chunkSize"/>
    /// so that only (chunk, L, L) pair tensors exist at a time.
    /// </summary>
    public static Tensor Loss(Tensor scores, Tensor labels, Tensor? mask, Func<Tensor, Tensor> pairLoss, double temperature, long chunkSize, Reduction reduction)
    {
        using var scope = NewDisposeScope();
        var s = temperature == 1.0 ? scores : scores / temperature;
        var valid = Valid(labels, mask);
        var sums = new List<Tensor>();
        var counts = new List<Tensor>();
        foreach (var (start, length) in PairMath.Chunks(scores.shape[0], chunkSize))
        {
            using var inner = NewDisposeScope();
            var sc = s.narrow(0, start, length);
            var lc = labels.narrow(0, start, length);
            var vc = valid.narrow(0, start, length);
            var pairs = lc.unsqueeze(2).gt(lc.unsqueeze(1)).logical_and(vc.unsqueeze(2)).logical_and(vc.unsqueeze(1));   // (c, L, L)
            var diff = sc.unsqueeze(2) - sc.unsqueeze(1);                                                                  // s_i - s_j
            var loss = torch.where(pairs, pairLoss(diff), torch.zeros_like(diff));
            sums.Add(loss.sum(new long[] { 1, 2 }).MoveToOuterDisposeScope());
            counts.Add(pairs.sum(new long[] { 1, 2 }).MoveToOuterDisposeScope());
        }
        var perList = torch.cat(sums, 0);
        var count = torch.cat(counts, 0);
        Tensor result = reduction switch
        {
            Reduction.None => perList / count.to_type(perList.dtype).clamp_min(1.0),
            Reduction.Sum => perList.sum(),
            _ => PairMath.SafeMean(perList.sum(), count.sum()),
        };
        return result.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The shared part of the list ranking loss modules: <c>forward(scores, labels)</c> and
/// <c>forward(scores, labels, mask)</c> with scores and graded labels of shape (N lists, L items).
/// </summary>
public abstract class ListRankingLoss : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>Creates the module.</summary>
    /// <param name="name">The module's name.</param>
    /// <param name="temperature">Scores are divided by it, &gt; 0.</param>
    /// <param name="chunkSize">Lists per pair block, &gt;= 0.</param>
    /// <param name="reduction">none, mean or sum.</param>
    protected ListRankingLoss(string name, double temperature, long chunkSize, Reduction reduction) : base(name)
    {
        Check.PositiveFinite(temperature, name, nameof(temperature));
        Check.ChunkSize(chunkSize, name);
        Reduce.NoBatchMean(reduction, name);
        Temperature = temperature;
        ChunkSize = chunkSize;
        Reduction = reduction;
    }

    /// <summary>Scores are divided by it.</summary>
    protected double Temperature { get; }

    /// <summary>Lists per pair block (0: all at once).</summary>
    protected long ChunkSize { get; }

    /// <summary>The reduction.</summary>
    protected Reduction Reduction { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor scores, Tensor labels) => Compute(scores, labels, null);

    /// <summary>The loss with a validity mask (N, L).</summary>
    /// <param name="scores">Scores (N, L).</param>
    /// <param name="labels">Graded relevance (N, L).</param>
    /// <param name="mask">Validity (N, L), bool or 0/1.</param>
    public Tensor forward(Tensor scores, Tensor labels, Tensor mask) => Compute(scores, labels, mask);

    /// <summary>The loss of the module's settings.</summary>
    /// <param name="scores">Scores (N, L).</param>
    /// <param name="labels">Graded relevance (N, L).</param>
    /// <param name="mask">Optional validity (N, L).</param>
    protected abstract Tensor Compute(Tensor scores, Tensor labels, Tensor? mask);
}
