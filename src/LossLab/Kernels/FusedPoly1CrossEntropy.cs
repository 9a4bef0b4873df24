using System.Buffers;
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
        Function.apply(input, target, new Options(epsilon, reduction));

    private sealed record Options(double Epsilon, Reduction Reduction);

    private sealed class Function : FusedLossFunction<Function>
    {
        public override string Name => "FusedPoly1CrossEntropy";

        public override Tensor forward(autograd.AutogradContext ctx, object[] vars)
        {
            var o = (Options)vars[2];
            var target = (Tensor)vars[1];
            using var x = ((Tensor)vars[0]).detach().contiguous();
            long n = x.shape[0];
            var grad = torch.empty_like(x);
            using var losses = torch.empty(new[] { n }, dtype: ScalarType.Float64);
            double scale = o.Reduction == Reduction.Mean ? 1.0 / n : 1.0;
            if (target.dtype.IsFloatingPoint())
            {
                using var t = target.detach().to_type(x.dtype).contiguous();
                Dispatch(x.dtype, new ProbabilityKernel(x, t, grad, losses, o.Epsilon, scale));
            }
            else
            {
                using var y = ClassTargets.Indices(target);
                Dispatch(x.dtype, new IndexKernel(x, y, grad, losses, o.Epsilon, scale));
            }
            SaveGradient(ctx, grad, vars.Length);
            return Reduced(losses, o.Reduction, n, x.dtype);
        }
    }

    private readonly struct IndexKernel(Tensor x, Tensor y, Tensor grad, Tensor losses, double epsilon, double scale) : ITypedKernel
    {
        public unsafe double Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            T* px = Native.Ptr<T>(x), pg = Native.Ptr<T>(grad);
            long* py = Native.Ptr<long>(y);
            double* pl = Native.Ptr<double>(losses);
            long n = x.shape[0];
            int c = checked((int)x.shape[1]);
            double eps = epsilon, s = scale;
            KernelRows.For(n, c, (lo, hi) =>
            {
                for (long i = lo; i < hi; i++)
                {
                    var row = new ReadOnlySpan<T>(px + i * c, c);
                    var g = new Span<T>(pg + i * c, c);
                    int t = (int)py[i];
                    double sum = SoftmaxRow.Exp(row, g, out double lse);
                    double logPt = double.CreateTruncating(row[t]) - lse;
                    double q = -ScalarMath.ExpM1(logPt);
                    pl[i] = -logPt + eps * q;
                    SoftmaxRow.TargetLogProbGradient(g, t, sum, -1 - eps * Math.Exp(logPt), q, s);
                }
            });
            return 0;
        }
    }

    private readonly struct ProbabilityKernel(Tensor x, Tensor target, Tensor grad, Tensor losses, double epsilon, double scale) : ITypedKernel
    {
        public unsafe double Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            T* px = Native.Ptr<T>(x), pt = Native.Ptr<T>(target), pg = Native.Ptr<T>(grad);
            double* pl = Native.Ptr<double>(losses);
            long n = x.shape[0];
            int c = checked((int)x.shape[1]);
            double eps = epsilon, s = scale;
            KernelRows.For(n, c, (lo, hi) =>
            {
                T[] rent = ArrayPool<T>.Shared.Rent(c);
                var v = rent.AsSpan(0, c);
                for (long i = lo; i < hi; i++)
                {
                    var row = new ReadOnlySpan<T>(px + i * c, c);
                    var t = new ReadOnlySpan<T>(pt + i * c, c);
                    var g = new Span<T>(pg + i * c, c);
                    double sum = SoftmaxRow.Exp(row, g, out double lse);
                    double total = double.CreateTruncating(TensorPrimitives.Sum(t));
                    double expected = double.CreateTruncating(TensorPrimitives.Dot(t, g)) / sum; // S = sum_c t_c p_c
                    pl[i] = total * lse - double.CreateTruncating(TensorPrimitives.Dot(t, row)) + eps * ((total - expected) + (1 - total));
                    // g_j = e_j (a - b t_j) - s t_j, a = s (Q + eps S) / sum, b = s eps / sum
                    TensorPrimitives.Multiply(t, T.CreateTruncating(-s * eps / sum), v);
                    TensorPrimitives.Add(v, T.CreateTruncating(s * (total + eps * expected) / sum), v);
                    TensorPrimitives.Multiply(g, v, g);
                    TensorPrimitives.MultiplyAdd(t, T.CreateTruncating(-s), g, g);
                }
                ArrayPool<T>.Shared.Return(rent);
            });
            return 0;
        }
    }
}
