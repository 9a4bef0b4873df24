using System.Globalization;
using System.Text;
using System.Text.Json;
using LossLab.Training.Studies;
using LossLab.Training.Training;

namespace LossLab.Reports.Studies;

/// <summary>One finished run as the report reads it.</summary>
/// <param name="Run">The run.</param>
/// <param name="Evaluation">Its evaluation.json.</param>
/// <param name="History">Its metrics.jsonl.</param>
public sealed record FinishedRun(StudyRun Run, RunEvaluation Evaluation, IReadOnlyList<EpochMetrics> History);

/// <summary>
/// Aggregates a study's finished runs into <c>report.md</c> and pictures: per loss, the mean and 95% confidence
/// interval over seeds of every metric; paired t-tests of each loss against cross-entropy across seeds; training
/// curves; ROC curves; reliability diagrams; and plain sentences saying where each loss wins and where it loses.
/// </summary>
public static class StudyReport
{
    private static string F(double v, string f = "F4") => v.ToString(f, CultureInfo.InvariantCulture);

    /// <summary>Reads every finished run of a study under its root folder (runs without evaluation.json are left out).</summary>
    public static List<FinishedRun> Collect(StudySpec spec, string root)
    {
        var list = new List<FinishedRun>();
        foreach (var run in spec.Expand(root))
        {
            if (!File.Exists(run.EvaluationFile)) continue;
            var ev = RunEvaluation.FromJson(File.ReadAllText(run.EvaluationFile));
            string metrics = Path.Combine(run.Folder, "metrics.jsonl");
            var history = File.Exists(metrics)
                ? File.ReadAllLines(metrics).Where(l => l.Trim().Length > 0).Select(l => JsonSerializer.Deserialize<EpochMetrics>(l)!).ToList()
                : new List<EpochMetrics>();
            list.Add(new FinishedRun(run, ev, history));
        }
        return list;
    }

    /// <summary>Writes report.md and its pictures into <paramref name="root"/>; returns the report's path.</summary>
    /// <param name="spec">The study.</param>
    /// <param name="root">Its folder.</param>
    /// <param name="command">The command that produced the runs, quoted in the report.</param>
    /// <param name="commit">The source commit, quoted in the report (null: not known).</param>
    public static string Write(StudySpec spec, string root, string command, string? commit)
    {
        var runs = Collect(spec, root);
        int expected = spec.Expand(root).Count;
        var md = new StringBuilder();
        md.AppendLine($"# {spec.Name}");
        md.AppendLine();
        var failures = spec.Expand(root).Where(r => File.Exists(r.FailureFile)).ToList();
        md.AppendLine($"Produced by `{command}`{(commit is null ? "" : $" at commit `{commit}`")}, {DateTime.UtcNow:yyyy-MM-dd}. {runs.Count} of {expected} runs finished{(failures.Count > 0 ? $", {failures.Count} failed (below)" : "")}.");
        md.AppendLine($"Recipe: {spec.Training.Epochs} epochs, batch {spec.Training.BatchSize}, SGD lr {spec.Training.Lr} (momentum {spec.Training.Momentum}, weight decay {spec.Training.WeightDecay}), schedule {spec.Training.Schedule}{(spec.Training.Augment ? ", crop and flip" : "")}; seeds {string.Join(", ", spec.Seeds)}.");
        md.AppendLine("Every number is the mean over seeds ± the half-width of its 95% confidence interval (Student t, n - 1 degrees of freedom).");
        md.AppendLine();
        if (failures.Count > 0)
        {
            md.AppendLine("**Runs that failed** (their loss became non-finite during training; they are left out of every table below, and count against their loss):");
            md.AppendLine();
            foreach (var f in failures)
                md.AppendLine($"- {f.Loss.Name}, {f.Dataset} / {f.Model}, seed {f.Seed}: {File.ReadAllText(f.FailureFile).Trim()}");
            md.AppendLine();
        }
        if (runs.Count == 0)
        {
            md.AppendLine("No run has finished yet.");
            return Save(root, md);
        }
        foreach (var group in runs.GroupBy(r => (r.Run.Dataset, r.Run.Model)))
        {
            var byLoss = spec.Losses.Select(l => (Loss: l.Name, Runs: group.Where(r => r.Run.Loss.Name == l.Name).OrderBy(r => r.Run.Seed).ToList()))
                .Where(x => x.Runs.Count > 0).ToList();
            string slug = StudySpec.Slug(group.Key.Dataset + "-" + group.Key.Model);
            md.AppendLine($"## {group.Key.Dataset}, {group.Key.Model}");
            md.AppendLine();
            WriteMainTable(md, byLoss);
            WriteOodTables(md, byLoss);
            WriteShiftTable(md, byLoss);
            WritePaired(md, byLoss);
            WriteVerdicts(md, byLoss);
            WritePictures(md, root, slug, byLoss);
        }
        return Save(root, md);
    }

    private static string Save(string root, StringBuilder md)
    {
        string path = Path.Combine(root, "report.md");
        RunFiles.WriteAtomically(path, md.ToString());
        return path;
    }

    private delegate double Metric(FinishedRun r);

    private static readonly (string Name, Metric Get, string Format, bool LowerIsBetter)[] MainMetrics =
    [
        ("Test error (%)", r => 100 * r.Evaluation.Test.Error, "F2", true),
        ("NLL", r => r.Evaluation.Test.Calibration.Nll, "F4", true),
        ("Brier", r => r.Evaluation.Test.Calibration.Brier, "F4", true),
        ("ECE (%)", r => 100 * r.Evaluation.Test.Calibration.Ece, "F2", true),
        ("AdaECE (%)", r => 100 * r.Evaluation.Test.Calibration.AdaEce, "F2", true),
        ("ECE after TS (%)", r => 100 * (r.Evaluation.Test.CalibrationAfterTemperature?.Ece ?? double.NaN), "F2", true),
        ("T", r => r.Evaluation.Test.Temperature?.Temperature ?? double.NaN, "F3", false),
    ];

    private static string Cell(IEnumerable<double> values, string format)
    {
        var v = values.Where(double.IsFinite).ToList();
        return v.Count == 0 ? "n/a" : Statistics.MeanCi(v).Format(format);
    }

    private static void WriteMainTable(StringBuilder md, List<(string Loss, List<FinishedRun> Runs)> byLoss)
    {
        md.AppendLine("### Accuracy and calibration (test set)");
        md.AppendLine();
        md.AppendLine("| loss | seeds | " + string.Join(" | ", MainMetrics.Select(m => m.Name)) + " |");
        md.AppendLine("| --- | --- | " + string.Join(" | ", MainMetrics.Select(_ => "---")) + " |");
        foreach (var (loss, runs) in byLoss)
            md.AppendLine($"| {loss} | {runs.Count} | " + string.Join(" | ", MainMetrics.Select(m => Cell(runs.Select(r => m.Get(r)), m.Format))) + " |");
        md.AppendLine();
        md.AppendLine("The same numbers in the layout of the IQ Loss paper's Table 2 (error, ECE before and after temperature scaling, OOD AUROC with the maximum softmax probability on the first OOD set):");
        md.AppendLine();
        md.AppendLine("| loss | Error (%) | ECE (%) | ECE (T) (%) | OOD AUROC |");
        md.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var (loss, runs) in byLoss)
            md.AppendLine($"| {loss} | {Cell(runs.Select(r => 100 * r.Evaluation.Test.Error), "F2")} | {Cell(runs.Select(r => 100 * r.Evaluation.Test.Calibration.Ece), "F2")} | {Cell(runs.Select(r => 100 * (r.Evaluation.Test.CalibrationAfterTemperature?.Ece ?? double.NaN)), "F2")} | {Cell(runs.Select(FirstAuroc), "F4")} |");
        md.AppendLine();
    }

    private static double FirstAuroc(FinishedRun r) => r.Evaluation.Ood.Count == 0 ? double.NaN
        : r.Evaluation.Ood.OrderBy(kv => kv.Key, StringComparer.Ordinal).First().Value.FirstOrDefault(o => o.Score == "msp")?.Auroc ?? double.NaN;

    private static void WriteOodTables(StringBuilder md, List<(string Loss, List<FinishedRun> Runs)> byLoss)
    {
        var sets = byLoss.SelectMany(x => x.Runs).SelectMany(r => r.Evaluation.Ood.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (var set in sets)
        {
            md.AppendLine($"### Out-of-distribution detection: test set against `{set}`");
            md.AppendLine();
            md.AppendLine("In-distribution is the positive class; every score is oriented so that higher means more in-distribution.");
            md.AppendLine();
            md.AppendLine("| loss | score | AUROC | AUPR-In | AUPR-Out | FPR at 95% TPR |");
            md.AppendLine("| --- | --- | --- | --- | --- | --- |");
            foreach (var (loss, runs) in byLoss)
            {
                var scores = runs.SelectMany(r => r.Evaluation.Ood.GetValueOrDefault(set) ?? []).Select(o => o.Score).Distinct().ToList();
                foreach (var score in scores)
                {
                    var rs = runs.Select(r => r.Evaluation.Ood.GetValueOrDefault(set)?.FirstOrDefault(o => o.Score == score)).Where(o => o is not null).ToList();
                    md.AppendLine($"| {loss} | {score} | {Cell(rs.Select(o => o!.Auroc), "F4")} | {Cell(rs.Select(o => o!.AuprIn), "F4")} | {Cell(rs.Select(o => o!.AuprOut), "F4")} | {Cell(rs.Select(o => o!.FprAt95Tpr), "F4")} |");
                }
            }
            md.AppendLine();
        }
    }

    private static void WriteShiftTable(StringBuilder md, List<(string Loss, List<FinishedRun> Runs)> byLoss)
    {
        var shifts = byLoss.SelectMany(x => x.Runs).SelectMany(r => r.Evaluation.Shifts.Keys).Distinct().ToList();
        if (shifts.Count == 0) return;
        md.AppendLine("### Under distribution shift (corrupted test sets)");
        md.AppendLine();
        md.AppendLine("| loss | " + string.Join(" | ", shifts.Select(s => $"{s} accuracy (%) | {s} ECE (%)")) + " |");
        md.AppendLine("| --- | " + string.Join(" | ", shifts.Select(_ => "--- | ---")) + " |");
        foreach (var (loss, runs) in byLoss)
            md.AppendLine($"| {loss} | " + string.Join(" | ", shifts.Select(s =>
                $"{Cell(runs.Select(r => 100 * (r.Evaluation.Shifts.GetValueOrDefault(s)?.Accuracy ?? double.NaN)), "F2")} | {Cell(runs.Select(r => 100 * (r.Evaluation.Shifts.GetValueOrDefault(s)?.Ece ?? double.NaN)), "F2")}")) + " |");
        md.AppendLine();
    }

    private static readonly (string Name, Metric Get, bool LowerIsBetter)[] Compared =
    [
        ("test error", r => r.Evaluation.Test.Error, true),
        ("NLL", r => r.Evaluation.Test.Calibration.Nll, true),
        ("ECE", r => r.Evaluation.Test.Calibration.Ece, true),
        ("ECE after TS", r => r.Evaluation.Test.CalibrationAfterTemperature?.Ece ?? double.NaN, true),
        ("OOD AUROC (MSP)", FirstAuroc, false),
    ];

    private static (double Diff, double P, int N) Paired(List<FinishedRun> a, List<FinishedRun> b, Metric m)
    {
        var pairs = a.Join(b, r => r.Run.Seed, r => r.Run.Seed, (x, y) => (m(x), m(y))).Where(p => double.IsFinite(p.Item1) && double.IsFinite(p.Item2)).ToList();
        if (pairs.Count == 0) return (double.NaN, double.NaN, 0);
        var (d, _, p) = Statistics.PairedT(pairs.Select(p => p.Item1).ToList(), pairs.Select(p => p.Item2).ToList());
        return (d, p, pairs.Count);
    }

    private static void WritePaired(StringBuilder md, List<(string Loss, List<FinishedRun> Runs)> byLoss)
    {
        var baseline = byLoss.FirstOrDefault();
        if (baseline.Runs is null || byLoss.Count < 2) return;
        md.AppendLine($"### Paired comparisons against {baseline.Loss}");
        md.AppendLine();
        md.AppendLine($"Each cell is the mean over seeds of (loss - {baseline.Loss}) on the same seed, with the two-sided paired t-test's p-value (n - 1 degrees of freedom). With few seeds the test has little power: a large p-value means \"not shown\", not \"no difference\".");
        md.AppendLine();
        md.AppendLine("| loss | " + string.Join(" | ", Compared.Select(c => c.Name)) + " |");
        md.AppendLine("| --- | " + string.Join(" | ", Compared.Select(_ => "---")) + " |");
        foreach (var (loss, runs) in byLoss.Skip(1))
            md.AppendLine($"| {loss} | " + string.Join(" | ", Compared.Select(c =>
            {
                var (d, p, n) = Paired(runs, baseline.Runs, c.Get);
                return n == 0 ? "n/a" : $"{d.ToString("+0.0000;-0.0000", CultureInfo.InvariantCulture)} (p={(double.IsNaN(p) ? "n/a" : F(p, "F3"))})";
            })) + " |");
        md.AppendLine();
    }

    private static void WriteVerdicts(StringBuilder md, List<(string Loss, List<FinishedRun> Runs)> byLoss)
    {
        md.AppendLine("### What the numbers say");
        md.AppendLine();
        foreach (var (name, get, lower, _) in new[] { ("test error", (Metric)(r => r.Evaluation.Test.Error), true, 0), ("ECE", (Metric)(r => r.Evaluation.Test.Calibration.Ece), true, 0), ("ECE after temperature scaling", (Metric)(r => r.Evaluation.Test.CalibrationAfterTemperature?.Ece ?? double.NaN), true, 0), ("OOD AUROC (MSP)", (Metric)FirstAuroc, false, 0) })
        {
            var means = byLoss.Select(x => (x.Loss, Mean: x.Runs.Select(r => get(r)).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average(), x.Runs)).Where(x => double.IsFinite(x.Mean)).ToList();
            if (means.Count < 2) continue;
            var best = lower ? means.MinBy(x => x.Mean) : means.MaxBy(x => x.Mean);
            var worst = lower ? means.MaxBy(x => x.Mean) : means.MinBy(x => x.Mean);
            var sb = new StringBuilder($"- **{name}**: best {best.Loss} ({F(best.Mean)}), worst {worst.Loss} ({F(worst.Mean)}).");
            var baseline = means[0];
            foreach (var x in means.Skip(1))
            {
                var (d, p, n) = Paired(x.Runs, baseline.Runs, get);
                if (n == 0) continue;
                bool better = lower ? d < 0 : d > 0;
                string sig = double.IsNaN(p) ? "no test possible" : p < 0.05 ? $"significant, p={F(p, "F3")}" : $"not significant, p={F(p, "F3")}";
                sb.Append($" {x.Loss} is {(better ? "better" : "worse")} than {baseline.Loss} ({sig}).");
            }
            md.AppendLine(sb.ToString());
        }
        md.AppendLine();
    }

    private static void WritePictures(StringBuilder md, string root, string slug, List<(string Loss, List<FinishedRun> Runs)> byLoss)
    {
        ReportFonts.Register();
        string dir = Path.Combine(root, "figures");
        Directory.CreateDirectory(dir);
        var curves = new (string File, string Label, Func<EpochMetrics, double> Get, bool Log)[]
        {
            ("train_loss", "Training loss", m => m.TrainLoss, false),
            ("val_loss", "Validation loss (the training loss)", m => m.ValLoss, false),
            ("val_error", "Validation error", m => m.ValError, false),
        };
        md.AppendLine("### Pictures");
        md.AppendLine();
        foreach (var (file, label, get, log) in curves)
        {
            var series = byLoss.Where(x => x.Runs.All(r => r.History.Count > 0)).Select(x =>
            {
                int epochs = x.Runs.Min(r => r.History.Count);
                var values = Enumerable.Range(0, epochs).Select(e => x.Runs.Average(r => get(r.History[e]))).ToArray();
                return new TrainingCurve(x.Loss, Enumerable.Range(1, epochs).Select(e => (double)e).ToArray(), values);
            }).ToList();
            if (series.Count == 0) continue;
            string path = Path.Combine(dir, $"{slug}-{file}.png");
            Charts.Save(Charts.TrainingCurves(series, label, $"{label}, mean over seeds", log), path, 900, 600);
            md.AppendLine($"![{label}](figures/{Path.GetFileName(path)})");
        }
        var rocs = byLoss.Select(x => (x.Loss, Run: x.Runs[0])).Where(x => x.Run.Evaluation.Ood.Count > 0)
            .Select(x => (x.Loss, Ood: x.Run.Evaluation.Ood.OrderBy(kv => kv.Key, StringComparer.Ordinal).First().Value.FirstOrDefault(o => o.Score == "msp")))
            .Where(x => x.Ood is not null).ToList();
        if (rocs.Count > 0)
        {
            string path = Path.Combine(dir, $"{slug}-roc.png");
            Charts.Save(Charts.RocCurves(rocs.Select(x => (x.Loss, x.Ood!.Roc, x.Ood.Auroc)), "OOD detection ROC (MSP, first seed)"), path, 900, 650);
            md.AppendLine($"![ROC curves](figures/{Path.GetFileName(path)})");
        }
        var panels = byLoss.Select(x => Charts.ReliabilityDiagram(x.Runs[0].Evaluation.Test.Calibration.Reliability, $"{x.Loss} (seed {x.Runs[0].Run.Seed})")).ToList();
        if (panels.Count > 0)
        {
            for (int i = 0; i < panels.Count; i += 4)
            {
                string path = Path.Combine(dir, $"{slug}-reliability-{i / 4 + 1}.png");
                Charts.SavePanels(panels.Skip(i).Take(4).ToList(), path, 600, 560);
                md.AppendLine($"![Reliability diagrams](figures/{Path.GetFileName(path)})");
            }
        }
        md.AppendLine();
    }
}
