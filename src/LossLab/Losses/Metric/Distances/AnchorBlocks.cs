using static TorchSharp.torch;

namespace LossLab.Distances;

/// <summary>
/// The (chunk, N) blocks of a distance matrix of a batch against itself, one chunk of anchors at a time, with the
/// embeddings prepared (L2-normalised where the distance normalises) once for all chunks instead of once per block: so
/// that autograd keeps one normalised copy of the batch, not one per chunk (which, for small chunks and a large
/// embedding size, would add up to more than the N x N matrix that chunking avoids). The blocks' values are those of
/// <see cref="IDistance.Matrix"/> (normalisation is row-wise); distances other than <see cref="Distance"/> fall back to it.
/// </summary>
internal sealed class AnchorBlocks
{
    private readonly IDistance distance;
    private readonly Tensor embeddings;
    private readonly Tensor? prepared;

    /// <summary>Prepares the blocks of <paramref name="embeddings"/> (N, D), already validated.</summary>
    public AnchorBlocks(IDistance distance, Tensor embeddings)
    {
        this.distance = distance;
        this.embeddings = embeddings;
        prepared = distance is Distance d ? d.Prepare(embeddings) : null;
    }

    /// <summary>The (length, N) block of anchors <c>start .. start + length - 1</c> against the whole batch.</summary>
    public Tensor Block(long start, long length) => distance is Distance d && prepared is not null
        ? d.PreparedMatrix(prepared.narrow(0, start, length), prepared)
        : distance.Matrix(embeddings.narrow(0, start, length), embeddings);
}
