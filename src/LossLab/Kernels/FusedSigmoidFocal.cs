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
/// <para>Losses are summed in blocks of 16 vectors in the input's dtype, then in double; everything per element in the input's dtype.</para>
/// </remarks>
internal static class FusedSigmoidFocal
{
    /// <summary>Whether the kernel applies to these (already validated) arguments: fused kernels on, a CPU float32 or
    /// float64 input of at least one dimension and one element, and a target that wants no gradient.</summary>
    public static bool Applies(Tensor input, Tensor target) =>
        FusableInputs.Elementwise(input) && FusableInputs.Constant(target);

    /// <summary>The loss (reduced as asked) with the fused gradient attached; the arguments are those of
    /// <see cref="Losses.sigmoid_focal_loss"/>, validated except for the targets' range, which the kernel checks in
    /// its own pass over them (a target outside [0, 1] makes the sum NaN, and a NaN target its own loss; a NaN sum then runs
    /// <see cref="Check.InRange"/>, which throws the usual error, or passes when the NaN came from the input).</summary>
    public static Tensor Apply(Tensor input, Tensor target, double alpha, double gamma, Reduction reduction)
    {
        var o = new Options(alpha, gamma, reduction, new StrongBox<bool>());
        var result = Function.apply(input, target, o,
            (Func<Tensor, Tensor>)(x => Losses.sigmoid_focal_loss(x, target, alpha, gamma, reduction)));
        if (o.NaNSeen.Value)
        {
            try
            {
                Check.InRange(target, 0, 1, "sigmoid_focal_loss", nameof(target));
            }
            catch
            {
                result.Dispose();
                throw;
            }
        }
        return result;
    }

    /// <summary>The options, and <c>NaNSeen</c>: set by the kernel when the sum of the losses is NaN.</summary>
    private sealed record Options(double Alpha, double Gamma, Reduction Reduction, StrongBox<bool> NaNSeen);

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
        public double Run<T>() where T : unmanaged, IFloatingPointIeee754<T> => o.Gamma switch
        {
            0 => Run<T, NoModulator<T>>(default),
            1 => Run<T, LinearModulator<T>>(default),
            2 => Run<T, SquareModulator<T>>(default),
            _ => Run<T, PowerModulator<T>>(new PowerModulator<T>(o.Gamma)),
        };

        /// <summary>One instantiation per modulator, so that each loop is straight-line code (runtime branches on gamma
        /// in the loop made the JIT spill registers).</summary>
        private double Run<T, TMod>(TMod modulator) where T : unmanaged, IFloatingPointIeee754<T> where TMod : struct, IModulator<T>
        {
            using var none = Operand.Prepare(null, buffers.X, 0);
            double total = Elementwise.Run<T, Op<T, TMod>>(new Op<T, TMod>(o.Alpha, o.Gamma, modulator), buffers.X, buffers.Target, none, none, buffers.Grad, buffers.Losses, buffers.GradScale);
            if (double.IsNaN(total)) o.NaNSeen.Value = true;
            return total;
        }
    }

    /// <summary>The modulator <c>m = Q^gamma</c> and <c>Q^(gamma - 1) p pBar</c> (0 where Q is 0; the factor gamma is
    /// the op's, folded into <c>gamma (1 - 2t)</c>).</summary>
    private interface IModulator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        /// <summary>Whether gamma is 0 (m = 1 and no slope: plain cross-entropy).</summary>
        bool None { get; }

        /// <summary>m for Q, and in <paramref name="slope"/> Q^(gamma - 1) times <paramref name="pp"/> = p pBar.</summary>
        Vector<T> Of(Vector<T> q, Vector<T> pp, out Vector<T> slope);
    }

    private readonly struct NoModulator<T> : IModulator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public bool None => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<T> Of(Vector<T> q, Vector<T> pp, out Vector<T> slope)
        {
            slope = Vector<T>.Zero;
            return Vector<T>.One;
        }
    }

    private readonly struct LinearModulator<T> : IModulator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public bool None => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<T> Of(Vector<T> q, Vector<T> pp, out Vector<T> slope)
        {
            slope = pp;
            return q;
        }
    }

    private readonly struct SquareModulator<T> : IModulator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public bool None => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<T> Of(Vector<T> q, Vector<T> pp, out Vector<T> slope)
        {
            slope = q * pp;
            return q * q;
        }
    }

    /// <summary>Any other gamma: <c>exp(gamma log Q)</c> (kept out of line: its call to the runtime's log would otherwise
    /// make the loop spill registers).</summary>
    private readonly struct PowerModulator<T>(double gamma) : IModulator<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly T gamma = T.CreateTruncating(gamma);

        public bool None => false;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public Vector<T> Of(Vector<T> q, Vector<T> pp, out Vector<T> slope)
        {
            var positive = Vector.GreaterThan(q, Vector<T>.Zero);
            var m = Vector.ConditionalSelect(positive, VectorMath.Exp(new Vector<T>(gamma) * VectorMath.Log(q)), Vector<T>.Zero);
            slope = Vector.ConditionalSelect(positive, (m / q) * pp, Vector<T>.Zero);
            return m;
        }
    }

    /// <summary>The loss of each element and its derivative; the targets' range is checked by the driver
    /// (<see cref="IElementwiseLoss{T}.UnitTargets"/>), and a NaN target makes the loss NaN through <c>t x</c>.</summary>
    private readonly struct Op<T, TMod>(double alpha, double gamma, TMod modulator) : IElementwiseLoss<T>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TMod : struct, IModulator<T>
    {
        private readonly bool weighted = alpha >= 0;
        // alpha_t = alpha t + (1 - alpha)(1 - t) = (1 - alpha) + (2 alpha - 1) t: one multiply-add (kept as vectors, so
        // that the loop does not broadcast them anew on each pass)
        private readonly Vector<T> alphaBase = new(T.CreateTruncating(1 - alpha));
        private readonly Vector<T> alphaSlope = new(T.CreateTruncating(2 * alpha - 1));
        // gamma (1 - 2t) = gamma + (-2 gamma) t: one multiply-add
        private readonly Vector<T> gammaBase = new(T.CreateTruncating(gamma));
        private readonly Vector<T> gammaSlope = new(T.CreateTruncating(-2 * gamma));

        static bool IElementwiseLoss<T>.UnitTargets => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<T> Loss(Vector<T> x, Vector<T> t, Vector<T> a, Vector<T> b, out Vector<T> dx)
        {
            var lg = VectorMath.SigmoidPair(x, out var p, out var pBar);
            var ce = VectorMath.NegatedMultiplyAdd(t, x, Vector.MaxNative(x, Vector<T>.Zero)) + lg;
            var oneMinusT = Vector<T>.One - t;
            var tpBar = t * pBar;
            var pMinusT = VectorMath.MultiplySubtract(oneMinusT, p, tpBar);
            Vector<T> loss;
            if (modulator.None)
            {
                loss = ce;
                dx = pMinusT;
            }
            else
            {
                var m = modulator.Of(VectorMath.MultiplyAdd(oneMinusT, p, tpBar), p * pBar, out var slope);
                var s = VectorMath.MultiplyAdd(gammaSlope, t, gammaBase);
                loss = m * ce;
                dx = VectorMath.MultiplyAdd(m, pMinusT, slope * s * ce);
            }
            if (weighted)
            {
                var alphaT = VectorMath.MultiplyAdd(alphaSlope, t, alphaBase);
                loss *= alphaT;
                dx *= alphaT;
            }
            return loss;
        }
    }
}
