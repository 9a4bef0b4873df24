using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Kernels;

/// <summary>A kernel body written once for float and double elements (see <see cref="FusedLossFunction{TSelf}.Dispatch{TKernel}"/>).</summary>
internal interface ITypedKernel
{
    /// <summary>Runs the kernel on elements of type <typeparamref name="T"/> (the input's dtype).</summary>
    /// <returns>The sum of the losses for kernels that keep one (the element-wise kernels); 0 for the row kernels,
    /// which write each row's loss.</returns>
    double Run<T>() where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// The autograd plumbing that every fused loss shares: the forward computes the loss and its gradient together and
/// saves the gradient (of the reduced loss, the mean's divisor already folded in); backward returns it, scaled by the
/// incoming gradient only when that is not 1 (reduction none: row- or element-wise).
/// </summary>
/// <remarks>
/// When the logits are a leaf and <c>backward()</c> accumulates into their <c>.grad</c>, libtorch copies the returned
/// gradient once (a gradient that TorchSharp hands back from a custom function still has a managed handle, so libtorch
/// cannot take it over as it does its own); logits computed by a layer, or <c>torch.autograd.grad</c>, need no copy.
/// </remarks>
/// <typeparam name="TSelf">The concrete function (TorchSharp's pattern).</typeparam>
internal abstract class FusedLossFunction<TSelf> : autograd.SingleTensorFunction<TSelf> where TSelf : FusedLossFunction<TSelf>, new()
{
    /// <summary>Runs <paramref name="kernel"/> for the dtype, float32 or float64, and returns what it returns.</summary>
    protected static double Dispatch<TKernel>(ScalarType dtype, TKernel kernel) where TKernel : struct, ITypedKernel => dtype switch
    {
        ScalarType.Float32 => kernel.Run<float>(),
        ScalarType.Float64 => kernel.Run<double>(),
        _ => throw new ArgumentException($"fused kernels take float32 or float64, got {dtype}"),
    };

    /// <summary>Saves the gradient for <see cref="backward"/>, with what a second-order backward needs: the input (the
    /// first argument) and the composite form of the loss (the last argument, a <c>Func&lt;Tensor, Tensor&gt;</c> of the input).</summary>
    /// <param name="ctx">The autograd context.</param>
    /// <param name="vars">The function's arguments.</param>
    /// <param name="grad">d(loss)/d(input) for an incoming gradient of 1 (per output entry for reduction none).</param>
    /// <param name="postScale">A factor applied in backward on top (a reduced loss that passes through a function afterwards).</param>
    protected static void SaveGradient(autograd.AutogradContext ctx, object[] vars, Tensor grad, double postScale = 1.0)
    {
        ctx.save_for_backward(new List<Tensor> { grad, (Tensor)vars[0] });
        ctx.save_data("arity", vars.Length);
        ctx.save_data("postScale", postScale);
        ctx.save_data("composite", vars[^1]);
    }

    /// <summary>The reduced loss from per-row (or per-element) losses held in float64.</summary>
    /// <param name="losses">Per-row losses, float64.</param>
    /// <param name="reduction">The reduction.</param>
    /// <param name="meanDenominator">What mean divides the sum by (the row count, or the sum of the targets' weights).</param>
    /// <param name="dtype">The output's dtype.</param>
    protected static Tensor Reduced(Tensor losses, Reduction reduction, double meanDenominator, ScalarType dtype)
    {
        if (reduction == Reduction.None) return losses.to_type(dtype);
        using var sum = losses.sum();
        if (reduction == Reduction.Sum) return sum.to_type(dtype);
        using var mean = sum / meanDenominator;
        return mean.to_type(dtype);
    }

    /// <summary>
    /// Returns the saved gradient times the incoming one. With <c>create_graph</c> (backward then runs in grad mode)
    /// the gradient must itself be differentiable: it is then taken from the composite form, rebuilt on the saved
    /// input with fused kernels off, so that second derivatives are exact too.
    /// </summary>
    public sealed override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var saved = ctx.get_saved_variables();
        var grad = saved[0];
        int arity = (int)ctx.get_data("arity");
        double post = (double)ctx.get_data("postScale");
        Tensor gi;
        if (torch.is_grad_enabled())
        {
            var composite = (Func<Tensor, Tensor>)ctx.get_data("composite");
            using var off = FusedKernels.Suppress();
            var loss = composite(saved[1]);
            gi = torch.autograd.grad(new List<Tensor> { loss }, new List<Tensor> { saved[1] }, new List<Tensor> { grad_output }, retain_graph: true, create_graph: true)[0];
        }
        else if (grad_output.dim() > 0)
        {
            // reduction none: one incoming gradient per row (broadcast over the row) or per element
            var shape = grad_output.shape.Concat(Enumerable.Repeat(1L, (int)(grad.dim() - grad_output.dim()))).ToArray();
            using var g = grad_output.to_type(grad.dtype).reshape(shape);
            gi = grad * g;
        }
        else
        {
            double scale = post * grad_output.to_type(ScalarType.Float64).item<double>();
            gi = scale == 1.0 ? grad.alias() : grad * scale;
        }
        var result = new List<Tensor> { gi };
        for (int i = 1; i < arity; i++) result.Add(null!);
        return result;
    }
}
