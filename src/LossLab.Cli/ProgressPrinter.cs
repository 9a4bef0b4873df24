using LossLab.Training.Training;

namespace LossLab.Cli;

/// <summary>
/// Draws training progress. On a terminal it redraws one line in place; in a log (output redirected) it writes a
/// line at every tenth of an epoch, so that the log stays readable.
/// </summary>
internal sealed class ProgressPrinter : IProgress<TrainProgress>
{
    private readonly TextWriter output;
    private readonly bool interactive;
    private int lastTenth = -1;

    private readonly bool quiet;

    /// <param name="output">Where to write.</param>
    /// <param name="quiet">Only the end of each epoch (for studies, where many runs share one log).</param>
    public ProgressPrinter(TextWriter output, bool quiet = false)
    {
        this.output = output;
        this.quiet = quiet;
        interactive = !quiet && !Console.IsOutputRedirected && ReferenceEquals(output, Console.Out);
    }

    public void Report(TrainProgress p)
    {
        if (p.Warnings is { Count: > 0 } warnings)
            foreach (var w in warnings) output.WriteLine((interactive ? "\n" : "") + "warning: " + w);
        if (p.Finished is { } m)
        {
            string terms = m.Terms.Count == 0 ? "" : "  " + string.Join(" ", m.Terms.Select(kv => $"{kv.Key}={kv.Value:F3}"));
            string line = (quiet ? "    " : "") + $"epoch {m.Epoch}/{p.Epochs}  lr {m.Lr:G3}  train loss {m.TrainLoss:F4} err {m.TrainError:P1}  val loss {m.ValLoss:F4} err {m.ValError:P2} nll {m.ValNll:F4} ece {m.ValEce:F4}  {m.Seconds:F0}s{terms}";
            output.WriteLine(interactive ? "\r" + line.PadRight(Console.WindowWidth > 0 ? Math.Min(Console.WindowWidth - 1, 200) : 0) : line);
            lastTenth = -1;
            return;
        }
        if (quiet) return;
        int tenth = p.Step * 10 / p.Steps;
        if (interactive)
        {
            int width = 30, filled = p.Step * width / p.Steps;
            output.Write($"\repoch {p.Epoch}/{p.Epochs} [{new string('#', filled)}{new string('.', width - filled)}] {p.Step}/{p.Steps} loss {p.RunningLoss:F4}");
        }
        else if (tenth != lastTenth && tenth < 10)
        {
            lastTenth = tenth;
            output.WriteLine($"epoch {p.Epoch}/{p.Epochs}  step {p.Step}/{p.Steps}  loss {p.RunningLoss:F4}");
        }
    }
}
