using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>What <see cref="Evaluation.Compute"/> computes and how.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Bins of ECE, AdaECE, classwise ECE, MCE and the reliability diagrams (15, as Guo et al. and Mukhoti et al.).</summary>
    public long Bins { get; init; } = 15;
    /// <summary>The k of the top-k accuracy (5).</summary>
    public long TopK { get; init; } = 5;
    /// <summary>How the temperature is fitted on the validation split.</summary>
    public TemperatureObjective TemperatureObjective { get; init; } = TemperatureObjective.Nll;
    /// <summary>The OOD scores to evaluate (all four by default).</summary>
    public IReadOnlyList<OodScore> OodScores { get; init; } = [OodScore.MaxSoftmax, OodScore.MaxLogit, OodScore.NegativeEntropy, OodScore.Energy];
    /// <summary>The temperature of the energy score (1).</summary>
    public double EnergyTemperature { get; init; } = 1.0;
}

/// <summary>The probabilistic and calibration metrics of one set of probabilities against labels.</summary>
public sealed record CalibrationMetrics
{
    /// <summary>Mean negative log-likelihood, <see cref="Metrics.nll"/>.</summary>
    public required double Nll { get; init; }
    /// <summary>Brier score, <see cref="Metrics.brier"/>.</summary>
    public required double Brier { get; init; }
    /// <summary>Expected calibration error, equal-width bins, <see cref="Metrics.ece(Tensor, Tensor, long)"/>.</summary>
    public required double Ece { get; init; }
    /// <summary>Adaptive ECE, equal-mass bins, <see cref="Metrics.adaece"/>.</summary>
    public required double AdaEce { get; init; }
    /// <summary>Classwise ECE, <see cref="Metrics.classwise_ece"/>.</summary>
    public required double ClasswiseEce { get; init; }
    /// <summary>Maximum calibration error, <see cref="Metrics.mce(Tensor, Tensor, long)"/>.</summary>
    public required double Mce { get; init; }
    /// <summary>The reliability diagram with the equal-width bins of the ECE.</summary>
    public required ReliabilityDiagram Reliability { get; init; }
}

/// <summary>
/// Everything measured about one classifier on one test set: accuracy, error, top-k, NLL, Brier, ECE, AdaECE,
/// classwise ECE, MCE and the reliability bins; optionally the temperature fitted on a validation split with the test
/// metrics after scaling; optionally, for an out-of-distribution set, each OOD score's AUROC, AUPR-In, AUPR-Out,
/// FPR at 95% TPR and ROC curve. Serialises to and from JSON (<see cref="ToJson"/>, <see cref="FromJson"/>).
/// </summary>
public sealed record Evaluation
{
    /// <summary>The number of test samples.</summary>
    public required long Samples { get; init; }
    /// <summary>The number of classes.</summary>
    public required long Classes { get; init; }
    /// <summary>Accuracy on the test set.</summary>
    public required double Accuracy { get; init; }
    /// <summary>Error on the test set, 1 - accuracy.</summary>
    public required double Error { get; init; }
    /// <summary>The k of <see cref="TopKAccuracy"/>.</summary>
    public required long TopK { get; init; }
    /// <summary>Top-k accuracy on the test set.</summary>
    public required double TopKAccuracy { get; init; }
    /// <summary>The number of bins of every binned metric.</summary>
    public required long Bins { get; init; }
    /// <summary>The calibration metrics of the softmax of the test logits.</summary>
    public required CalibrationMetrics Calibration { get; init; }
    /// <summary>The temperature fitted on the validation split, or null when none was given.</summary>
    public TemperatureScalingResult? Temperature { get; init; }
    /// <summary>The test set's calibration metrics after dividing its logits by the fitted temperature, or null.</summary>
    public CalibrationMetrics? CalibrationAfterTemperature { get; init; }
    /// <summary>The number of OOD samples (0 when no OOD set was given).</summary>
    public long OodSamples { get; init; }
    /// <summary>Per OOD score, its detection metrics and ROC curve (empty when no OOD set was given).</summary>
    public IReadOnlyList<OodDetectionResult> Ood { get; init; } = [];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// Evaluates a classifier from its test logits and labels, and optionally OOD logits and a validation split.
    /// </summary>
    /// <remarks>
    /// Probabilities are <c>softmax(logits)</c> in float64. With <paramref name="val_logits"/> and
    /// <paramref name="val_labels"/>, T is fitted on them (<see cref="TemperatureScaling.Fit"/>) and the test metrics
    /// are computed again on <c>logits / T</c> (accuracy is unchanged by T). With <paramref name="ood_logits"/>, every
    /// score of <see cref="EvaluationOptions.OodScores"/> is computed on the test (in-distribution) and OOD logits and
    /// evaluated by <see cref="OodDetection.Evaluate(string, Tensor, Tensor)"/>.
    /// <code>
    /// var ev = Evaluation.Compute(testLogits, testLabels, ood_logits: svhnLogits, val_logits: valLogits, val_labels: valLabels);
    /// string json = ev.ToJson();
    /// </code>
    /// </remarks>
    /// <param name="logits">Test logits, shape (N, C), finite.</param>
    /// <param name="labels">Test labels, shape (N), integer in [0, C).</param>
    /// <param name="ood_logits">Optional OOD logits, shape (M, C), finite.</param>
    /// <param name="val_logits">Optional validation logits, shape (V, C), finite; needs <paramref name="val_labels"/>.</param>
    /// <param name="val_labels">Optional validation labels, shape (V); needs <paramref name="val_logits"/>.</param>
    /// <param name="options">Bins, k, the temperature objective and the OOD scores; defaults when null.</param>
    /// <returns>The evaluation.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes or values; a validation split given by half; class counts that differ.</exception>
    public static Evaluation Compute(Tensor logits, Tensor labels, Tensor? ood_logits = null, Tensor? val_logits = null, Tensor? val_labels = null, EvaluationOptions? options = null)
    {
        const string name = "Evaluation.Compute";
        options ??= new EvaluationOptions();
        Check.ClassifierOutputs(logits, nameof(logits), labels, nameof(labels), name);
        Check.FiniteLogits(logits, name, nameof(logits));
        Check.Param(options.Bins >= 1, name, "options.Bins", ">= 1", options.Bins);
        Check.Param(options.TopK >= 1, name, "options.TopK", ">= 1", options.TopK);
        long c = logits.shape[1];
        if ((val_logits is null) != (val_labels is null))
            throw new ArgumentException($"{name}: give both 'val_logits' and 'val_labels', or neither", val_logits is null ? nameof(val_logits) : nameof(val_labels));
        if (val_logits is not null)
        {
            Check.ClassifierOutputs(val_logits, nameof(val_logits), val_labels!, nameof(val_labels), name);
            Check.Size(val_logits, 1, c, name, nameof(val_logits), "classes, as 'logits' has");
        }
        if (ood_logits is not null)
        {
            Check.FiniteLogits(ood_logits, name, nameof(ood_logits));
            Check.Size(ood_logits, 1, c, name, nameof(ood_logits), "classes, as 'logits' has");
        }

        using var scope = NewDisposeScope();
        var z = logits.detach().to_type(ScalarType.Float64);
        var calibration = Calibrate(z, labels, options.Bins);
        TemperatureScalingResult? fit = null;
        CalibrationMetrics? after = null;
        if (val_logits is not null)
        {
            fit = TemperatureScaling.Fit(val_logits, val_labels!, options.TemperatureObjective, options.Bins);
            after = Calibrate(z / fit.Temperature, labels, options.Bins);
        }
        var ood = new List<OodDetectionResult>();
        if (ood_logits is not null)
        {
            foreach (var score in options.OodScores)
            {
                using var s = NewDisposeScope();
                var si = Metrics.ood_score(z, score, options.EnergyTemperature);
                var so = Metrics.ood_score(ood_logits, score, options.EnergyTemperature);
                ood.Add(OodDetection.Evaluate(OodDetection.ScoreName(score), si, so));
            }
        }
        return new Evaluation
        {
            Samples = z.shape[0],
            Classes = c,
            Accuracy = Metrics.accuracy(z, labels).item<double>(),
            Error = Metrics.error(z, labels).item<double>(),
            TopK = options.TopK,
            TopKAccuracy = Metrics.top_k_accuracy(z, labels, options.TopK).item<double>(),
            Bins = options.Bins,
            Calibration = calibration,
            Temperature = fit,
            CalibrationAfterTemperature = after,
            OodSamples = ood_logits?.shape[0] ?? 0,
            Ood = ood,
        };
    }

    /// <summary>The evaluation as indented JSON (snake_case names; infinities written as "Infinity").</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads an evaluation written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The evaluation.</returns>
    /// <exception cref="JsonException">The text is not an evaluation.</exception>
    public static Evaluation FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return JsonSerializer.Deserialize<Evaluation>(json, Json) ?? throw new JsonException("the JSON text holds null, not an evaluation");
    }

    private static CalibrationMetrics Calibrate(Tensor z, Tensor labels, long bins)
    {
        using var scope = NewDisposeScope();
        var p = torch.softmax(z, 1);
        return new CalibrationMetrics
        {
            Nll = Metrics.nll(z, labels).item<double>(),
            Brier = Metrics.brier(p, labels, MetricInput.Probabilities).item<double>(),
            Ece = Metrics.ece(p, labels, bins).item<double>(),
            AdaEce = Metrics.adaece(p, labels, bins).item<double>(),
            ClasswiseEce = Metrics.classwise_ece(p, labels, bins).item<double>(),
            Mce = Metrics.mce(p, labels, bins).item<double>(),
            Reliability = Metrics.reliability_diagram(p, labels, bins),
        };
    }
}
