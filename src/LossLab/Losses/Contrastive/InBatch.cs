using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>In-batch softmax pieces shared by the contrastive losses (InfoNCE, CLIP), computed in chunks of anchors.</summary>
internal static class InBatch
{
    /// <summary>Rows scaled to unit L2 norm with <c>x / max(||x||, 1e-12)</c> (<c>F.normalize</c>) for the cosine, unchanged for the dot product.</summary>
    public static Tensor Prepare(Tensor x, PairSimilarity similarity) =>
        similarity == PairSimilarity.Cosine ? nn.functional.normalize(x, 2, -1, 1e-12) : x.alias();

    /// <summary>
    /// For each row i of <paramref name="a"/> (N, D), <c>-log softmax_j(scale a_i . b_j)_i</c> over the rows j of
    /// <paramref name="b"/> (N, D) (target j = i), with rows already prepared; only one (chunk, N) block of logits exists
    /// at a time, and autograd keeps one float (chunk, N) block (the log-softmax) per chunk. Returns (N).
    /// </summary>
    public static Tensor DiagonalCrossEntropy(Tensor a, Tensor b, Tensor scale, long chunkSize)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        foreach (var (start, length) in PairMath.Chunks(a.shape[0], chunkSize))
        {
            using var inner = NewDisposeScope();
            var logits = (a.narrow(0, start, length) * scale).mm(b.t());                          // (c, N); the scale on the rows
            var diagonal = torch.arange(start, start + length, dtype: ScalarType.Int64, device: a.device).unsqueeze(1);
            parts.Add((-nn.functional.log_softmax(logits, 1).gather(1, diagonal).squeeze(1)).MoveToOuterDisposeScope());
        }
        return torch.cat(parts, 0).MoveToOuterDisposeScope();
    }
}
