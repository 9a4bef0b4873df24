using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Kernels;

/// <summary>
/// Poly-1 cross-entropy (<see cref="Losses.poly1_cross_entropy"/>) as one fused CPU kernel, with class indices or
/// class probabilities, any epsilon and each reduction. Per row: the maximum, <c>exp(x - max)</c> into the gradient
/// buffer and its sum, then the buffer scaled into the gradient.
/// </summary>
/// <remarks>
/// <para><b>Class indices.</b> With <c>L = log p_t = x_t - lse</c> and <c>q = 1 - p_t = -expm1(L)</c>, the loss is
/// <c>l = -L + eps q</c>, so <c>D = dl/dL = -1 - eps p_t</c> (<c>dq/dL = -p_t</c>) and, with
/// <c>dL/dx_j = delta_jt - p_j</c>, <c>dl/dx_j = D (delta_jt - p_j)</c>: <c>-D p_j</c> off the target and
/// <c>D q</c> on it.</para>
/// <para><b>Class probabilities</b> t (optax's form): with <c>Q = sum_c t_c</c> and <c>S = sum_c t_c p_c</c>,
/// <c>l = -sum_c t_c L_c + eps (sum_c t_c (1 - p_c) + 1 - Q) = Q lse - sum_c t_c x_c + eps (1 - S)</c>. From
/// <c>d(-sum_c t_c L_c)/dx_j = Q p_j - t_j</c> and <c>dS/dx_j = sum_c t_c p_c (delta_cj - p_j) = p_j (t_j - S)</c>:
/// <c>dl/dx_j = p_j (Q + eps S) - t_j (1 + eps p_j)</c>.</para>
/// <para>The mean divides by N, folded into the saved gradient. Per-row scalars are computed in double.</para>
/// </remarks>
internal static class FusedPoly1CrossEntropy
{
    /// <summary>Whether the kernel applies to these (already validated) arguments: fused kernels on, CPU float32 or
    /// float64 (N, C) logits with N &gt; 0, and a target that wants no gradient.</summary>
    public static bool Applies(Tensor input, Tensor target) => FusableInputs.Logits(input) && FusableInputs.Constant(target);

    /// <summary>The loss (reduced as asked) with the fused gradient attached; the arguments are those of
    /// <see cref="Losses.poly1_cross_entropy"/>.</summary>
    public static Tensor Apply(Tensor input, Tensor target, double epsilon, Reduction reduction) =>
        Function.apply(input, target, new Options(epsilon, reduction),
            (Func<Tensor, Tensor>)(x => Losses.poly1_cross_entropy(x, target, epsilon, reduction)));

    private sealed record Options(double Epsilon, Reduction Reduction);

    private sealed class Function : FusedLossFunction<Function>
    {
        public override string Name => "FusedPoly1CrossEntropy";

        public override Tensor forward(autograd.AutogradContext ctx, object[] vars)
        {
            var o = (Options)vars[2];
            var target = (Tensor)vars[1];
            using var b = new RowBuffers((Tensor)vars[0]);
            double scale = o.Reduction == Reduction.Mean ? 1.0 / b.Rows : 1.0;
            if (target.dtype.IsFloatingPoint())
            {
                using var t = target.detach().to_type(b.X.dtype).contiguous();
                Dispatch(b.X.dtype, new ProbabilityKernel(b, t, o.Epsilon, scale));
            }
            else
            {
                using var y = ClassTargets.Indices(target);
                Dispatch(b.X.dtype, new IndexKernel(b, y, o.Epsilon, scale));
            }
            SaveGradient(ctx, vars, b.Grad);
            return Reduced(b.Losses, o.Reduction, b.Rows, b.X.dtype);
        }
    }

    private readonly struct IndexKernel(RowBuffers b, Tensor y, double epsilon, double scale) : ITypedKernel
    {
        public double Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            double eps = epsilon, s = scale;
            ClassTargets.ForEachRow<T>(b, y, null, (row, g, t, _) =>
            {
                double sum = SoftmaxRow.Exp(row, g, out double lse);
                double logPt = double.CreateTruncating(row[t]) - lse;
                double q = -ScalarMath.ExpM1(logPt);
                SoftmaxRow.TargetLogProbGradient(g, t, sum, -1 - eps * Math.Exp(logPt), q, s);
                return -logPt + eps * q;
            });
            return 0;
        }
    }

    private readonly struct ProbabilityKernel(RowBuffers b, Tensor target, double epsilon, double scale) : ITypedKernel
    {
        public double Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            int c = b.Classes;
            double eps = epsilon, s = scale;
            ClassTargets.ForEachRow<T>(b, target, (row, t, g) =>
            {
                var v = RowScratch<T>.Get(c).AsSpan(0, c);
                double sum = SoftmaxRow.Exp(row, g, out double lse);
                double total = double.CreateTruncating(TensorPrimitives.Sum(t));
                double expected = double.CreateTruncating(TensorPrimitives.Dot(t, g)) / sum; // S = sum_c t_c p_c
                // g_j = e_j (a - b t_j) - s t_j, a = s (Q + eps S) / sum, b = s eps / sum
                TensorPrimitives.Multiply(t, T.CreateTruncating(-s * eps / sum), v);
                TensorPrimitives.Add(v, T.CreateTruncating(s * (total + eps * expected) / sum), v);
                TensorPrimitives.Multiply(g, v, g);
                TensorPrimitives.MultiplyAdd(t, T.CreateTruncating(-s), g, g);
                return total * lse - double.CreateTruncating(TensorPrimitives.Dot(t, row)) + eps * ((total - expected) + (1 - total));
            });
            return 0;
        }
    }
}
