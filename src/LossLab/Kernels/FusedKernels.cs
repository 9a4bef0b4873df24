namespace LossLab.Kernels;

/// <summary>
/// Switches for LossLab's fused CPU kernels (custom autograd functions that compute a loss and its gradient in one or
/// two vectorised passes per row). They are used automatically where they apply (CPU, float32 or float64, contiguous
/// 2-d logits, the options the kernel supports) and fall back to the composite form otherwise. Fused forms exist for
/// cross_entropy, focal_loss, poly1_cross_entropy, sigmoid_focal_loss, binary_cross_entropy_with_logits and iq_loss.
/// </summary>
/// <remarks>
/// A fused loss's gradient is exact; its second derivatives (a backward with <c>create_graph</c>, e.g. a penalty on
/// the gradient of the loss) are those of the composite form, which backward rebuilds for that case.
/// </remarks>
public static class FusedKernels
{
    [ThreadStatic] private static int suppressed;

    /// <summary>Whether fused kernels may be used. Default: true, unless the environment variable LOSSLAB_FUSED is 0.</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("LOSSLAB_FUSED") != "0";

    /// <summary>Rows of fewer classes than this use the composite form (the kernel's fixed costs dominate there).</summary>
    public static int MinClasses { get; set; } = 2;

    /// <summary>Whether fused kernels may be used on this thread now: <see cref="Enabled"/> and not inside <see cref="Suppress"/>.</summary>
    internal static bool Active => Enabled && suppressed == 0;

    /// <summary>Turns fused kernels off on this thread until the result is disposed.</summary>
    internal static IDisposable Suppress()
    {
        suppressed++;
        return new Restore();
    }

    private sealed class Restore : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            suppressed--;
        }
    }
}
