using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Kernels;

/// <summary>The conditions on the input that every fused kernel shares (each kernel adds its own on the options).</summary>
internal static class FusableInputs
{
    /// <summary>Fused kernels on, and a CPU float32 or float64 tensor of at least one dimension and one element.</summary>
    public static bool Elementwise(Tensor input) =>
        FusedKernels.Active && input.device_type == DeviceType.CPU && input.dtype is ScalarType.Float32 or ScalarType.Float64
        && input.dim() > 0 && input.numel() > 0;

    /// <summary>As <see cref="Elementwise"/>, and (N, C) logits with at least <see cref="FusedKernels.MinClasses"/> classes.</summary>
    public static bool Logits(Tensor input) => Elementwise(input) && input.dim() == 2 && input.shape[1] >= FusedKernels.MinClasses;

    /// <summary>No gradient is wanted for an optional auxiliary tensor (weights, targets): the kernels differentiate
    /// the input only.</summary>
    public static bool Constant(Tensor? t) => t is null || !t.requires_grad;
}
