using System.Text.Json;
using System.Text.Json.Serialization;
using LossLab.Training.Data;
using LossLab.Training.Studies;
using LossLab.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Reports.Studies;

/// <summary>Accuracy and calibration of a model on a shifted (corrupted) copy of its test set.</summary>
/// <param name="Accuracy">Accuracy.</param>
/// <param name="Ece">Expected calibration error (15 bins).</param>
/// <param name="Nll">Negative log-likelihood.</param>
public sealed record ShiftResult(double Accuracy, double Ece, double Nll);

/// <summary>
/// The evaluation of one trained run: the test-set <see cref="Evaluation"/> (with the temperature fitted on the
/// validation split), OOD detection against each OOD set, and accuracy/calibration under each shift.
/// Written as <c>evaluation.json</c> in the run folder.
/// </summary>
public sealed record RunEvaluation
{
    /// <summary>Test-set metrics, temperature scaling included.</summary>
    public required Evaluation Test { get; init; }
    /// <summary>Per OOD set, each score's detection metrics.</summary>
    public Dictionary<string, List<OodDetectionResult>> Ood { get; init; } = new();
    /// <summary>Per shift (e.g. <c>gaussian_noise:3</c>), accuracy and ECE.</summary>
    public Dictionary<string, ShiftResult> Shifts { get; init; } = new();

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>As JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads evaluation.json.</summary>
    public static RunEvaluation FromJson(string json) => JsonSerializer.Deserialize<RunEvaluation>(json, Json) ?? throw new JsonException("empty run evaluation");
}

/// <summary>Evaluates a trained model the way studies and <c>losslab eval</c> do.</summary>
public static class RunEvaluator
{
    /// <summary>The OOD sets a study can name for a dataset: noise, gaussian, constant (synthetic), and svhn / mnist / fashion-mnist / cifar10 from files.</summary>
    public static ImageSet LoadOod(string name, TrainingData data, string? folder, long seed)
    {
        long n = Math.Min(data.Test.Count, 2000);
        int c = data.Channels, s = data.ImageSize;
        return name switch
        {
            "noise" or "uniform" => SyntheticOod.UniformNoise(n, c, s, s, seed),
            "gaussian" => SyntheticOod.GaussianNoise(n, c, s, s, seed),
            "constant" => SyntheticOod.Constant(n, c, s, s, seed),
            _ => Datasets.LoadSplit(name, folder ?? throw new ArgumentException($"OOD set '{name}' needs its folder (ood_data / --ood-data)"), "test"),
        };
    }

    /// <summary>Parses a shift <c>corruption:severity</c> (gaussian_noise, blur, contrast, rotation; 1-5).</summary>
    public static (Corruption Corruption, int Severity) ParseShift(string text)
    {
        var parts = text.Split(':');
        Corruption k = parts[0].Trim().ToLowerInvariant() switch
        {
            "gaussian_noise" or "noise" => Corruption.GaussianNoise,
            "blur" or "gaussian_blur" => Corruption.GaussianBlur,
            "contrast" => Corruption.Contrast,
            "rotation" or "rotate" => Corruption.Rotation,
            _ => throw new ArgumentException($"unknown shift '{text}'; use gaussian_noise, blur, contrast or rotation with :severity 1-5"),
        };
        int severity = parts.Length > 1 && int.TryParse(parts[1], out int v) ? v : 3;
        if (severity < 1 || severity > 5) throw new ArgumentException($"shift '{text}': severity must be 1 to 5");
        return (k, severity);
    }

    /// <summary>Evaluates a model: test metrics with temperature scaling on the validation split, OOD sets, shifts.</summary>
    public static RunEvaluation Evaluate(nn.Module<Tensor, Tensor> model, TrainingData data, Device device, IEnumerable<string> oodSets, string? oodFolder, IEnumerable<string> shifts, long seed = 0)
    {
        using var scope = NewDisposeScope();
        var test = Trainer.Predict(model, data, data.Test, device).to_type(ScalarType.Float64);
        Tensor? val = data.Validation.Count > 0 ? Trainer.Predict(model, data, data.Validation, device).to_type(ScalarType.Float64) : null;
        var ev = Evaluation.Compute(test, data.Test.Labels, val_logits: val, val_labels: val is null ? null : data.Validation.Labels);
        var ood = new Dictionary<string, List<OodDetectionResult>>();
        foreach (var name in oodSets)
        {
            using var inner = NewDisposeScope();
            using var set = LoadOod(name, data, oodFolder, seed);
            var logits = Trainer.Predict(model, data, set, device).to_type(ScalarType.Float64);
            ood[name] = new EvaluationOptions().OodScores
                .Select(score => OodDetection.Evaluate(OodDetection.ScoreName(score), Metrics.ood_score(test, score), Metrics.ood_score(logits, score)))
                .ToList();
        }
        var shifted = new Dictionary<string, ShiftResult>();
        foreach (var shift in shifts)
        {
            using var inner = NewDisposeScope();
            var (kind, severity) = ParseShift(shift);
            using var set = Corruptions.Apply(data.Test, kind, severity, seed);
            var logits = Trainer.Predict(model, data, set, device).to_type(ScalarType.Float64);
            var probs = torch.softmax(logits, 1);
            shifted[shift] = new ShiftResult(Metrics.accuracy(logits, set.Labels).item<double>(), Metrics.ece(probs, set.Labels).item<double>(), Metrics.nll(logits, set.Labels).item<double>());
        }
        return new RunEvaluation { Test = ev, Ood = ood, Shifts = shifted };
    }

    /// <summary>The study evaluator: <see cref="Evaluate"/> with the study's OOD sets and shifts, as JSON.</summary>
    public static Func<RunToEvaluate, string> ForStudy(StudySpec spec) => r =>
        Evaluate(r.Model, r.Data, r.Device, spec.Evaluation.Ood, spec.Evaluation.OodData, spec.Evaluation.Shifts, r.Run.Seed).ToJson();
}
