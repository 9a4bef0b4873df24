using LossLab.Kernels;
using static TorchSharp.torch;

namespace LossLab.Benchmarks.Infrastructure;

/// <summary>One forward plus backward of a loss on a fresh leaf copy of fixed inputs, as every loss benchmark times it.</summary>
public static class LossStep
{
    /// <summary>
    /// Runs <paramref name="loss"/> on a leaf view of <paramref name="input"/> that requires grad, then backward, with
    /// LossLab's fused kernels on or off (off: the libtorch composite form of the same function). Returns the loss value.
    /// </summary>
    public static float Run(Tensor input, bool fused, Func<Tensor, Tensor> loss)
    {
        FusedKernels.Enabled = fused;
        using var scope = NewDisposeScope();
        var x = input.detach().requires_grad_(true);
        var value = loss(x);
        value.backward();
        return value.item<float>();
    }

    /// <summary>Parses a size such as <c>4096x1000</c> into (N, C).</summary>
    public static (int N, int C) ParseSize(string size)
    {
        var parts = size.Split('x');
        return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
