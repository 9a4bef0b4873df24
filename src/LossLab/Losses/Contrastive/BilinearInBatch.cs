using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// In-batch InfoNCE with a bilinear score <c>q_i^T W k_j</c> (CPC, CURL, ATC), shared by
/// <see cref="Losses.temporal_contrastive_loss"/> and <see cref="Losses.contrastive_model_loss"/>; the softmax itself is
/// <see cref="InBatch.DiagonalCrossEntropy"/>.
/// </summary>
internal static class BilinearInBatch
{
    /// <summary>The optional bilinear matrix W: floating, (D, D) for embeddings of size D, on the queries' device.</summary>
    public static void CheckWeight(Tensor? weight, long size, Tensor like, string likeName, string loss, string arg = "weight")
    {
        if (weight is null) return;
        Check.Floating(weight, loss, arg);
        if (weight.dim() != 2 || weight.shape[0] != size || weight.shape[1] != size)
            throw new ArgumentException($"{loss}: '{arg}' must be the bilinear matrix W of shape [{size}, {size}] (the embedding size of '{likeName}'), got {Check.Shape(weight)}", arg);
        Check.SameFloatType(loss, (like, likeName), (weight, arg));
        Check.SameDevice(loss, (like, likeName), (weight, arg));
    }

    /// <summary>
    /// For each query i of <paramref name="queries"/> (N, D), <c>-log softmax_j(q_i^T W k_j / temperature)_i</c> over the keys
    /// j of <paramref name="keys"/> (N, D); W null is the identity (the dot product). Rows already prepared. Returns (N).
    /// </summary>
    public static Tensor DiagonalCrossEntropy(Tensor queries, Tensor keys, Tensor? weight, double temperature, long chunkSize)
    {
        using var scope = NewDisposeScope();
        var left = weight is null ? queries : queries.mm(weight);
        var scale = torch.tensor(1.0 / temperature, dtype: queries.dtype, device: queries.device);
        return InBatch.DiagonalCrossEntropy(left, keys.to_type(queries.dtype), scale, chunkSize).MoveToOuterDisposeScope();
    }
}
