using LossLab.Runtime;
using TorchSharp;

namespace LossLab.Cli;

/// <summary>Process-wide settings the tool applies before any tensor work.</summary>
internal static class NativeSetup
{
    /// <summary>
    /// The native allocator (kept large freed blocks: see docs/training.md, "Memory"; LOSSLAB_ALLOCATOR=default
    /// leaves glibc's defaults), console width for logs, threads from LOSSLAB_THREADS when set.
    /// </summary>
    public static void Configure()
    {
        // First, before other threads allocate: large tensors then reuse the process's freed memory instead of being
        // page-faulted anew at every step (docs/benchmarks.md measures it).
        if (Environment.GetEnvironmentVariable("LOSSLAB_ALLOCATOR") != "default") NativeAllocator.Configure();
        // In a log (output redirected) Spectre assumes 80 columns and wraps every table; logs have room.
        if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 160;
        if (int.TryParse(Environment.GetEnvironmentVariable("LOSSLAB_THREADS"), out int n) && n > 0)
            torch.set_num_threads(n);
    }
}
