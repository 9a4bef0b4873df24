using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// The row-wise pieces shared by the chunked cross-entropies (<see cref="Losses.chunked_cross_entropy"/> and
/// <see cref="Losses.linear_cross_entropy"/>): how many rows a chunk takes, the per-row loss from the rows' logsumexp,
/// and the in-place turn of a block of logits into the block of the gradient.
/// </summary>
internal static class SoftmaxRows
{
    /// <summary>The bytes that one (chunk, V) block of logits takes when the chunk size is chosen automatically.</summary>
    public const long BlockBytes = 32L << 20;

    /// <summary>
    /// Rows per chunk: <paramref name="requested"/> when positive, otherwise as many as fit a block of
    /// <see cref="BlockBytes"/> (at least 1); never more than <paramref name="n"/> (at least 1).
    /// </summary>
    public static long ChunkRows(long n, long classes, ScalarType dtype, long requested)
    {
        long cap = Math.Max(n, 1);
        if (requested > 0) return Math.Min(requested, cap);
        long bytes = dtype == ScalarType.Float64 ? 8 : 4;   // half types are computed in float32
        return Math.Clamp(BlockBytes / Math.Max(1, classes * bytes), 1, cap);
    }

    /// <summary>
    /// Per-row class-index cross-entropy from logits <paramref name="x"/> (R, V) and their row logsumexp
    /// <paramref name="lse"/> (R): <c>(1 - eps) * wy * (lse - x[y]) + valid * eps / V * sum_c w[c] (lse - x[c])</c>,
    /// 0 on rows that are not <paramref name="valid"/>. Only (R)-sized temporaries: no (R, V) block is made.
    /// </summary>
    /// <param name="x">Logits (R, V).</param>
    /// <param name="lse">Their logsumexp over dimension 1 (R).</param>
    /// <param name="safeTarget">Class indices (R), int64, with ignored rows pointing at any valid class.</param>
    /// <param name="valid">Whether each row counts (R), bool.</param>
    /// <param name="wy">The weight of each row's target class, 0 on rows that do not count (R); 1 without class weights.</param>
    /// <param name="eps">Label smoothing.</param>
    /// <param name="weight">Class weights (V), or null.</param>
    public static Tensor RowLoss(Tensor x, Tensor lse, Tensor safeTarget, Tensor valid, Tensor wy, double eps, Tensor? weight)
    {
        using var scope = NewDisposeScope();
        var loss = (lse - x.gather(1, safeTarget.unsqueeze(1)).squeeze(1)) * wy;
        if (eps > 0)
        {
            // eps / V * sum_c w[c] (lse - x[c]): eps * (lse - mean x) without weights
            var smooth = weight is null
                ? lse - x.mean(new long[] { 1 })
                : (lse * weight.sum() - x.mv(weight)) / x.shape[1];
            loss = (1 - eps) * loss + eps * smooth;
        }
        return torch.where(valid, loss, torch.zeros_like(loss)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Turns a block of logits into its gradient, in place: <c>g[i, j] = a[i] * softmax(x)[i, j] - b[i] * [j = y_i] -
    /// u[i] * w[j]</c> (w = 1 without class weights). The softmax is <c>exp(x - lse)</c> from the saved logsumexp.
    /// No (R, V) temporary is made.
    /// </summary>
    /// <param name="block">Logits (R, V); overwritten with the gradient.</param>
    /// <param name="lse">Row logsumexp (R).</param>
    /// <param name="safeTarget">Class indices (R), int64.</param>
    /// <param name="onSoftmax">a (R): the factor of each row's softmax.</param>
    /// <param name="onTarget">b (R): subtracted at each row's target class.</param>
    /// <param name="uniform">u (R): subtracted (times the class weight) from every class, or null (label smoothing off).</param>
    /// <param name="weight">Class weights (V), or null.</param>
    public static void ToGradient(Tensor block, Tensor lse, Tensor safeTarget, Tensor onSoftmax, Tensor onTarget, Tensor? uniform, Tensor? weight)
    {
        using var scope = NewDisposeScope();
        block.sub_(lse.unsqueeze(1)).exp_().mul_(onSoftmax.unsqueeze(1));
        block.scatter_add_(1, safeTarget.unsqueeze(1), onTarget.neg().unsqueeze(1));
        if (uniform is null) return;
        if (weight is null) block.sub_(uniform.unsqueeze(1));
        else block.addr_(uniform, weight, alpha: -1);
    }
}
