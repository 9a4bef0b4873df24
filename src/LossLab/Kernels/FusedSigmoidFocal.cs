using System.Numerics;
using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Kernels;

/// <summary>
/// torchvision's sigmoid focal loss (<see cref="Losses.sigmoid_focal_loss"/>) as one fused CPU pass over the
/// elements, any shape, with every option of the composite form (alpha, or none when negative; any gamma &gt;= 0; soft
/// targets; each reduction).
/// </summary>
/// <remarks>
/// <para><b>Formulas.</b> From one exponential <c>e = exp(-|x|)</c>: <c>p = sigmoid(x)</c>, <c>pBar = 1 - p</c> (each
/// without cancellation) and <c>lg = log(1 + e)</c>. The cross-entropy is
/// <c>ce = -t log p - (1 - t) log pBar = (max(x, 0) - t x) + lg</c> (grouped so that a confident, correct element
/// keeps its small value), <c>Q = 1 - p_t = (1 - t) p + t pBar</c> (exact for binary targets: p or pBar),
/// the modulator <c>m = Q^gamma</c> and <c>alpha_t = alpha t + (1 - alpha)(1 - t)</c> (1 when alpha &lt; 0):
/// <c>l = alpha_t m ce</c>.</para>
/// <para><b>Gradient.</b> <c>dce/dx = p - t = (1 - t) p - t pBar</c>; <c>dQ/dx = (1 - t) p pBar - t pBar p =
/// (1 - 2t) p pBar</c>, so <c>dm/dx = gamma Q^(gamma - 1) (1 - 2t) p pBar = gamma m (p pBar / Q) (1 - 2t)</c>, and
/// <c>dl/dx = alpha_t (m (p - t) + gamma m (p pBar / Q)(1 - 2t) ce)</c>. Since <c>Q &gt;= min(p, pBar) &gt;= p pBar</c>
/// the ratio is in [0, 1]; where Q is 0 (a saturated correct element) the term is 0, as the composite's limit.
/// gamma 1 and 2 use products instead of a power.</para>
/// <para>Losses are summed in double; everything per element in the input's dtype.</para>
/// </remarks>
internal static class FusedSigmoidFocal
{
    /// <summary>Whether the kernel applies to these (already validated) arguments: fused kernels on, a CPU float32 or
    /// float64 input of at least one dimension and one element, and a target that wants no gradient.</summary>
    public static bool Applies(Tensor input, Tensor target) =>
        FusableInputs.Elementwise(input) && FusableInputs.Constant(target);

    /// <summary>The loss (reduced as asked) with the fused gradient attached; the arguments are those of
    /// <see cref="Losses.sigmoid_focal_loss"/>.</summary>
    public static Tensor Apply(Tensor input, Tensor target, double alpha, double gamma, Reduction reduction) =>
        Function.apply(input, target, new Options(alpha, gamma, reduction),
            (Func<Tensor, Tensor>)(x => Losses.sigmoid_focal_loss(x, target, alpha, gamma, reduction)));

    private sealed record Options(double Alpha, double Gamma, Reduction Reduction);

    private sealed class Function : ElementwiseLossFunction<Function>
    {
        public override string Name => "FusedSigmoidFocal";

        public override Tensor forward(autograd.AutogradContext ctx, object[] vars)
        {
            var o = (Options)vars[2];
            return Forward(ctx, vars, o.Reduction, b => new Kernel(b, o));
        }
    }

    private readonly struct Kernel(ElementwiseBuffers buffers, Options o) : ITypedKernel
    {
        public double Run<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            using var none = Operand.Prepare(null, buffers.X, 0);
            return Elementwise.Run<T, Op<T>>(new Op<T>(o.Alpha, o.Gamma), buffers.X, buffers.Target, none, none, buffers.Grad, buffers.Losses, buffers.GradScale);
        }
    }

    private readonly struct Op<T>(double alpha, double gamma) : IElementwiseLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly bool weighted = alpha >= 0;
        private readonly Vector<T> alphaPos = new(T.CreateTruncating(alpha));
        private readonly Vector<T> alphaNeg = new(T.CreateTruncating(1 - alpha));
        private readonly Vector<T> gammaV = new(T.CreateTruncating(gamma));
        private readonly int mode = gamma == 0 ? 0 : gamma == 1 ? 1 : gamma == 2 ? 2 : 3;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<T> Loss(Vector<T> x, Vector<T> t, Vector<T> a, Vector<T> b, out Vector<T> dx)
        {
            var one = Vector<T>.One;
            var lg = VectorMath.SigmoidPair(x, out var p, out var pBar);
            var ce = (Vector.MaxNative(x, Vector<T>.Zero) - t * x) + lg;
            var pMinusT = (one - t) * p - t * pBar;
            Vector<T> loss;
            if (mode == 0)
            {
                loss = ce;
                dx = pMinusT;
            }
            else
            {
                var q = (one - t) * p + t * pBar;
                // gamma m / Q times p pBar, 0 where Q is 0
                Vector<T> m, slope;
                if (mode == 1) { m = q; slope = p * pBar; }
                else if (mode == 2) { m = q * q; slope = (q + q) * p * pBar; }
                else m = Power(q, gammaV, p * pBar, out slope);
                loss = m * ce;
                dx = m * pMinusT + slope * (one - t - t) * ce;
            }
            if (weighted)
            {
                var alphaT = alphaPos * t + alphaNeg * (one - t);
                loss *= alphaT;
                dx *= alphaT;
            }
            return loss;
        }

        /// <summary><c>q^gamma</c> and <c>gamma q^(gamma - 1) pp</c> for any gamma, 0 where q is 0 (kept out of line:
        /// its call to the runtime's log would otherwise make the common gamma 1 and 2 loops spill registers).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static Vector<T> Power(Vector<T> q, Vector<T> gamma, Vector<T> pp, out Vector<T> slope)
        {
            var positive = Vector.GreaterThan(q, Vector<T>.Zero);
            var m = Vector.ConditionalSelect(positive, VectorMath.Exp(gamma * VectorMath.Log(q)), Vector<T>.Zero);
            slope = Vector.ConditionalSelect(positive, gamma * (m / q) * pp, Vector<T>.Zero);
            return m;
        }
    }
}
