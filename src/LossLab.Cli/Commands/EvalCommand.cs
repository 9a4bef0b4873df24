using System.CommandLine;
using LossLab.Reports.Studies;
using LossLab.Training.Data;
using LossLab.Training.Models;
using LossLab.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Cli.Commands;

/// <summary><c>losslab eval --run DIR</c>: evaluates a trained run (test metrics, temperature scaling, OOD, shifts) and writes its report.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "the run folder of losslab train", Required = true };
        var checkpoint = new Option<string>("--checkpoint") { Description = "last or best", DefaultValueFactory = _ => "last" };
        var ood = new Option<string[]>("--ood") { Description = "OOD sets: svhn, mnist, fashion-mnist, cifar10 (with --ood-data), noise, gaussian, constant", AllowMultipleArgumentsPerToken = true };
        var oodData = new Option<string?>("--ood-data") { Description = "the folder of the OOD set's files" };
        var shift = new Option<string[]>("--shift") { Description = "corrupted test sets, e.g. gaussian_noise:3 blur:3 contrast:3 rotation:3", AllowMultipleArgumentsPerToken = true };
        var device = DeviceOption.Create();
        var cmd = new Command("eval", "Evaluate a trained run: accuracy, NLL, Brier, ECE/AdaECE, temperature scaling, OOD detection and shifts; writes evaluation.json and pictures into the run folder.")
        {
            run, checkpoint, ood, oodData, shift, device,
        };
        cmd.SetAction(r => Run(r.GetValue(run)!, r.GetValue(checkpoint)!, r.GetValue(ood) ?? [], r.GetValue(oodData), r.GetValue(shift) ?? [], r.GetValue(device)!, Console.Out, Console.Error));
        return cmd;
    }

    internal static int Run(string runDir, string checkpoint, string[] ood, string? oodData, string[] shifts, string deviceName, TextWriter output, TextWriter errors)
    {
        try
        {
            var files = new RunFiles(runDir);
            if (!File.Exists(files.Config)) throw new FileNotFoundException($"'{runDir}' is not a run folder (no config.json); train one with losslab train --out DIR");
            string ckpt = checkpoint == "best" ? files.BestCheckpoint : checkpoint == "last" ? files.LastCheckpoint : throw new ArgumentException($"--checkpoint must be last or best, got '{checkpoint}'");
            if (!File.Exists(ckpt)) throw new FileNotFoundException($"no {Path.GetFileName(ckpt)} in '{runDir}'");
            var config = TrainConfig.FromJson(File.ReadAllText(files.Config));
            var device = DeviceOption.Parse(deviceName);
            using var data = DatasetCatalog.Load(config.Dataset, config.DataDir, config.ValidationSize, config.Seed, config.TrainLimit);
            using var model = ModelCatalog.Create(config.Model, data.Channels, data.ImageSize, data.NumClasses);
            model.to(device);
            Checkpoint.Load(ckpt, model, null);
            var ev = RunEvaluator.Evaluate(model, data, device, ood, oodData, shifts, config.Seed);
            string json = Path.Combine(runDir, "evaluation.json");
            RunFiles.WriteAtomically(json, ev.ToJson());
            Reports.ReportFonts.Register();
            using var scope = NewDisposeScope();
            var logits = Trainer.Predict(model, data, data.Test, device);
            Tensor? oodLogits = null;
            if (ood.Length > 0)
            {
                using var set = RunEvaluator.LoadOod(ood[0], data, oodData, config.Seed);
                oodLogits = Trainer.Predict(model, data, set, device);
            }
            var withFirstOod = ev.Test with { Ood = ood.Length > 0 ? ev.Ood[ood[0]] : [] };
            var pictures = EvaluateCommand.Pictures(withFirstOod, logits, oodLogits, runDir).ToList();
            var t = ev.Test;
            output.WriteLine($"{config.Model} on {data.Name}, loss {config.Loss} ({Path.GetFileName(ckpt)}): test accuracy {t.Accuracy:P2}, NLL {t.Calibration.Nll:F4}, Brier {t.Calibration.Brier:F4}, ECE {t.Calibration.Ece:F4}, AdaECE {t.Calibration.AdaEce:F4}");
            if (t.Temperature is { } ts) output.WriteLine($"temperature scaling: T = {ts.Temperature:F3}, test ECE {t.Calibration.Ece:F4} -> {t.CalibrationAfterTemperature!.Ece:F4}");
            foreach (var (set, results) in ev.Ood)
                output.WriteLine($"OOD {set}: " + string.Join("; ", results.Select(o => $"{o.Score} AUROC {o.Auroc:F4} FPR95 {o.FprAt95Tpr:F4}")));
            foreach (var (s, r) in ev.Shifts) output.WriteLine($"shift {s}: accuracy {r.Accuracy:P2}, ECE {r.Ece:F4}");
            output.WriteLine($"wrote {json} and {pictures.Count} pictures into {Path.GetFullPath(runDir)}");
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or InvalidDataException)
        {
            errors.WriteLine("losslab eval: " + e.Message);
            return 2;
        }
    }
}
