using System.Text.Json;
using System.Text.Json.Serialization;

namespace LossLab.Training.Training;

/// <summary>
/// Everything that defines a training run; saved as <c>config.json</c> in the run folder. The defaults are the IQ Loss
/// paper's SGD recipe (momentum 0.9, weight decay 5e-4, batch 128, lr 0.1 times 0.1 at epochs 150 and 250 of 350).
/// </summary>
public sealed record TrainConfig
{
    /// <summary>The dataset name (fashion-mnist, mnist, cifar10, cifar100, svhn).</summary>
    public string Dataset { get; init; } = "fashion-mnist";
    /// <summary>The folder of the dataset's files (null: the dataset's default location).</summary>
    public string? DataDir { get; init; }
    /// <summary>The model name (see ModelCatalog).</summary>
    public string Model { get; init; } = "small_cnn";
    /// <summary>The loss, as a registry spec (e.g. <c>iq:divergence=js</c>).</summary>
    public string Loss { get; init; } = "cross_entropy";
    /// <summary>Number of epochs.</summary>
    public int Epochs { get; init; } = 350;
    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; init; } = 128;
    /// <summary>Initial learning rate.</summary>
    public double Lr { get; init; } = 0.1;
    /// <summary>SGD momentum.</summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; init; }
    /// <summary>Weight decay (L2, as SGD's weight_decay).</summary>
    public double WeightDecay { get; init; } = 5e-4;
    /// <summary>paper (times 0.1 at 150/350 and 250/350 of the epochs), cosine, or constant.</summary>
    public string Schedule { get; init; } = "paper";
    /// <summary>Clip the gradient's global L2 norm to this (0: no clipping).</summary>
    public double ClipGradNorm { get; init; }
    /// <summary>IQ-Learn's Wasserstein-1 gradient penalty weight lambda_gp (0: none).</summary>
    public double LambdaGp { get; init; }
    /// <summary>Random seed: model initialisation, shuffling, augmentation, validation split.</summary>
    public int Seed { get; init; }
    /// <summary>cpu, cuda or cuda:N.</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Random crop (padding 4) and horizontal flip on training batches.</summary>
    public bool Augment { get; init; }
    /// <summary>Use only the first this-many training images (0: all), for quick runs.</summary>
    public int TrainLimit { get; init; }
    /// <summary>Validation images held out of the training set (the paper: 5,000 for CIFAR).</summary>
    public int ValidationSize { get; init; } = 5000;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The configuration as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a configuration from JSON.</summary>
    public static TrainConfig FromJson(string json) => JsonSerializer.Deserialize<TrainConfig>(json, Json) ?? throw new InvalidDataException("empty training configuration");

    /// <summary>Checks the values, throwing an exception that names the first bad one.</summary>
    public void Validate()
    {
        static void Need(bool ok, string what) { if (!ok) throw new ArgumentException("training configuration: " + what); }
        Need(Epochs >= 1, $"epochs must be at least 1, got {Epochs}");
        Need(BatchSize >= 1, $"batch size must be at least 1, got {BatchSize}");
        Need(Lr > 0 && double.IsFinite(Lr), $"lr must be > 0, got {Lr}");
        Need(Momentum >= 0 && Momentum < 1, $"momentum must be in [0, 1), got {Momentum}");
        Need(WeightDecay >= 0, $"weight decay must be >= 0, got {WeightDecay}");
        Need(Schedule is "paper" or "cosine" or "constant", $"schedule must be paper, cosine or constant, got '{Schedule}'");
        Need(ClipGradNorm >= 0, $"clip-grad-norm must be >= 0, got {ClipGradNorm}");
        Need(LambdaGp >= 0, $"lambda-gp must be >= 0, got {LambdaGp}");
        Need(TrainLimit >= 0, $"train limit must be >= 0, got {TrainLimit}");
        Need(ValidationSize >= 0, $"validation size must be >= 0, got {ValidationSize}");
        Need(!Nesterov || Momentum > 0, "nesterov needs momentum > 0");
    }
}
