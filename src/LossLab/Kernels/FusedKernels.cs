namespace LossLab.Kernels;

/// <summary>
/// Switches for LossLab's fused CPU kernels (custom autograd functions that compute a loss and its gradient in one or
/// two vectorised passes per row). They are used automatically where they apply (CPU, float32 or float64, contiguous
/// 2-d logits, the options the kernel supports) and fall back to the composite form otherwise.
/// </summary>
public static class FusedKernels
{
    /// <summary>Whether fused kernels may be used. Default: true, unless the environment variable LOSSLAB_FUSED is 0.</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("LOSSLAB_FUSED") != "0";

    /// <summary>Rows of fewer classes than this use the composite form (the kernel's fixed costs dominate there).</summary>
    public static int MinClasses { get; set; } = 2;
}
