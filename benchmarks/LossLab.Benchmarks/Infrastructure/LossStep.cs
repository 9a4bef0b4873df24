using LossLab.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Benchmarks.Infrastructure;

/// <summary>One forward plus backward of a loss on a fresh leaf copy of fixed inputs, as every loss benchmark times it.</summary>
public static class LossStep
{
    /// <summary>
    /// Runs <paramref name="loss"/> on a leaf view of <paramref name="input"/> that requires grad, then the gradient
    /// with respect to it (<c>torch.autograd.grad</c>), with LossLab's fused kernels on or off (off: the libtorch
    /// composite form of the same function). Returns the loss value.
    /// </summary>
    /// <remarks>
    /// The gradient is taken with <c>autograd.grad</c> rather than <c>backward()</c> into the leaf's <c>.grad</c>: in
    /// training the logits come out of a layer, and the gradient flows on into that layer's backward. Accumulating into a
    /// leaf's empty <c>.grad</c> adds a copy of the whole gradient for a custom autograd function under TorchSharp (its
    /// .NET handle keeps a second reference to the returned gradient, so libtorch cannot adopt it), which is an artefact
    /// of the benchmark, not of the loss. Every variant (composite, fused, libtorch's own) is timed the same way.
    /// </remarks>
    public static float Run(Tensor input, bool fused, Func<Tensor, Tensor> loss)
    {
        FusedKernels.Enabled = fused;
        using var scope = NewDisposeScope();
        var x = input.detach().requires_grad_(true);
        var value = loss(x);
        var grads = torch.autograd.grad(new[] { value }, new[] { x });
        GC.KeepAlive(grads);
        return value.item<float>();
    }

    /// <summary>Parses a size such as <c>4096x1000</c> into (N, C).</summary>
    public static (int N, int C) ParseSize(string size)
    {
        var parts = size.Split('x');
        return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
