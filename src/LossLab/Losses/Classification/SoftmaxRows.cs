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
    /// Class-index targets prepared for the row kernels: <c>valid</c> (the rows whose target is not
    /// <paramref name="ignoreIndex"/>), the same as 0/1 of <paramref name="dtype"/>, and int64 targets with the ignored
    /// rows pointing at class 0 (any valid class; their terms are multiplied or masked away).
    /// </summary>
    public static (Tensor Safe, Tensor Valid, Tensor ValidF) Targets(Tensor target, long ignoreIndex, ScalarType dtype)
    {
        var y = target.to_type(ScalarType.Int64);
        var valid = y.ne(ignoreIndex);
        return (torch.where(valid, y, torch.zeros_like(y)), valid, valid.to_type(dtype));
    }

    /// <summary>
    /// What the loss needs of a block of logits <paramref name="x"/> (R, V) besides its logsumexp: <c>x[i, y_i]</c>
    /// and, with label smoothing, <c>sum_c w[c] x[i, c] / V</c> (the row mean without class weights). The loss is
    /// invariant to shifting a row by a constant, so these may be taken from shifted logits together with the shifted
    /// logsumexp. Only (R)-sized results: no (R, V) temporary.
    /// </summary>
    public static (Tensor Picked, Tensor? Smooth) Pieces(Tensor x, Tensor safeTarget, double eps, Tensor? weight)
    {
        var picked = x.gather(1, safeTarget.unsqueeze(1)).squeeze(1);
        if (eps <= 0) return (picked, null);
        return (picked, weight is null ? x.mean(new long[] { 1 }) : x.mv(weight) / x.shape[1]);
    }

    /// <summary>
    /// Per-row class-index cross-entropy from the row logsumexp <paramref name="lse"/> (R) and the
    /// <see cref="Pieces"/> of the same logits: <c>(1 - eps) * wy * (lse - x[y]) + eps / V * sum_c w[c] (lse - x[c])</c>,
    /// 0 on rows that are not <paramref name="valid"/>.
    /// </summary>
    /// <param name="lse">The logits' logsumexp over dimension 1 (R).</param>
    /// <param name="pieces">Their <see cref="Pieces"/>.</param>
    /// <param name="valid">Whether each row counts (R), bool.</param>
    /// <param name="wy">The weight of each row's target class, 0 on rows that do not count (R); 1 without class weights.</param>
    /// <param name="eps">Label smoothing.</param>
    /// <param name="weight">Class weights (V), or null.</param>
    /// <param name="classes">V.</param>
    public static Tensor RowLoss(Tensor lse, (Tensor Picked, Tensor? Smooth) pieces, Tensor valid, Tensor wy, double eps, Tensor? weight, long classes)
    {
        using var scope = NewDisposeScope();
        var loss = (lse - pieces.Picked) * wy;
        if (pieces.Smooth is Tensor smooth)
        {
            var smoothLoss = weight is null ? lse - smooth : lse * (weight.sum() / classes) - smooth;
            loss = (1 - eps) * loss + eps * smoothLoss;
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
        Subtract(block, safeTarget, onTarget, uniform, weight);
    }

    /// <summary>
    /// <see cref="ToGradient"/> for a block that already holds <c>exp</c> of (shifted) logits, with its row sums
    /// <paramref name="sumExp"/>: the softmax is <c>block / sumExp</c>. In place, no (R, V) temporary.
    /// </summary>
    public static void ExpToGradient(Tensor block, Tensor sumExp, Tensor safeTarget, Tensor onSoftmax, Tensor onTarget, Tensor? uniform, Tensor? weight)
    {
        using var scope = NewDisposeScope();
        block.mul_((onSoftmax / sumExp).unsqueeze(1));
        Subtract(block, safeTarget, onTarget, uniform, weight);
    }

    private static void Subtract(Tensor block, Tensor safeTarget, Tensor onTarget, Tensor? uniform, Tensor? weight)
    {
        block.scatter_add_(1, safeTarget.unsqueeze(1), onTarget.neg().unsqueeze(1));
        if (uniform is null) return;
        if (weight is null) block.sub_(uniform.unsqueeze(1));
        else block.addr_(uniform, weight, alpha: -1);
    }
}
