namespace LossLab.Training.Data;

/// <summary>
/// MNIST in IDX files (the same layout as Fashion-MNIST, read by <see cref="FashionMnist.Load"/>):
/// <c>train-images-idx3-ubyte[.gz]</c>, <c>train-labels-idx1-ubyte[.gz]</c>, <c>t10k-images-idx3-ubyte[.gz]</c>,
/// <c>t10k-labels-idx1-ubyte[.gz]</c>.
/// </summary>
public static class Mnist
{
    /// <summary>Where to get the files (the mirror torchvision uses).</summary>
    public const string Url = "https://ossci-datasets.s3.amazonaws.com/mnist/";

    /// <summary>The class names, in label order.</summary>
    public static IReadOnlyList<string> Classes { get; } = Svhn.Classes;

    /// <summary>Reads one split (<c>train</c>: 60,000 images; <c>t10k</c>: 10,000) as uint8 (N, 1, 28, 28) and int64 labels.</summary>
    /// <exception cref="FileNotFoundException">Files are missing; the message lists them and says where to get them.</exception>
    /// <exception cref="InvalidDataException">A file is truncated or not IDX; the message names it.</exception>
    public static ImageSet Load(string folder, string split)
    {
        var missing = new[] { $"{split}-images-idx3-ubyte", $"{split}-labels-idx1-ubyte" }
            .Where(stem => !File.Exists(Path.Combine(folder, stem)) && !File.Exists(Path.Combine(folder, stem + ".gz")))
            .ToList();
        if (missing.Count > 0)
            throw new FileNotFoundException(
                $"MNIST: missing {string.Join(", ", missing.Select(m => m + "[.gz]"))} in '{folder}'. Download {string.Join(", ", missing.Select(m => m + ".gz"))} from {Url} into that folder.",
                Path.Combine(folder, missing[0] + ".gz"));
        return FashionMnist.Load(folder, split);
    }
}
