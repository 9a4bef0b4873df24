using System.Numerics;
using System.Runtime.CompilerServices;
using LossLab.Autograd;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Kernels;

/// <summary>
/// IQ Loss (<see cref="Losses.iq_loss"/>) as one fused CPU kernel, for every divergence and option of the composite
/// form (the chi2 coefficient and scope, the reverse-KL forms, the shifted Hellinger activation, the temperature, each
/// reduction) on 2-d logits. Per row: the rewards (for the activations other than the identity, with their
/// derivatives, in one vectorised pass), the maximum, <c>exp((r - max) / tau)</c> into the gradient buffer and its
/// sum, then the buffer scaled into the gradient.
/// </summary>
/// <remarks>
/// <para><b>Gradient of the surrogate.</b> Per sample the composite computes
/// <c>l = -sg(phi'(r_y)) r_y + tau logsumexp(r / tau) [+ chi2]</c> with <c>r = act(x)</c> element-wise and phi'
/// held constant. So, with <c>p = softmax(r / tau)</c> (<c>d tau logsumexp(r / tau) / dr_j = p_j</c>):
/// <c>dl/dr_j = p_j - phi'_y delta_jy + dchi2/dr_j</c>, where the chi2 term <c>k mean_c r_c^2</c> gives
/// <c>2 k r_j / C</c> and <c>k r_y^2</c> gives <c>2 k r_y delta_jy</c> (<c>k = alpha/4</c>, or <c>1/(4 alpha)</c>
/// for IQ-Learn's coefficient); and <c>dl/dx_j = act'(x_j) dl/dr_j</c>, with <c>act' = 1</c> (chi, kl,
/// pearson_chi2), <c>sigmoid(x + shift)</c> for the softplus rewards (js, hellinger, forward_kl, neyman_chi2) and
/// <c>(1 - tanh^2 x) / 2 = 1/2 - 2 r^2</c> for total variation.</para>
/// <para><b>Held weights.</b> <c>phi'(r_y)</c> is computed before the rows from the targets' logits in float64 by the
/// scalar forms of the composite's <see cref="FDivergence.Reward"/> and <see cref="FDivergence.PhiPrimeOf"/> (reverse KL's forms:
/// <c>exp(-r)</c> or <c>exp(-r - 1)</c> with the exponent capped as the composite caps it, or
/// <c>N softmax(-r_y over the batch)</c>), so the batch-biased form fuses too.</para>
/// <para><b>Reductions.</b> Mean's 1/N is folded into the saved gradient. kl_form fixed passes the loss through
/// <c>log(1 + loss)</c>: per row for reduction none (the row's gradient times <c>1 / (1 + l_i)</c>), or on the
/// reduced loss (backward multiplies by <c>1 / (1 + L)</c>).</para>
/// <para>The fused form holds phi' without <see cref="Surrogate.Hold"/>: while a <see cref="HeldTermRecorder"/> is
/// recording or replaying (gradient checks), and when the terms are asked for, the composite form runs instead.</para>
/// </remarks>
internal static class FusedIq
{
    /// <summary>Whether the kernel applies: fused kernels on, CPU float32 or float64 (N, C) logits with N &gt; 0, and no
    /// held-term recorder active on this thread.</summary>
    public static bool Applies(Tensor input) => FusableInputs.Logits(input) && Surrogate.Current is null;

    /// <summary>The loss (reduced as asked) with the fused gradient attached; the arguments are those of
    /// <see cref="Losses.iq_loss"/>, already validated.</summary>
    public static Tensor Apply(Tensor input, Tensor target, Divergence divergence, double alpha, Reduction reduction, IqOptions options) =>
        Function.apply(input, target, new Options(divergence, alpha, reduction, options),
            (Func<Tensor, Tensor>)(x => Losses.iq_loss(x, target, divergence, alpha, reduction, options)));

    private sealed record Options(Divergence Divergence, double Alpha, Reduction Reduction, IqOptions Iq)
    {
        /// <summary>The chi2 term's coefficient k (0 when there is none).</summary>
        public double Chi2 => Losses.IqChi2Factor(Divergence, Alpha, Iq);

        public bool Log1P => Divergence == Divergence.ReverseKl && Iq.KlForm == KlForm.Fixed;
    }

    private sealed class Function : FusedLossFunction<Function>
    {
        public override string Name => "FusedIq";

        public override Tensor forward(autograd.AutogradContext ctx, object[] vars)
        {
            var o = (Options)vars[2];
            using var b = new RowBuffers((Tensor)vars[0]);
            using var y = ClassTargets.Indices((Tensor)vars[1]);
            var (ry, phi) = HeldWeights(b.X, y, o);
            double scale = o.Reduction == Reduction.Mean ? 1.0 / b.Rows : 1.0;
            Dispatch(b.X.dtype, new Kernel(b, y, ry, phi, o, scale));
            if (!o.Log1P || o.Reduction == Reduction.None)
            {
                SaveGradient(ctx, vars, b.Grad);
                return Reduced(b.Losses, o.Reduction, b.Rows, b.X.dtype);
            }
            using var sum = b.Losses.sum();
            double total = sum.item<double>() * scale;
            SaveGradient(ctx, vars, b.Grad, 1 / (1 + total));
            return torch.tensor(ScalarMath.Log1P(total), dtype: b.X.dtype);
        }

        /// <summary>The targets' rewards r_y and the held phi'(r_y), in float64, by the scalar forms of the composite's
        /// <see cref="FDivergence.Reward"/> and <see cref="Losses.IqPhiPrime(FDivergence, Tensor, IqOptions, ScalarType)"/>:
        /// no libtorch call between the kernels (see <see cref="Losses.IqPhiPrime(FDivergence, double[], IqOptions, ScalarType)"/>).</summary>
        private static (double[] Ry, double[] Phi) HeldWeights(Tensor x, Tensor y, Options o)
        {
            var f = FDivergence.Of(o.Divergence);
            var ry = TargetLogits(x, y);
            for (int i = 0; i < ry.Length; i++) ry[i] = f.RewardOf(ry[i], o.Iq.ShiftedHellinger);
            return (ry, Losses.IqPhiPrime(f, ry, o.Iq, x.dtype));
        }

        /// <summary><c>x[i, y_i]</c> for each row, in float64.</summary>
        private static unsafe double[] TargetLogits(Tensor x, Tensor y) => x.dtype == ScalarType.Float32
            ? TargetLogits(Native.Ptr<float>(x), Native.Ptr<long>(y), x.shape[0], x.shape[1])
            : TargetLogits(Native.Ptr<double>(x), Native.Ptr<long>(y), x.shape[0], x.shape[1]);

        private static unsafe double[] TargetLogits<T>(T* px, long* py, long n, long c) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var xy = new double[n];
            for (long i = 0; i < n; i++) xy[i] = double.CreateTruncating(px[i * c + py[i]]);
            return xy;
        }
    }

    private readonly struct Kernel(RowBuffers b, Tensor y, double[] ry, double[] phi, Options o, double scale) : ITypedKernel
    {
        public unsafe double Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            int c = b.Classes;
            double s = scale, tau = o.Iq.Temperature, k = o.Chi2;
            bool allLogits = o.Iq.Chi2Scope == Chi2Scope.AllLogits, rowLog1P = o.Log1P && o.Reduction == Reduction.None;
            var activation = o.Divergence switch
            {
                Divergence.Chi2 or Divergence.ReverseKl or Divergence.PearsonChi2 => Activation.Identity,
                Divergence.TotalVariation => Activation.HalfTanh,
                _ => Activation.Softplus,
            };
            // softplus rewards: r = softplus(x + shift) + offset (FDivergence.SoftplusReward)
            var (shift, offset) = FDivergence.Of(o.Divergence).SoftplusReward(o.Iq.ShiftedHellinger) ?? (0.0, 0.0);
            var reward = new SoftplusReward<T>(T.CreateTruncating(shift), T.CreateTruncating(offset));
            double[] rys = ry, phis = phi;
            ClassTargets.ForEachRow<T>(b, y, null, (row, g, t, i) =>
            {
                double rt = rys[i], slope = 1, chi2 = 0, sum, value;
                Span<T> d = default;
                if (activation == Activation.Softplus && tau == 1.0)
                    return SoftplusRow(row, g, t, shift, offset, -phis[i] * rt, phis[i], s);
                if (activation == Activation.Identity)
                {
                    if (k != 0) chi2 = k * (allLogits ? double.CreateTruncating(TensorPrimitives.SumOfSquares(row)) / c : rt * rt);
                    sum = SoftmaxRow.Exp(row, g, tau, out value);
                }
                else
                {
                    // g = r = act(x), d = act'(x) (a per-thread scratch row); then the softmax of r in place
                    d = RowScratch<T>.Get(c).AsSpan(0, c);
                    if (activation == Activation.Softplus)
                    {
                        fixed (T* pr = row, pd = d, pg = g)
                            Elementwise.Segment(reward, pr, pr, null, T.Zero, null, T.Zero, pd, pg, 0, c, T.One);
                    }
                    else HalfTanh(row, g, d);
                    slope = double.CreateTruncating(d[t]);
                    sum = SoftmaxRow.Exp(g, g, tau, out value);
                }
                double loss = -phis[i] * rt + value + chi2, si = s;
                if (rowLog1P)
                {
                    si = s / (1 + loss);
                    loss = ScalarMath.Log1P(loss);
                }
                // dl/dr: p_j (+ 2k r_j / C), then - phi' (+ 2k r_y) on the target; dl/dx = act' dl/dr
                if (k != 0 && allLogits) VectorMath.ScaleAdd(g, T.CreateTruncating(si / sum), row, T.CreateTruncating(si * 2 * k / c));
                else SoftmaxRow.ScaleShift(g, si / sum, 0);
                if (activation != Activation.Identity) TensorPrimitives.Multiply(g, d, g);
                double onTarget = -phis[i] + (k != 0 && !allLogits ? 2 * k * rt : 0);
                g[t] += T.CreateTruncating(si * onTarget * slope);
                return loss;
            });
            return 0;
        }

        /// <summary>
        /// A row of a softplus-reward divergence at temperature 1, in the three sweeps of cross-entropy (no per-element
        /// softplus, sigmoid or log): with <c>z = x + shift</c>, <c>r = softplus(z) + offset</c> and
        /// <c>s0 = max(max_j z_j, 0)</c>, <c>exp(r_j) = e^offset e^s0 (c0 + E_j)</c> for <c>E_j = exp(z_j - s0)</c>
        /// (in [0, 1]) and <c>c0 = exp(-s0)</c>. So <c>logsumexp(r) = offset + s0 + log S</c> with
        /// <c>S = sum_j E_j + C c0</c>, <c>p_j = (c0 + E_j) / S</c>, and since <c>sigmoid(z_j) = E_j / (c0 + E_j)</c>,
        /// the off-target gradient <c>sigmoid(z_j) p_j</c> is <c>E_j / S</c>. The target adds
        /// <c>-phi'_y sigmoid(z_y)</c>.
        /// </summary>
        /// <returns>The row's loss, <c>-phi'_y r_y + logsumexp(r)</c> (<paramref name="softQ"/> is its first term).</returns>
        private static double SoftplusRow<T>(ReadOnlySpan<T> row, Span<T> g, int t, double shift, double offset, double softQ, double phi, double s)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            double s0 = Math.Max(double.CreateTruncating(VectorMath.Max(row)) + shift, 0);
            // E_j = exp(x_j - a) with a = s0 - shift rounded to T; s0 is then taken as a + shift, so c0 matches E's scale
            T a = T.CreateTruncating(s0 - shift);
            s0 = double.CreateTruncating(a) + shift;
            double c0 = Math.Exp(-s0);
            double sum = VectorMath.ExpSum(row, a, T.One, g) + row.Length * c0;
            double value = offset + s0 + Math.Log(sum);
            SoftmaxRow.ScaleShift(g, s / sum, 0);
            double zt = double.CreateTruncating(row[t]) + shift;
            g[t] -= T.CreateTruncating(s * phi * ScalarMath.Sigmoid(zt));
            return softQ + value;
        }

        /// <summary>Total variation's reward <c>r = tanh(x) / 2</c> into <paramref name="r"/> and its derivative
        /// <c>1/2 - 2 r^2</c> into <paramref name="d"/>.</summary>
        private static void HalfTanh<T>(ReadOnlySpan<T> x, Span<T> r, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            TensorPrimitives.Tanh(x, r);
            TensorPrimitives.Multiply(r, T.CreateTruncating(0.5), r);
            TensorPrimitives.Multiply(r, r, d);
            TensorPrimitives.Multiply(d, T.CreateTruncating(-2.0), d);
            TensorPrimitives.Add(d, T.CreateTruncating(0.5), d);
        }
    }

    private enum Activation { Identity, Softplus, HalfTanh }

    /// <summary>The softplus rewards <c>r = softplus(x + shift) + offset</c> (the "loss" lanes) with their derivative
    /// <c>sigmoid(x + shift)</c> (the "gradient" lanes), for <see cref="Elementwise.Segment"/>.</summary>
    private readonly struct SoftplusReward<T>(T shift, T offset) : IElementwiseLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Vector<T> shiftV = new(shift), offsetV = new(offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<T> Loss(Vector<T> x, Vector<T> t, Vector<T> a, Vector<T> b, out Vector<T> dx)
        {
            var z = x + shiftV;
            var lg = VectorMath.SigmoidPair(z, out dx, out _);
            return (Vector.MaxNative(z, Vector<T>.Zero) + offsetV) + lg;
        }
    }
}
