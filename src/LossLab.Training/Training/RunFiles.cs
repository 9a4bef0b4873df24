using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LossLab.Training.Training;

/// <summary>The files of a run folder, and atomic writes to them.</summary>
public sealed class RunFiles
{
    /// <summary>The run folder.</summary>
    public string Folder { get; }

    /// <summary>Uses (and creates) a run folder.</summary>
    public RunFiles(string folder)
    {
        Folder = folder;
        Directory.CreateDirectory(folder);
    }

    /// <summary>config.json: the configuration.</summary>
    public string Config => Path.Combine(Folder, "config.json");
    /// <summary>last.ckpt: the checkpoint after the latest completed epoch.</summary>
    public string LastCheckpoint => Path.Combine(Folder, "last.ckpt");
    /// <summary>best.ckpt: the checkpoint of the epoch with the lowest validation error.</summary>
    public string BestCheckpoint => Path.Combine(Folder, "best.ckpt");
    /// <summary>metrics.jsonl: one JSON object per epoch.</summary>
    public string MetricsJsonl => Path.Combine(Folder, "metrics.jsonl");
    /// <summary>metrics.csv: one row per epoch.</summary>
    public string MetricsCsv => Path.Combine(Folder, "metrics.csv");
    /// <summary>tensorboard/: TensorBoard event files.</summary>
    public string TensorBoard => Path.Combine(Folder, "tensorboard");
    /// <summary>done: present once the run has finished.</summary>
    public string Done => Path.Combine(Folder, "done");

    /// <summary>Writes a text file atomically (temporary file, flush, rename).</summary>
    public static void WriteAtomically(string path, string text)
    {
        string tmp = path + ".tmp-" + Environment.ProcessId;
        using (var s = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            s.Write(bytes);
            s.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Rewrites metrics.jsonl and metrics.csv from the whole history (atomically), so they always agree with the last checkpoint.</summary>
    public void WriteMetrics(IReadOnlyList<EpochMetrics> history)
    {
        var jsonl = new StringBuilder();
        foreach (var m in history) jsonl.AppendLine(JsonSerializer.Serialize(m));
        WriteAtomically(MetricsJsonl, jsonl.ToString());

        var termNames = history.SelectMany(m => m.Terms.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var csv = new StringBuilder();
        csv.AppendLine(string.Join(",", new[] { "epoch", "lr", "train_loss", "train_error", "val_loss", "val_error", "val_nll", "val_ece", "seconds" }.Concat(termNames.Select(t => "term_" + t))));
        foreach (var m in history)
        {
            var cells = new List<string> { m.Epoch.ToString(CultureInfo.InvariantCulture) };
            cells.AddRange(new[] { m.Lr, m.TrainLoss, m.TrainError, m.ValLoss, m.ValError, m.ValNll, m.ValEce, m.Seconds }.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
            cells.AddRange(termNames.Select(t => m.Terms.TryGetValue(t, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : ""));
            csv.AppendLine(string.Join(",", cells));
        }
        WriteAtomically(MetricsCsv, csv.ToString());
    }
}
