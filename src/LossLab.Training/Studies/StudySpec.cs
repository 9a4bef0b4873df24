using System.Text.Json;
using System.Text.Json.Serialization;
using LossLab.Training.Training;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace LossLab.Training.Studies;

/// <summary>One loss of a study: a display name and a registry spec.</summary>
public sealed record StudyLoss
{
    /// <summary>The name in tables and legends (e.g. "Focal (gamma=3)").</summary>
    public string Name { get; init; } = "";
    /// <summary>The registry (or composite) spec.</summary>
    public string Spec { get; init; } = "";
}

/// <summary>What a study evaluates beyond the test set.</summary>
public sealed record StudyEvaluation
{
    /// <summary>OOD sets: for Fashion-MNIST <c>mnist</c> (when its files are given in <c>ood_data</c>), <c>noise</c> (uniform noise images), <c>gaussian</c>; for CIFAR <c>svhn</c>.</summary>
    public List<string> Ood { get; init; } = [];
    /// <summary>The folder of an OOD set's files (for svhn or mnist).</summary>
    public string? OodData { get; init; }
    /// <summary>Shift sets, <c>corruption:severity</c> (gaussian_noise, blur, contrast, rotation; severity 1-5).</summary>
    public List<string> Shifts { get; init; } = [];
}

/// <summary>
/// A study: every combination of datasets, models, losses and seeds, trained with one recipe and evaluated the same
/// way. Written as JSON or YAML (snake_case keys); see docs/studies.md.
/// </summary>
public sealed record StudySpec
{
    /// <summary>The study's name (the report's title).</summary>
    public string Name { get; init; } = "study";
    /// <summary>Datasets (fashion-mnist, mnist, cifar10, cifar100, svhn).</summary>
    public List<string> Datasets { get; init; } = ["fashion-mnist"];
    /// <summary>The folder of each dataset's files, by dataset name (default: the dataset's default location).</summary>
    public Dictionary<string, string> Data { get; init; } = new();
    /// <summary>Models.</summary>
    public List<string> Models { get; init; } = ["small_cnn"];
    /// <summary>Losses.</summary>
    public List<StudyLoss> Losses { get; init; } = [];
    /// <summary>Seeds.</summary>
    public List<int> Seeds { get; init; } = [0, 1, 2];
    /// <summary>The training recipe shared by every run (dataset, model, loss and seed are filled in per run).</summary>
    public TrainConfig Training { get; init; } = new();
    /// <summary>What is evaluated after training.</summary>
    public StudyEvaluation Evaluation { get; init; } = new();
    /// <summary>How many runs at once (each with its share of the CPU threads).</summary>
    public int Parallel { get; init; } = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Reads a spec from JSON or YAML text (by the file name's extension: .yaml/.yml is YAML).</summary>
    /// <exception cref="InvalidDataException">The text does not parse, or names an unknown key; the message says where.</exception>
    public static StudySpec Parse(string text, string fileName)
    {
        try
        {
            string json = text;
            if (fileName.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            {
                var yaml = new DeserializerBuilder().Build().Deserialize<object>(text);
                json = ToJsonNode(yaml)?.ToJsonString() ?? "null";
            }
            var spec = JsonSerializer.Deserialize<StudySpec>(json, Json) ?? throw new InvalidDataException($"{fileName}: empty study spec");
            spec.Validate(fileName);
            return spec;
        }
        catch (Exception e) when (e is JsonException or YamlDotNet.Core.YamlException)
        {
            throw new InvalidDataException($"{fileName}: {e.Message}", e);
        }
    }

    // YAML scalars arrive as text: numbers, booleans and null are recognised as in YAML 1.2's core schema.
    private static System.Text.Json.Nodes.JsonNode? ToJsonNode(object? value)
    {
        switch (value)
        {
            case null: return null;
            case IDictionary<object, object> map:
                {
                    var o = new System.Text.Json.Nodes.JsonObject();
                    foreach (var (k, v) in map) o[Convert.ToString(k, System.Globalization.CultureInfo.InvariantCulture)!] = ToJsonNode(v);
                    return o;
                }
            case IEnumerable<object> list:
                {
                    var a = new System.Text.Json.Nodes.JsonArray();
                    foreach (var v in list) a.Add(ToJsonNode(v));
                    return a;
                }
            case string str:
                if (str is "null" or "~") return null;
                if (str is "true" or "false") return System.Text.Json.Nodes.JsonValue.Create(str == "true");
                if (long.TryParse(str, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long l)) return System.Text.Json.Nodes.JsonValue.Create(l);
                if (double.TryParse(str, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d)) return System.Text.Json.Nodes.JsonValue.Create(d);
                return System.Text.Json.Nodes.JsonValue.Create(str);
            default:
                return System.Text.Json.Nodes.JsonValue.Create(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The spec as JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Checks the spec, naming the first problem.</summary>
    public void Validate(string source = "study spec")
    {
        void Need(bool ok, string what) { if (!ok) throw new InvalidDataException($"{source}: {what}"); }
        Need(Datasets.Count > 0, "'datasets' is empty");
        Need(Models.Count > 0, "'models' is empty");
        Need(Losses.Count > 0, "'losses' is empty");
        Need(Seeds.Count > 0, "'seeds' is empty");
        Need(Parallel >= 1, $"'parallel' must be at least 1, got {Parallel}");
        Need(Losses.Select(l => l.Name).Distinct().Count() == Losses.Count, "two losses have the same name");
        foreach (var l in Losses)
        {
            Need(l.Name.Length > 0 && l.Spec.Length > 0, "every loss needs a 'name' and a 'spec'");
            try { Registry.LossCatalog.CreateTrainingLoss(l.Spec); }
            catch (Exception e) when (e is ArgumentException or FormatException) { throw new InvalidDataException($"{source}: loss '{l.Name}': {e.Message}", e); }
        }
        try { Training.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{source}: training: {e.Message}", e); }
    }

    /// <summary>Every combination, in a fixed order (dataset, model, loss, seed), with its run folder under <paramref name="root"/>.</summary>
    public IReadOnlyList<StudyRun> Expand(string root)
    {
        var runs = new List<StudyRun>();
        foreach (var d in Datasets)
            foreach (var m in Models)
                foreach (var l in Losses)
                    foreach (var s in Seeds)
                    {
                        var config = Training with { Dataset = d, DataDir = Data.GetValueOrDefault(d), Model = m, Loss = l.Spec, Seed = s };
                        string folder = Path.Combine(root, "runs", Slug(d), Slug(m), Slug(l.Name), $"seed-{s}");
                        runs.Add(new StudyRun(runs.Count, d, m, l, s, config, folder));
                    }
        return runs;
    }

    /// <summary>A file-name-safe form of a name.</summary>
    public static string Slug(string name)
    {
        var chars = name.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray();
        return string.Join("-", new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
    }
}

/// <summary>One combination of a study.</summary>
/// <param name="Index">Its position in the expansion (the Slurm array index).</param>
/// <param name="Dataset">Dataset.</param>
/// <param name="Model">Model.</param>
/// <param name="Loss">Loss.</param>
/// <param name="Seed">Seed.</param>
/// <param name="Config">The full training configuration.</param>
/// <param name="Folder">Its run folder.</param>
public sealed record StudyRun(int Index, string Dataset, string Model, StudyLoss Loss, int Seed, TrainConfig Config, string Folder)
{
    /// <summary>evaluation.json in the run folder: written last, so its presence marks a finished run.</summary>
    public string EvaluationFile => Path.Combine(Folder, "evaluation.json");

    /// <summary>failed in the run folder: the reason a run could not finish (its loss diverged).</summary>
    public string FailureFile => Path.Combine(Folder, "failed");
}
