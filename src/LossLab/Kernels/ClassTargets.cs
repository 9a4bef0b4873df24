using static TorchSharp.torch;

namespace LossLab.Kernels;

/// <summary>
/// Class-index targets as the row kernels read them: int64 values, per-class weights as doubles, and the sum of the
/// kept rows' weights (what a weighted mean divides by), computed in a short pass over the targets before the rows.
/// </summary>
internal static class ClassTargets
{
    /// <summary>The targets as a contiguous int64 tensor (a copy only when they are not already).</summary>
    public static Tensor Indices(Tensor target) => target.to_type(ScalarType.Int64).contiguous();

    /// <summary>Per-class weights as doubles, or null without weights.</summary>
    public static double[]? Weights(Tensor? weight) =>
        weight is null ? null : weight.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    /// <summary>The sum over rows whose target is not <paramref name="ignoreIndex"/> of the target's weight (1 without weights).</summary>
    public static unsafe double KeptWeight(long* y, long n, long ignoreIndex, double[]? weight)
    {
        double total = 0;
        for (long i = 0; i < n; i++)
        {
            long t = y[i];
            if (t != ignoreIndex) total += weight is null ? 1.0 : weight[t];
        }
        return total;
    }
}
