using LossLab.Training.Training;

namespace LossLab.Training.Data;

/// <summary>Loads training data by name from a local folder (nothing is downloaded).</summary>
public static class DatasetCatalog
{
    /// <summary>The dataset names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["fashion-mnist", "mnist"];

    /// <summary>Where a dataset is looked for when no folder is given.</summary>
    public static string? DefaultFolder(string name) => Normalize(name) switch
    {
        "fashion-mnist" => Directory.Exists(FashionMnist.DebianFolder) ? FashionMnist.DebianFolder : null,
        _ => null,
    };

    /// <summary>
    /// Loads a dataset's training set (split into training and validation parts with the run's seed) and its test set.
    /// The validation part is <c>min(validationSize, N / 10)</c> images of the training set.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name, or no folder given and none found.</exception>
    public static TrainingData Load(string name, string? folder, int validationSize, int seed, int trainLimit = 0)
    {
        string n = Normalize(name);
        string dir = folder ?? DefaultFolder(n)
            ?? throw new ArgumentException($"no folder given for dataset '{name}' and none found; pass --data DIR");
        switch (n)
        {
            case "fashion-mnist":
            case "mnist":
                {
                    using var all = FashionMnist.Load(dir, "train");
                    var test = FashionMnist.Load(dir, "t10k");
                    int val = (int)Math.Min(validationSize, all.Count / 10);
                    var (train, validation) = TrainingData.SplitValidation(all, val, seed, trainLimit);
                    var (mean, std) = n == "mnist" ? (0.1307, 0.3081) : (FashionMnist.Mean, FashionMnist.Std);
                    return new TrainingData(n, train, validation, test, [mean], [std], 10);
                }
            default:
                throw new ArgumentException($"unknown dataset '{name}'; datasets: {string.Join(", ", Names)}", nameof(name));
        }
    }

    private static string Normalize(string name) => name.Trim().ToLowerInvariant().Replace('_', '-') switch
    {
        "fashion-mnist" or "fashionmnist" or "fmnist" => "fashion-mnist",
        var other => other,
    };
}
