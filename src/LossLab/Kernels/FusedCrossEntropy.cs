using System.Buffers;
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
        Function.apply(input, target, new Options(ClassTargets.Weights(weight), ignoreIndex, reduction, smoothing, consistent, probabilities));

    private sealed record Options(double[]? Weight, long IgnoreIndex, Reduction Reduction, double Smoothing, bool Consistent, bool Probabilities);

    private sealed class Function : FusedLossFunction<Function>
    {
        public override string Name => "FusedCrossEntropy";

        public override Tensor forward(autograd.AutogradContext ctx, object[] vars)
        {
            var o = (Options)vars[2];
            using var x = ((Tensor)vars[0]).detach().contiguous();
            long n = x.shape[0];
            var grad = torch.empty_like(x);
            using var losses = torch.empty(new[] { n }, dtype: ScalarType.Float64);
            double denominator;
            if (o.Probabilities)
            {
                using var t = ((Tensor)vars[1]).detach().to_type(x.dtype).contiguous();
                denominator = n;
                Dispatch(x.dtype, new ProbabilityKernel(x, t, grad, losses, o, o.Reduction == Reduction.Mean ? 1.0 / n : 1.0));
            }
            else
            {
                using var y = ClassTargets.Indices((Tensor)vars[1]);
                unsafe { denominator = ClassTargets.KeptWeight(Native.Ptr<long>(y), n, o.IgnoreIndex, o.Weight); }
                Dispatch(x.dtype, new IndexKernel(x, y, grad, losses, o, o.Reduction == Reduction.Mean ? 1.0 / denominator : 1.0));
            }
            SaveGradient(ctx, grad, vars.Length);
            return Reduced(losses, o.Reduction, denominator, x.dtype);
        }
    }

    /// <summary>Class-index targets.</summary>
    private readonly struct IndexKernel(Tensor x, Tensor y, Tensor grad, Tensor losses, Options o, double scale) : ITypedKernel
    {
        public unsafe double Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            T* px = Native.Ptr<T>(x), pg = Native.Ptr<T>(grad);
            long* py = Native.Ptr<long>(y);
            double* pl = Native.Ptr<double>(losses);
            long n = x.shape[0];
            int c = checked((int)x.shape[1]);
            double eps = o.Smoothing, s = scale;
            long ignore = o.IgnoreIndex;
            double[]? w = o.Weight;
            bool consistent = o.Consistent;
            // PyTorch's weighted smoothing term adds -eps/C * w_j to every entry: a per-class vector, the same for every row
            T[]? bias = null;
            T[]? wT = null;
            double wSum = 0;
            if (w is not null && !consistent && eps > 0)
            {
                bias = w.Select(v => T.CreateTruncating(-s * eps / c * v)).ToArray();
                wT = w.Select(T.CreateTruncating).ToArray();
                wSum = w.Sum();
            }
            KernelRows.For(n, c, (lo, hi) =>
            {
                for (long i = lo; i < hi; i++)
                {
                    var row = new ReadOnlySpan<T>(px + i * c, c);
                    var g = new Span<T>(pg + i * c, c);
                    long t = py[i];
                    if (t == ignore)
                    {
                        g.Clear();
                        pl[i] = 0;
                        continue;
                    }
                    double wy = w is null ? 1.0 : w[t];
                    double sum = SoftmaxRow.Exp(row, g, out double lse);
                    double nll = lse - double.CreateTruncating(row[(int)t]);
                    double loss = (1 - eps) * wy * nll, a = wy, b = 0;
                    if (eps > 0)
                    {
                        if (wT is null)
                        {
                            // unweighted, or the consistent form: w_y * eps/C * sum_c (lse - x_c)
                            double smooth = c * lse - double.CreateTruncating(TensorPrimitives.Sum(row));
                            loss += eps / c * wy * smooth;
                            b = -s * eps / c * wy;
                        }
                        else
                        {
                            loss += eps / c * (wSum * lse - double.CreateTruncating(TensorPrimitives.Dot(row, wT)));
                            a = (1 - eps) * wy + eps * wSum / c;
                        }
                    }
                    pl[i] = loss;
                    if (bias is null) SoftmaxRow.ScaleShift(g, s * a / sum, b);
                    else TensorPrimitives.MultiplyAdd(g, T.CreateTruncating(s * a / sum), bias, g);
                    g[(int)t] -= T.CreateTruncating(s * (1 - eps) * wy);
                }
            });
            return 0;
        }
    }

    /// <summary>Class-probability targets (one row of targets read beside each row of logits).</summary>
    private readonly struct ProbabilityKernel(Tensor x, Tensor target, Tensor grad, Tensor losses, Options o, double scale) : ITypedKernel
    {
        public unsafe double Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            T* px = Native.Ptr<T>(x), pt = Native.Ptr<T>(target), pg = Native.Ptr<T>(grad);
            double* pl = Native.Ptr<double>(losses);
            long n = x.shape[0];
            int c = checked((int)x.shape[1]);
            double eps = o.Smoothing, s = scale;
            if (o.Weight is null)
            {
                // v = (1 - eps) t + eps/C needs no buffer: U = (1 - eps) Q + eps, sum_c v_c x_c = (1 - eps) t.x + eps/C sum x
                KernelRows.For(n, c, (lo, hi) =>
                {
                    for (long i = lo; i < hi; i++)
                    {
                        var row = new ReadOnlySpan<T>(px + i * c, c);
                        var t = new ReadOnlySpan<T>(pt + i * c, c);
                        var g = new Span<T>(pg + i * c, c);
                        double sum = SoftmaxRow.Exp(row, g, out double lse);
                        double u = (1 - eps) * double.CreateTruncating(TensorPrimitives.Sum(t)) + eps;
                        double vx = (1 - eps) * double.CreateTruncating(TensorPrimitives.Dot(t, row));
                        if (eps > 0) vx += eps / c * double.CreateTruncating(TensorPrimitives.Sum(row));
                        pl[i] = u * lse - vx;
                        SoftmaxRow.ScaleShift(g, s * u / sum, -s * eps / c);
                        TensorPrimitives.MultiplyAdd(t, T.CreateTruncating(-s * (1 - eps)), g, g);
                    }
                });
                return 0;
            }
            bool consistent = o.Consistent && eps > 0;
            // v = t * w1 + w2: PyTorch's w ((1 - eps) t + eps/C), or the consistent (1 - eps) w t
            double[] w = o.Weight;
            T[] w1 = w.Select(v => T.CreateTruncating((1 - eps) * v)).ToArray();
            T[] w2 = w.Select(v => T.CreateTruncating(consistent ? 0 : eps / c * v)).ToArray();
            T[]? wT = consistent ? w.Select(T.CreateTruncating).ToArray() : null;
            KernelRows.For(n, c, (lo, hi) =>
            {
                T[] rent = ArrayPool<T>.Shared.Rent(c);
                var v = rent.AsSpan(0, c);
                for (long i = lo; i < hi; i++)
                {
                    var row = new ReadOnlySpan<T>(px + i * c, c);
                    var t = new ReadOnlySpan<T>(pt + i * c, c);
                    var g = new Span<T>(pg + i * c, c);
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
                    pl[i] = loss;
                    SoftmaxRow.ScaleShift(g, s * u / sum, -s * k);
                    TensorPrimitives.MultiplyAdd(v, T.CreateTruncating(-s), g, g);
                }
                ArrayPool<T>.Shared.Return(rent);
            });
            return 0;
        }
    }
}
