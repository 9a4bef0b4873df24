using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Kernels;

/// <summary>
/// Cross-entropy (<see cref="Losses.cross_entropy"/>) as one fused CPU kernel: class indices or class probabilities,
/// class weights, <c>ignore_index</c>, label smoothing and <c>consistent_smoothing_weights</c>. For each row, the
/// maximum, <c>exp(x - max)</c> written straight into the gradient buffer, its sum, then the buffer scaled into the
/// gradient. The logits are read from memory once and the gradient written once (the row stays in cache between the
/// passes); backward returns the saved gradient, scaled only when the incoming gradient is not 1. Rows are split
/// across cores.
/// </summary>
/// <remarks>
/// <para><b>Gradients.</b> With <c>p = softmax(x)</c>, <c>L_c = log p_c = x_c - lse</c> and
/// <c>dL_c/dx_j = delta_cj - p_j</c>, eps the smoothing, w the class weights (1 without), <c>W = sum_c w_c</c>:</para>
/// <para>Class index y, PyTorch's form <c>l = (1 - eps) w_y (-L_y) + eps/C sum_c w_c (-L_c)</c>:
/// <c>dl/dx_j = p_j ((1 - eps) w_y + eps W / C) - eps/C w_j - (1 - eps) w_y delta_jy</c>; its value is
/// <c>(1 - eps) w_y (lse - x_y) + eps/C (W lse - sum_c w_c x_c)</c>. The consistent form
/// <c>l = w_y ((1 - eps)(-L_y) + eps/C sum_c (-L_c))</c> gives <c>w_y (p_j - eps/C - (1 - eps) delta_jy)</c>.
/// Ignored rows: loss 0, gradient 0; the mean divides by <c>sum w_y</c> over the kept rows (NaN when 0, with a zero
/// gradient, as the composite).</para>
/// <para>Class probabilities t: <c>l = -sum_c v_c x_c + U lse - k sum_c x_c</c> with, in PyTorch's form,
/// <c>v_c = w_c ((1 - eps) t_c + eps/C)</c>, <c>U = sum_c v_c</c>, <c>k = 0</c>; in the consistent form
/// <c>v_c = (1 - eps) w_c t_c</c>, <c>U = S = sum_c w_c t_c</c>, <c>k = S eps / C</c>. Then
/// <c>dl/dx_j = U p_j - v_j - k</c>. The mean divides by N.</para>
/// <para>Each row's loss is accumulated in double; the gradient is written in the input's dtype.</para>
/// </remarks>
internal static class FusedCrossEntropy
{
    /// <summary>Whether the kernel applies to these (already validated) arguments: fused kernels on, CPU float32 or
    /// float64 (N, C) logits with N &gt; 0, class indices (N) or probabilities (N, C), and no gradient wanted for the
    /// target or the weights. Otherwise the composite form is used.</summary>
    public static bool Applies(Tensor input, Tensor target, Tensor? weight, bool probabilities)
    {
        if (!FusableInputs.Logits(input) || !FusableInputs.Constant(weight)) return false;
        return probabilities ? target.dim() == 2 && FusableInputs.Constant(target) : target.dim() == 1;
    }

    /// <summary>The loss (reduced as asked) with the fused gradient attached; the arguments are those of
    /// <see cref="Losses.cross_entropy"/>.</summary>
    public static Tensor Apply(Tensor input, Tensor target, Tensor? weight, long ignoreIndex, Reduction reduction, double smoothing, bool consistent, bool probabilities) =>
        Function.apply(input, target, new Options(ClassTargets.Weights(weight), ignoreIndex, reduction, smoothing, consistent, probabilities),
            (Func<Tensor, Tensor>)(x => Losses.cross_entropy(x, target, weight, ignoreIndex, reduction, smoothing, consistent)));

    private sealed record Options(double[]? Weight, long IgnoreIndex, Reduction Reduction, double Smoothing, bool Consistent, bool Probabilities);

    private sealed class Function : FusedLossFunction<Function>
    {
        public override string Name => "FusedCrossEntropy";

        public override Tensor forward(autograd.AutogradContext ctx, object[] vars)
        {
            var o = (Options)vars[2];
            using var b = new RowBuffers((Tensor)vars[0]);
            double denominator;
            if (o.Probabilities)
            {
                using var t = ((Tensor)vars[1]).detach().to_type(b.X.dtype).contiguous();
                denominator = b.Rows;
                Dispatch(b.X.dtype, new ProbabilityKernel(b, t, o, o.Reduction == Reduction.Mean ? 1.0 / denominator : 1.0));
            }
            else
            {
                using var y = ClassTargets.Indices((Tensor)vars[1]);
                denominator = ClassTargets.KeptWeight(y, o.IgnoreIndex, o.Weight);
                Dispatch(b.X.dtype, new IndexKernel(b, y, o, o.Reduction == Reduction.Mean ? 1.0 / denominator : 1.0));
            }
            SaveGradient(ctx, vars, b.Grad);
            return Reduced(b.Losses, o.Reduction, denominator, b.X.dtype);
        }
    }

    /// <summary>Class-index targets.</summary>
    private readonly struct IndexKernel(RowBuffers b, Tensor y, Options o, double scale) : ITypedKernel
    {
        public double Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            int c = b.Classes;
            double eps = o.Smoothing, s = scale;
            double[]? w = o.Weight;
            // PyTorch's weighted smoothing term adds -eps/C * w_j to every entry: a per-class vector, the same for every row
            T[]? bias = null, wT = null;
            double wSum = 0;
            if (w is not null && !o.Consistent && eps > 0)
            {
                bias = w.Select(v => T.CreateTruncating(-s * eps / c * v)).ToArray();
                wT = w.Select(T.CreateTruncating).ToArray();
                wSum = w.Sum();
            }
            ClassTargets.ForEachRow<T>(b, y, o.IgnoreIndex, (row, g, t, _) =>
            {
                double wy = w is null ? 1.0 : w[t];
                double sum = SoftmaxRow.Exp(row, g, out double lse);
                double loss = (1 - eps) * wy * (lse - double.CreateTruncating(row[t])), a = wy, shift = 0;
                if (eps > 0)
                {
                    if (wT is null)
                    {
                        // unweighted, or the consistent form: w_y * eps/C * sum_c (lse - x_c)
                        loss += eps / c * wy * (c * lse - double.CreateTruncating(TensorPrimitives.Sum(row)));
                        shift = -s * eps / c * wy;
                    }
                    else
                    {
                        loss += eps / c * (wSum * lse - double.CreateTruncating(TensorPrimitives.Dot(row, wT)));
                        a = (1 - eps) * wy + eps * wSum / c;
                    }
                }
                if (bias is null) SoftmaxRow.ScaleShift(g, s * a / sum, shift);
                else TensorPrimitives.MultiplyAdd(g, T.CreateTruncating(s * a / sum), bias, g);
                g[t] -= T.CreateTruncating(s * (1 - eps) * wy);
                return loss;
            });
            return 0;
        }
    }

    /// <summary>Class-probability targets (one row of targets read beside each row of logits).</summary>
    private readonly struct ProbabilityKernel(RowBuffers b, Tensor target, Options o, double scale) : ITypedKernel
    {
        public double Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            int c = b.Classes;
            double eps = o.Smoothing, s = scale;
            if (o.Weight is null)
            {
                // v = (1 - eps) t + eps/C needs no buffer: U = (1 - eps) Q + eps, sum_c v_c x_c = (1 - eps) t.x + eps/C sum x
                ClassTargets.ForEachRow<T>(b, target, (row, t, g) =>
                {
                    double sum = SoftmaxRow.Exp(row, g, out double lse);
                    double u = (1 - eps) * double.CreateTruncating(TensorPrimitives.Sum(t)) + eps;
                    double vx = (1 - eps) * double.CreateTruncating(TensorPrimitives.Dot(t, row));
                    if (eps > 0) vx += eps / c * double.CreateTruncating(TensorPrimitives.Sum(row));
                    SoftmaxRow.ScaleShift(g, s * u / sum, -s * eps / c);
                    TensorPrimitives.MultiplyAdd(t, T.CreateTruncating(-s * (1 - eps)), g, g);
                    return u * lse - vx;
                });
                return 0;
            }
            bool consistent = o.Consistent && eps > 0;
            // v = t * w1 + w2: PyTorch's w ((1 - eps) t + eps/C), or the consistent (1 - eps) w t
            double[] w = o.Weight;
            T[] w1 = w.Select(v => T.CreateTruncating((1 - eps) * v)).ToArray();
            T[] w2 = w.Select(v => T.CreateTruncating(consistent ? 0 : eps / c * v)).ToArray();
            T[]? wT = consistent ? w.Select(T.CreateTruncating).ToArray() : null;
            ClassTargets.ForEachRow<T>(b, target, (row, t, g) =>
            {
                var v = RowScratch<T>.Get(c).AsSpan(0, c);
                TensorPrimitives.MultiplyAdd(t, w1, w2, v);
                double sum = SoftmaxRow.Exp(row, g, out double lse);
                double u = double.CreateTruncating(TensorPrimitives.Sum<T>(v)), k = 0;
                double loss = u * lse - double.CreateTruncating(TensorPrimitives.Dot(v, row));
                if (wT is not null)
                {
                    double sw = double.CreateTruncating(TensorPrimitives.Dot(t, wT));
                    u = sw;
                    k = sw * eps / c;
                    loss = sw * lse - double.CreateTruncating(TensorPrimitives.Dot(v, row)) - k * double.CreateTruncating(TensorPrimitives.Sum(row));
                }
                SoftmaxRow.ScaleShift(g, s * u / sum, -s * k);
                TensorPrimitives.MultiplyAdd(v, T.CreateTruncating(-s), g, g);
                return loss;
            });
            return 0;
        }
    }
}
