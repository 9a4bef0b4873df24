using System.Numerics;
using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Kernels;

/// <summary>
/// Binary cross-entropy on logits (<see cref="Losses.binary_cross_entropy_with_logits"/>) as one fused CPU pass over
/// the elements, any shape, with <c>weight</c> and <c>pos_weight</c> (any shape that broadcasts to the input's) and
/// each reduction.
/// </summary>
/// <remarks>
/// <para><b>Formulas.</b> With w the weight, P the positive weight (1 without), <c>c = 1 + (P - 1) t</c> and, from one
/// exponential <c>e = exp(-|x|)</c>, <c>lg = log(1 + e)</c>, <c>logsigmoid(x) = min(x, 0) - lg</c>,
/// <c>p = sigmoid(x)</c> and <c>pBar = 1 - p</c> (each without cancellation):
/// <c>l = w ((1 - t) x - c logsigmoid(x)) = w (((1 - t) x - c min(x, 0)) + c lg)</c> (grouped so that a confident,
/// correct element keeps its small value).</para>
/// <para><b>Gradient.</b> <c>d logsigmoid(x)/dx = pBar</c>, so <c>dl/dx = w ((1 - t) - c pBar)</c>; writing
/// <c>1 - t = (1 - t)(p + pBar)</c> and <c>1 - t - c = -P t</c>: <c>dl/dx = w ((1 - t) p - P t pBar)</c>, which has
/// no cancellation on either tail (for P = 1 it is <c>w (p - t)</c>).</para>
/// <para>The mean is over all elements, folded into the saved gradient. Losses are summed in blocks of 16 vectors in the input's dtype, then in double. Weights over the
/// last dimension are read as a vector; other broadcasts are expanded once.</para>
/// </remarks>
internal static class FusedBinaryCrossEntropyWithLogits
{
    /// <summary>Whether the kernel applies to these (already validated) arguments: fused kernels on, a CPU float32 or
    /// float64 input of at least one dimension and one element, and no gradient wanted for the target or the weights.</summary>
    public static bool Applies(Tensor input, Tensor target, Tensor? weight, Tensor? posWeight) =>
        FusableInputs.Elementwise(input) && FusableInputs.Constant(target) && FusableInputs.Constant(weight) && FusableInputs.Constant(posWeight);

    /// <summary>The loss (reduced as asked) with the fused gradient attached; the arguments are those of
    /// <see cref="Losses.binary_cross_entropy_with_logits"/>.</summary>
    public static Tensor Apply(Tensor input, Tensor target, Tensor? weight, Reduction reduction, Tensor? posWeight) =>
        Function.apply(input, target, weight, posWeight, reduction,
            (Func<Tensor, Tensor>)(x => Losses.binary_cross_entropy_with_logits(x, target, weight, reduction, posWeight)));

    private sealed class Function : ElementwiseLossFunction<Function>
    {
        public override string Name => "FusedBinaryCrossEntropyWithLogits";

        public override Tensor forward(autograd.AutogradContext ctx, object[] vars)
        {
            var input = (Tensor)vars[0];
            using var weight = Operand.Prepare(vars[2] as Tensor, input, 1);
            using var posWeight = Operand.Prepare(vars[3] as Tensor, input, 1);
            return Forward(ctx, vars, (Reduction)vars[4], b => new Kernel(b, weight, posWeight));
        }
    }

    private readonly struct Kernel(ElementwiseBuffers buffers, Operand weight, Operand posWeight) : ITypedKernel
    {
        public double Run<T>() where T : unmanaged, IFloatingPointIeee754<T> =>
            IsOne(weight) && IsOne(posWeight)
                ? Elementwise.Run<T, PlainOp<T>>(default, buffers.X, buffers.Target, weight, posWeight, buffers.Grad, buffers.Losses, buffers.GradScale)
                : Elementwise.Run<T, Op<T>>(default, buffers.X, buffers.Target, weight, posWeight, buffers.Grad, buffers.Losses, buffers.GradScale);

        private static bool IsOne(Operand o) => o.Values is null && o.Scalar == 1.0;
    }

    /// <summary>The common case, no weights: <c>l = (max(x, 0) - t x) + lg</c>, <c>dl/dx = (1 - t) p - t pBar</c>
    /// (the formulas of <see cref="Op{T}"/> with w = P = 1, c = 1).</summary>
    private readonly struct PlainOp<T> : IElementwiseLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<T> Loss(Vector<T> x, Vector<T> t, Vector<T> w, Vector<T> pw, out Vector<T> dx)
        {
            var lg = VectorMath.SigmoidPair(x, out var p, out var pBar);
            dx = VectorMath.MultiplySubtract(Vector<T>.One - t, p, t * pBar);
            return VectorMath.NegatedMultiplyAdd(t, x, Vector.MaxNative(x, Vector<T>.Zero)) + lg;
        }
    }

    private readonly struct Op<T> : IElementwiseLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector<T> Loss(Vector<T> x, Vector<T> t, Vector<T> w, Vector<T> pw, out Vector<T> dx)
        {
            var one = Vector<T>.One;
            var lg = VectorMath.SigmoidPair(x, out var p, out var pBar);
            var c = one + (pw - one) * t;
            dx = w * ((one - t) * p - pw * t * pBar);
            return w * (((one - t) * x - c * Vector.MinNative(x, Vector<T>.Zero)) + c * lg);
        }
    }
}
