namespace LossLab.Training.Data;

/// <summary>What a training run needs to know about a dataset.</summary>
/// <param name="Name">The name <see cref="Datasets.Get"/> takes.</param>
/// <param name="Title">The dataset's usual name.</param>
/// <param name="Classes">The class names, in label order.</param>
/// <param name="Channels">Image channels.</param>
/// <param name="Size">Image height and width.</param>
/// <param name="Normalization">The per-channel constants.</param>
/// <param name="ValidationCount">The size of the seeded validation part of the training set.</param>
/// <param name="CropPadding">The standard augmentation's crop padding (0: none).</param>
/// <param name="HorizontalFlip">Whether the standard augmentation flips.</param>
/// <param name="Files">The files expected in the folder.</param>
/// <param name="Url">Where to get them.</param>
public sealed record DatasetInfo(
    string Name, string Title, IReadOnlyList<string> Classes, int Channels, int Size, Normalization Normalization,
    int ValidationCount, int CropPadding, bool HorizontalFlip, string Files, string Url)
{
    /// <summary>Loader options with this dataset's standard augmentation.</summary>
    public BatchOptions TrainingOptions(long seed, TorchSharp.torch.Device? device = null) =>
        BatchOptions.Training(seed, CropPadding, HorizontalFlip, device);
}

/// <summary>
/// The datasets by name (<c>cifar10</c>, <c>cifar100</c>, <c>cifar100-coarse</c>, <c>svhn</c>, <c>mnist</c>,
/// <c>fashion-mnist</c>), read from local files (nothing is downloaded), with the train/validation/test split of
/// docs/datasets.md.
/// </summary>
public static class Datasets
{
    /// <summary>Every dataset.</summary>
    public static IReadOnlyList<DatasetInfo> All { get; } =
    [
        new("cifar10", "CIFAR-10", Cifar10.Classes, 3, 32, Normalization.Cifar10, 5000, 4, true,
            "data_batch_1.bin .. data_batch_5.bin, test_batch.bin (or in cifar-10-batches-bin/)", Cifar10.Url),
        new("cifar100", "CIFAR-100", Cifar100.FineClasses, 3, 32, Normalization.Cifar100, 5000, 4, true,
            "train.bin, test.bin (or in cifar-100-binary/)", Cifar100.Url),
        new("cifar100-coarse", "CIFAR-100 (20 superclasses)", Cifar100.CoarseClasses, 3, 32, Normalization.Cifar100, 5000, 4, true,
            "train.bin, test.bin (or in cifar-100-binary/)", Cifar100.Url),
        new("svhn", "SVHN", Svhn.Classes, 3, 32, Normalization.Svhn, 5000, 0, false,
            "train_32x32.mat, test_32x32.mat (extra_32x32.mat optional)", Svhn.Url),
        new("mnist", "MNIST", Mnist.Classes, 1, 28, Normalization.Mnist, 5000, 0, false,
            "{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]", Mnist.Url),
        new("fashion-mnist", "Fashion-MNIST", FashionMnist.Classes, 1, 28, Normalization.FashionMnist, 5000, 0, false,
            "{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]", "https://github.com/zalandoresearch/fashion-mnist (or Debian's dataset-fashion-mnist)"),
    ];

    /// <summary>A dataset by name (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No such dataset; the message lists the names.</exception>
    public static DatasetInfo Get(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown dataset '{name}'; known: {string.Join(", ", All.Select(d => d.Name))}", nameof(name));

    /// <summary>Reads the official <c>train</c> or <c>test</c> split of a dataset from a folder.</summary>
    public static ImageSet LoadSplit(string name, string folder, string split)
    {
        if (split is not ("train" or "test")) throw new ArgumentException($"Datasets.LoadSplit: split must be 'train' or 'test', got '{split}'", nameof(split));
        return Get(name).Name switch
        {
            "cifar10" => Cifar10.Load(folder, split),
            "cifar100" => Cifar100.Load(folder, split),
            "cifar100-coarse" => Cifar100.Load(folder, split, Cifar100Labels.Coarse),
            "svhn" => Svhn.Load(folder, split),
            "mnist" => Mnist.Load(folder, split == "test" ? "t10k" : split),
            _ => FashionMnist.Load(folder, split == "test" ? "t10k" : split),
        };
    }

    /// <summary>
    /// Train/validation/test: the official training set less a seeded validation part of
    /// <paramref name="validationCount"/> images (default: the dataset's <see cref="DatasetInfo.ValidationCount"/>,
    /// at most a tenth of the training set, so small samples get a tenth), and the official test set.
    /// </summary>
    public static DataSplits Load(string name, string folder, long seed = 0, long? validationCount = null)
    {
        var info = Get(name);
        return Load(info.Name, folder, seed, n => validationCount ?? Math.Max(1, Math.Min(info.ValidationCount, n / 10)));
    }

    /// <summary>As <see cref="Load(string, string, long, long?)"/>, with the validation size a function of the training set's size.</summary>
    public static DataSplits Load(string name, string folder, long seed, Func<long, long> validationCount)
    {
        var info = Get(name);
        var train = LoadSplit(info.Name, folder, "train");
        ImageSet test;
        try
        {
            test = LoadSplit(info.Name, folder, "test");
        }
        catch
        {
            train.Dispose();
            throw;
        }
        return Split.Of(train, test, validationCount(train.Count), seed);
    }
}
