using LossLab.Training.Training;

namespace LossLab.Training.Data;

/// <summary>Loads a run's data by dataset name from a local folder (nothing is downloaded); see <see cref="Datasets"/>.</summary>
public static class DatasetCatalog
{
    /// <summary>Where a dataset is looked for when no folder is given: Debian's Fashion-MNIST package, where installed.</summary>
    public static string? DefaultFolder(string name) =>
        Datasets.Get(name).Name == "fashion-mnist" && Directory.Exists(FashionMnist.DebianFolder) ? FashionMnist.DebianFolder : null;

    /// <summary>
    /// Loads a dataset: its training set less a seeded validation part of <c>min(validationSize, N / 10)</c> images,
    /// optionally cut to the first <paramref name="trainLimit"/> training images, and its test set.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name, or no folder given and none found.</exception>
    public static TrainingData Load(string name, string? folder, int validationSize, int seed, int trainLimit = 0)
    {
        var info = Datasets.Get(name);
        string dir = folder ?? DefaultFolder(name)
            ?? throw new ArgumentException($"no folder given for dataset '{name}' and none found; pass --data DIR ({info.Title}: {info.Files}; {info.Url})");
        var splits = Datasets.Load(info.Name, dir, seed, n => Math.Max(1, Math.Min(validationSize, n / 10)));
        var train = splits.Train;
        if (trainLimit > 0 && trainLimit < train.Count)
        {
            using var idx = TorchSharp.torch.arange(trainLimit, dtype: TorchSharp.torch.ScalarType.Int64);
            var cut = train.Subset(idx);
            train.Dispose();
            train = cut;
        }
        return new TrainingData(info.Name, train, splits.Validation, splits.Test, info.Normalization, info.Classes.Count, info.CropPadding, info.HorizontalFlip);
    }
}
