using TorchSharp;

namespace LossLab.Cli;

/// <summary>Process-wide settings the tool applies before any tensor work.</summary>
internal static class NativeSetup
{
    /// <summary>Console width for logs; threads from LOSSLAB_THREADS when set.</summary>
    public static void Configure()
    {
        // In a log (output redirected) Spectre assumes 80 columns and wraps every table; logs have room.
        if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 160;
        if (int.TryParse(Environment.GetEnvironmentVariable("LOSSLAB_THREADS"), out int n) && n > 0)
            torch.set_num_threads(n);
    }
}
