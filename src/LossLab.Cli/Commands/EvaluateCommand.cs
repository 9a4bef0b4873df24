using System.CommandLine;
using System.Globalization;
using LossLab.Reports;
using LossLab.Reports.Io;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Cli.Commands;

/// <summary>
/// <c>losslab evaluate --logits FILE --labels FILE [--ood-logits FILE] [--val-logits FILE --val-labels FILE] [--out DIR]</c>:
/// measures a classifier from its saved outputs (accuracy, NLL, Brier, ECE family, temperature scaling, OOD detection),
/// prints a table, and writes evaluation.json and the pictures.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var logits = new Option<string>("--logits") { Description = "test logits, (N, C): .npy (float32/float64) or .csv (one row per sample)", Required = true };
        var labels = new Option<string>("--labels") { Description = "test labels, (N): .npy (int64/int32) or .csv (one integer per row)", Required = true };
        var ood = new Option<string?>("--ood-logits") { Description = "logits of an out-of-distribution set, (M, C)" };
        var valLogits = new Option<string?>("--val-logits") { Description = "validation logits, (V, C), to fit a temperature on" };
        var valLabels = new Option<string?>("--val-labels") { Description = "validation labels, (V)" };
        var outDir = new Option<string>("--out") { Description = "folder for evaluation.json and the pictures", DefaultValueFactory = _ => "evaluation" };
        var bins = new Option<int>("--bins") { Description = "bins of ECE, AdaECE, classwise ECE, MCE and the reliability diagram", DefaultValueFactory = _ => 15 };
        var device = DeviceOption.Create();
        var cmd = new Command("evaluate", "Evaluate a classifier from saved logits: accuracy, NLL, Brier, ECE/AdaECE/classwise ECE/MCE, temperature scaling, OOD detection; writes evaluation.json and PNG/SVG pictures.")
        {
            logits, labels, ood, valLogits, valLabels, outDir, bins, device,
        };
        cmd.SetAction(r => Run(new Request(r.GetValue(logits)!, r.GetValue(labels)!, r.GetValue(ood), r.GetValue(valLogits), r.GetValue(valLabels),
            r.GetValue(outDir)!, r.GetValue(bins), r.GetValue(device)!), Console.Out, Console.Error));
        return cmd;
    }

    internal sealed record Request(string Logits, string Labels, string? OodLogits, string? ValLogits, string? ValLabels, string Out, int Bins = 15, string Device = "cpu");

    internal static int Run(Request q, TextWriter output, TextWriter errors)
    {
        bool terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (!terminal) console.Profile.Width = 160;
        try
        {
            if ((q.ValLogits is null) != (q.ValLabels is null))
                throw new UsageException("give both --val-logits and --val-labels, or neither");
            if (q.Bins < 1) throw new UsageException($"--bins must be at least 1, got {q.Bins}");
            var dev = DeviceOption.Parse(q.Device);
            using var scope = NewDisposeScope();
            var logits = ReadLogits(q.Logits, "--logits").to(dev);
            var labels = ReadLabels(q.Labels, "--labels", logits.shape[0]).to(dev);
            Tensor? ood = q.OodLogits is null ? null : ReadLogits(q.OodLogits, "--ood-logits", logits.shape[1]).to(dev);
            Tensor? valLogits = q.ValLogits is null ? null : ReadLogits(q.ValLogits, "--val-logits", logits.shape[1]).to(dev);
            Tensor? valLabels = q.ValLabels is null ? null : ReadLabels(q.ValLabels, "--val-labels", valLogits!.shape[0]).to(dev);
            CheckLabelRange(labels, logits.shape[1], "--labels");
            if (valLabels is not null) CheckLabelRange(valLabels, logits.shape[1], "--val-labels");

            var evaluation = Evaluation.Compute(logits, labels, ood, valLogits, valLabels, new EvaluationOptions { Bins = q.Bins });
            Directory.CreateDirectory(q.Out);
            var written = new List<string>();
            string json = Path.Combine(q.Out, "evaluation.json");
            AtomicFile.WriteAllText(json, evaluation.ToJson());
            written.Add(json);
            written.AddRange(Pictures(evaluation, logits, ood, q.Out));

            PrintTables(console, evaluation, q);
            // Plain lines, never wrapped, so that the paths can be copied.
            output.WriteLine($"Wrote {written.Count} files to {Path.GetFullPath(q.Out)}:");
            foreach (var f in written) output.WriteLine("  " + f);
            return 0;
        }
        catch (Exception e) when (e is UsageException or FileNotFoundException or FormatException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            errors.WriteLine($"losslab evaluate: {e.Message}");
            return 2;
        }
    }

    internal static IEnumerable<string> Pictures(Evaluation ev, Tensor logits, Tensor? ood, string dir)
    {
        var panels = new List<ScottPlot.Plot> { Charts.ReliabilityDiagram(ev.Calibration.Reliability, "Before temperature scaling") };
        if (ev.CalibrationAfterTemperature is { } after)
            panels.Add(Charts.ReliabilityDiagram(after.Reliability, $"After temperature scaling (T = {ev.Temperature!.Temperature:0.000})"));
        foreach (var ext in new[] { ".png", ".svg" })
        {
            string path = Path.Combine(dir, "reliability" + ext);
            Charts.SavePanels(panels, path, 720, 600);
            yield return path;
        }

        using var scope = NewDisposeScope();
        var inConf = Values(Metrics.msp_score(logits));
        var outConf = ood is null ? null : Values(Metrics.msp_score(ood));
        var hist = Charts.ConfidenceHistogram(inConf, outConf, 20, ood is null ? "Confidence histogram" : "Confidence: in- vs out-of-distribution");
        foreach (var ext in new[] { ".png", ".svg" })
        {
            string path = Path.Combine(dir, "confidence_histogram" + ext);
            Charts.Save(hist, path, 800, 600);
            yield return path;
        }

        if (ev.Ood.Count > 0)
        {
            var roc = Charts.RocCurves(ev.Ood.Select(o => (ScoreLabel(o.Score), o.Roc, o.Auroc)), "OOD detection ROC (in-distribution positive)",
                "False positive rate (OOD samples kept)", "True positive rate (in-distribution samples kept)");
            foreach (var ext in new[] { ".png", ".svg" })
            {
                string path = Path.Combine(dir, "roc" + ext);
                Charts.Save(roc, path, 800, 650);
                yield return path;
            }
        }
    }

    private static string ScoreLabel(string score) => score switch
    {
        "msp" => "Max softmax prob.",
        "max_logit" => "Max logit",
        "neg_entropy" => "Neg. entropy",
        "energy" => "Neg. energy",
        _ => score,
    };

    private static void PrintTables(IAnsiConsole console, Evaluation ev, Request q)
    {
        static string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
        console.MarkupLine($"[bold]losslab evaluate[/]: {ev.Samples} samples, {ev.Classes} classes, {ev.Bins} bins ({Markup.Escape(q.Logits)})");
        var table = new Table().Border(TableBorder.Rounded).AddColumn("metric").AddColumn(new TableColumn("test").RightAligned());
        bool scaled = ev.CalibrationAfterTemperature is not null;
        if (scaled) table.AddColumn(new TableColumn($"after T = {ev.Temperature!.Temperature:0.000}").RightAligned());
        void Row(string name, double before, double? after = null)
        {
            if (scaled) table.AddRow(name, F(before), after is double a ? F(a) : "");
            else table.AddRow(name, F(before));
        }
        var a = ev.CalibrationAfterTemperature;
        Row("accuracy", ev.Accuracy, scaled ? ev.Accuracy : null);
        Row("error", ev.Error, scaled ? ev.Error : null);
        Row($"top-{ev.TopK} accuracy", ev.TopKAccuracy, scaled ? ev.TopKAccuracy : null);
        Row("NLL", ev.Calibration.Nll, a?.Nll);
        Row("Brier", ev.Calibration.Brier, a?.Brier);
        Row("ECE", ev.Calibration.Ece, a?.Ece);
        Row("AdaECE", ev.Calibration.AdaEce, a?.AdaEce);
        Row("classwise ECE", ev.Calibration.ClasswiseEce, a?.ClasswiseEce);
        Row("MCE", ev.Calibration.Mce, a?.Mce);
        console.Write(table);
        if (ev.Temperature is { } t)
            console.WriteLine($"Temperature fitted on {q.ValLogits} by {t.Objective}: T = {t.Temperature:0.0000}; validation NLL {F(t.NllBefore)} -> {F(t.NllAfter)}, ECE {F(t.EceBefore)} -> {F(t.EceAfter)}{(t.AtBoundary ? " (at the edge of the search range)" : "")}");
        if (ev.Ood.Count > 0)
        {
            var oodTable = new Table().Border(TableBorder.Rounded).Title($"OOD detection: {ev.Samples} in-distribution vs {ev.OodSamples} OOD samples")
                .AddColumn("score (higher = in-dist.)").AddColumn(new TableColumn("AUROC").RightAligned()).AddColumn(new TableColumn("AUPR-In").RightAligned())
                .AddColumn(new TableColumn("AUPR-Out").RightAligned()).AddColumn(new TableColumn("FPR@95TPR").RightAligned());
            foreach (var o in ev.Ood) oodTable.AddRow(o.Score, F(o.Auroc), F(o.AuprIn), F(o.AuprOut), F(o.FprAt95Tpr));
            console.Write(oodTable);
        }
    }

    private static Tensor ReadLogits(string path, string option, long? classes = null)
    {
        var t = ArrayFile.ReadMatrix(Exists(path, option));
        if (!t.dtype.IsFloatingPoint())
            throw new FormatException($"{option} {path}: logits must be float32 or float64, got {t.dtype}");
        if (t.dim() != 2)
            throw new FormatException($"{option} {path}: logits must be 2-D (samples x classes), got shape [{string.Join(", ", t.shape)}]");
        if (t.shape[0] == 0 || t.shape[1] == 0)
            throw new FormatException($"{option} {path}: no samples or no classes (shape [{string.Join(", ", t.shape)}])");
        if (classes is long c && t.shape[1] != c)
            throw new FormatException($"{option} {path}: {t.shape[1]} classes, but --logits has {c}");
        return t;
    }

    private static Tensor ReadLabels(string path, string option, long samples)
    {
        var t = ArrayFile.ReadLabels(Exists(path, option));
        if (t.dtype is not (ScalarType.Int64 or ScalarType.Int32))
            throw new FormatException($"{option} {path}: labels must be integers (int64 or int32), got {t.dtype}");
        if (t.dim() == 2 && t.shape[1] == 1) t = t.reshape(-1);
        if (t.dim() != 1)
            throw new FormatException($"{option} {path}: labels must be 1-D, got shape [{string.Join(", ", t.shape)}]");
        if (t.shape[0] != samples)
            throw new FormatException($"{option} {path}: {t.shape[0]} labels, but the logits have {samples} rows; give one label per sample");
        return t.to_type(ScalarType.Int64);
    }

    private static void CheckLabelRange(Tensor labels, long classes, string option)
    {
        using var scope = NewDisposeScope();
        long lo = labels.min().item<long>(), hi = labels.max().item<long>();
        if (lo < 0 || hi >= classes)
            throw new FormatException($"{option}: labels range over [{lo}, {hi}] but the logits have {classes} classes (labels must be in [0, {classes - 1}])");
    }

    private static double[] Values(Tensor t) => t.detach().cpu().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    private static string Exists(string path, string option) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{option} {path}: no such file", path);

    private sealed class UsageException(string message) : Exception(message);
}
