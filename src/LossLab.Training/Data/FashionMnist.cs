using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Data;

/// <summary>An image classification set held in memory: uint8 images (N, C, H, W) and int64 labels (N).</summary>
/// <param name="Images">The images, uint8, (N, C, H, W) (C is 1 for the IDX sets, 3 for CIFAR and SVHN).</param>
/// <param name="Labels">The labels, int64, (N).</param>
/// <param name="Source">Where it was read from.</param>
public sealed record ImageSet(Tensor Images, Tensor Labels, string Source) : IDisposable
{
    /// <summary>How many images.</summary>
    public long Count => Labels.shape[0];

    /// <summary>Images as float32 in [0, 1], normalised by a mean and standard deviation.</summary>
    public Tensor Normalized(double mean, double std) => (Images.to_type(ScalarType.Float32) / 255.0 - mean) / std;

    /// <inheritdoc/>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>
/// Fashion-MNIST (and MNIST) in IDX files: <c>train-images-idx3-ubyte[.gz]</c>, <c>train-labels-idx1-ubyte[.gz]</c>,
/// <c>t10k-images-idx3-ubyte[.gz]</c>, <c>t10k-labels-idx1-ubyte[.gz]</c>.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the full set.</summary>
    public const string DebianFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>The class names, in label order.</summary>
    public static IReadOnlyList<string> Classes { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The training-set mean and standard deviation of pixel values in [0, 1].</summary>
    public const double Mean = 0.2860, Std = 0.3530;

    /// <summary>Reads one split (<c>train</c> or <c>t10k</c>) from a folder.</summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message says which and where to get it.</exception>
    public static ImageSet Load(string folder, string split)
    {
        string images = Find(folder, $"{split}-images-idx3-ubyte");
        string labels = Find(folder, $"{split}-labels-idx1-ubyte");
        var img = IdxReader.Read(images);
        var lab = IdxReader.Read(labels);
        if (img.Shape.Length != 3) throw new InvalidDataException($"{images}: expected a rank-3 IDX array (N, H, W), got rank {img.Shape.Length}");
        if (lab.Shape.Length != 1) throw new InvalidDataException($"{labels}: expected a rank-1 IDX array (N), got rank {lab.Shape.Length}");
        if (img.Shape[0] != lab.Shape[0]) throw new InvalidDataException($"{images} holds {img.Shape[0]} images but {labels} holds {lab.Shape[0]} labels");
        int n = img.Shape[0], h = img.Shape[1], w = img.Shape[2];
        var x = torch.tensor(img.Data, new long[] { n, 1, h, w }, dtype: ScalarType.Byte);
        var y = torch.tensor(lab.Data.Select(b => (long)b).ToArray(), dtype: ScalarType.Int64);
        return new ImageSet(x, y, folder);
    }

    private static string Find(string folder, string stem)
    {
        foreach (var candidate in new[] { Path.Combine(folder, stem + ".gz"), Path.Combine(folder, stem) })
            if (File.Exists(candidate)) return candidate;
        throw new FileNotFoundException(
            $"missing {stem}[.gz] in '{folder}'. Fashion-MNIST: `apt-get install dataset-fashion-mnist` (Debian) puts it in {DebianFolder}, or get the four files from github.com/zalandoresearch/fashion-mnist.",
            Path.Combine(folder, stem + ".gz"));
    }
}
