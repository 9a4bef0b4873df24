using TorchSharp;

namespace LossLab.Cli;

/// <summary>Process-wide settings the tool applies before any tensor work.</summary>
internal static class NativeSetup
{
    /// <summary>Uses every core for intra-op parallelism unless LOSSLAB_THREADS says otherwise.</summary>
    public static void Configure()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("LOSSLAB_THREADS"), out int n) && n > 0)
            torch.set_num_threads(n);
    }
}
