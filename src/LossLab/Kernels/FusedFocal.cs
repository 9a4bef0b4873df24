using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Kernels;

/// <summary>
/// The multi-class focal loss (<see cref="Losses.focal_loss"/>) as one fused CPU kernel, with every option of the
/// composite form: gamma, class weights (alpha), <c>ignore_index</c> and each reduction. Per row: the maximum,
/// <c>exp(x - max)</c> into the gradient buffer and its sum, then the buffer scaled into the gradient.
/// </summary>
/// <remarks>
/// <para><b>Gradient.</b> With <c>L = log p_t = x_t - lse</c>, <c>q = 1 - p_t = -expm1(L)</c> and the per-sample loss
/// <c>l = -q^gamma L</c>: <c>dq/dL = -p_t</c>, so <c>D = dl/dL = gamma q^(gamma - 1) p_t L - q^gamma</c>, and since
/// <c>dL/dx_j = delta_jt - p_j</c>, <c>dl/dx_j = D (delta_jt - p_j)</c>: <c>-D p_j</c> off the target and
/// <c>D q</c> on it (q from expm1, so no cancellation when p_t is near 1). gamma = 0 gives <c>D = -1</c>
/// (cross-entropy). Where q is 0 (p_t rounds to 1) the composite's modulator is 0 with a zero derivative, so
/// <c>D = 0</c> there (for every gamma &gt; 0, also below 1, where <c>q^(gamma - 1)</c> would be infinite).</para>
/// <para>Each kept row carries its target's weight <c>w_y</c> (1 without weights): loss <c>w_y l</c>, gradient
/// times <c>w_y</c>; ignored rows have loss 0 and gradient 0. Mean divides by <c>sum w_y</c> over the kept rows
/// (NaN when that is 0, with a zero gradient), folded into the saved gradient.</para>
/// <para>L, q, the modulator and D are computed in double per row; the row's exponentials in the input's dtype.</para>
/// </remarks>
internal static class FusedFocal
{
    /// <summary>Whether the kernel applies to these (already validated) arguments: fused kernels on, CPU float32 or
    /// float64 (N, C) logits with N &gt; 0, and weights (if any) that want no gradient.</summary>
    public static bool Applies(Tensor input, Tensor? weight) => FusableInputs.Logits(input) && FusableInputs.Constant(weight);

    /// <summary>The loss (reduced as asked) with the fused gradient attached; the arguments are those of
    /// <see cref="Losses.focal_loss"/>.</summary>
    public static Tensor Apply(Tensor input, Tensor target, double gamma, Tensor? weight, long ignoreIndex, Reduction reduction) =>
        Function.apply(input, target, new Options(gamma, ClassTargets.Weights(weight), ignoreIndex, reduction),
            (Func<Tensor, Tensor>)(x => Losses.focal_loss(x, target, gamma, weight, ignoreIndex, reduction)));

    private sealed record Options(double Gamma, double[]? Weight, long IgnoreIndex, Reduction Reduction);

    private sealed class Function : FusedLossFunction<Function>
    {
        public override string Name => "FusedFocal";

        public override Tensor forward(autograd.AutogradContext ctx, object[] vars)
        {
            var o = (Options)vars[2];
            using var b = new RowBuffers((Tensor)vars[0]);
            using var y = ClassTargets.Indices((Tensor)vars[1]);
            double kept = ClassTargets.KeptWeight(y, o.IgnoreIndex, o.Weight);
            Dispatch(b.X.dtype, new Kernel(b, y, o, o.Reduction == Reduction.Mean ? 1.0 / kept : 1.0));
            SaveGradient(ctx, vars, b.Grad);
            return Reduced(b.Losses, o.Reduction, kept, b.X.dtype);
        }
    }

    private readonly struct Kernel(RowBuffers b, Tensor y, Options o, double scale) : ITypedKernel
    {
        public double Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            double gamma = o.Gamma, s = scale;
            double[]? w = o.Weight;
            ClassTargets.ForEachRow<T>(b, y, o.IgnoreIndex, (row, g, t, _) =>
            {
                double wy = w is null ? 1.0 : w[t];
                double sum = SoftmaxRow.Exp(row, g, out double lse);
                double logPt = double.CreateTruncating(row[t]) - lse;
                double q = Math.Max(0, -ScalarMath.ExpM1(logPt));
                double modulator, d;
                if (gamma == 0) { modulator = 1; d = -1; }
                else if (q > 0)
                {
                    modulator = Math.Pow(q, gamma);
                    d = gamma * (modulator / q) * Math.Exp(logPt) * logPt - modulator;
                }
                else { modulator = 0; d = 0; }
                SoftmaxRow.TargetLogProbGradient(g, t, sum, d, q, s * wy);
                return -wy * modulator * logPt;
            });
            return 0;
        }
    }
}
