using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Data;

/// <summary>Which CIFAR-100 labels to use.</summary>
public enum Cifar100Labels
{
    /// <summary>The 100 fine classes (the default, and what papers report).</summary>
    Fine,

    /// <summary>The 20 coarse superclasses.</summary>
    Coarse,
}

/// <summary>
/// CIFAR-10, binary version (<c>cifar-10-binary.tar.gz</c>): <c>data_batch_1.bin</c> .. <c>data_batch_5.bin</c> and
/// <c>test_batch.bin</c>, directly in the folder or in its <c>cifar-10-batches-bin</c> subfolder. Each row is one
/// label byte and 3,072 pixel bytes (the 1,024 red, then green, then blue values of a 32x32 image, row-major).
/// </summary>
public static class Cifar10
{
    /// <summary>Where to get the files.</summary>
    public const string Url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";

    /// <summary>The subfolder the archive unpacks into.</summary>
    public const string Subfolder = "cifar-10-batches-bin";

    /// <summary>The class names, in label order.</summary>
    public static IReadOnlyList<string> Classes { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>The files of a split: <c>train</c> (the five data batches) or <c>test</c>.</summary>
    public static IReadOnlyList<string> Files(string split) => split switch
    {
        "train" => [.. Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin")],
        "test" => ["test_batch.bin"],
        _ => throw new ArgumentException($"Cifar10: split must be 'train' or 'test', got '{split}'", nameof(split)),
    };

    /// <summary>Reads a split (<c>train</c>: 50,000 images; <c>test</c>: 10,000) as uint8 (N, 3, 32, 32) and int64 labels.</summary>
    /// <exception cref="FileNotFoundException">Files are missing; the message lists them and says where to get them.</exception>
    /// <exception cref="InvalidDataException">A file is truncated or holds a label out of range; the message names the file.</exception>
    public static ImageSet Load(string folder, string split)
    {
        var paths = CifarBinary.Locate(folder, Subfolder, Files(split), "CIFAR-10", Url);
        return CifarBinary.Read(paths, labelLimits: [10], labelOffset: 0, folder);
    }
}

/// <summary>
/// CIFAR-100, binary version (<c>cifar-100-binary.tar.gz</c>): <c>train.bin</c> and <c>test.bin</c>, directly in the
/// folder or in its <c>cifar-100-binary</c> subfolder. Each row is a coarse label byte, a fine label byte and 3,072
/// pixel bytes (red, green, blue planes of a 32x32 image, row-major).
/// </summary>
public static class Cifar100
{
    /// <summary>Where to get the files.</summary>
    public const string Url = "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz";

    /// <summary>The subfolder the archive unpacks into.</summary>
    public const string Subfolder = "cifar-100-binary";

    /// <summary>The 100 fine class names, in label order (alphabetical).</summary>
    public static IReadOnlyList<string> FineClasses { get; } =
    [
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
        "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
        "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
        "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
        "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
        "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
        "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
        "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
        "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
        "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
    ];

    /// <summary>The 20 coarse class names, in label order (alphabetical).</summary>
    public static IReadOnlyList<string> CoarseClasses { get; } =
    [
        "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables", "household_electrical_devices",
        "household_furniture", "insects", "large_carnivores", "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
        "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people", "reptiles",
        "small_mammals", "trees", "vehicles_1", "vehicles_2",
    ];

    /// <summary>The class names of a label kind.</summary>
    public static IReadOnlyList<string> Classes(Cifar100Labels labels = Cifar100Labels.Fine) =>
        labels == Cifar100Labels.Coarse ? CoarseClasses : FineClasses;

    /// <summary>The file of a split: <c>train</c> or <c>test</c>.</summary>
    public static string File(string split) => split switch
    {
        "train" => "train.bin",
        "test" => "test.bin",
        _ => throw new ArgumentException($"Cifar100: split must be 'train' or 'test', got '{split}'", nameof(split)),
    };

    /// <summary>Reads a split (<c>train</c>: 50,000 images; <c>test</c>: 10,000) as uint8 (N, 3, 32, 32) and int64 labels, fine by default.</summary>
    /// <exception cref="FileNotFoundException">The file is missing; the message says where to get it.</exception>
    /// <exception cref="InvalidDataException">The file is truncated or holds a label out of range; the message names it.</exception>
    public static ImageSet Load(string folder, string split, Cifar100Labels labels = Cifar100Labels.Fine)
    {
        var paths = CifarBinary.Locate(folder, Subfolder, [File(split)], "CIFAR-100", Url);
        return CifarBinary.Read(paths, labelLimits: [20, 100], labelOffset: labels == Cifar100Labels.Coarse ? 0 : 1, folder);
    }
}

/// <summary>The row format shared by the CIFAR binary files: label bytes, then 3 x 32 x 32 pixel bytes.</summary>
internal static class CifarBinary
{
    public const int Pixels = 3 * 32 * 32;

    /// <summary>The full paths of the files, in the folder or its subfolder; all missing ones in one error.</summary>
    public static string[] Locate(string folder, string subfolder, IReadOnlyList<string> files, string dataset, string url)
    {
        foreach (var dir in new[] { folder, Path.Combine(folder, subfolder) })
            if (files.All(f => System.IO.File.Exists(Path.Combine(dir, f))))
                return [.. files.Select(f => Path.Combine(dir, f))];
        var missing = files.Where(f => !System.IO.File.Exists(Path.Combine(folder, f)) && !System.IO.File.Exists(Path.Combine(folder, subfolder, f))).ToList();
        if (missing.Count == 0) missing = [.. files]; // split across the two folders: ask for them in one
        throw new FileNotFoundException(
            $"{dataset}: missing {string.Join(", ", missing)} in '{folder}' (or its '{subfolder}' subfolder). " +
            $"Download the binary version from {url} and unpack it there (tar xzf), so that '{Path.Combine(folder, subfolder)}' holds {string.Join(", ", files)}.",
            Path.Combine(folder, missing[0]));
    }

    /// <summary>
    /// Reads and concatenates the rows of the files; each row starts with one byte per entry of
    /// <paramref name="labelLimits"/> (each label must be below its limit), and the label kept is at <paramref name="labelOffset"/>.
    /// </summary>
    public static ImageSet Read(IReadOnlyList<string> paths, int[] labelLimits, int labelOffset, string source)
    {
        var images = new List<Tensor>();
        var labels = new List<Tensor>();
        try
        {
            foreach (var path in paths)
            {
                var (x, y) = ReadFile(path, labelLimits, labelOffset);
                images.Add(x);
                labels.Add(y);
            }
            if (paths.Count == 1) return new ImageSet(images[0], labels[0], source);
            return new ImageSet(torch.cat(images, 0), torch.cat(labels, 0), source);
        }
        finally
        {
            if (paths.Count > 1)
                foreach (var t in images.Concat(labels)) t.Dispose();
        }
    }

    private static (Tensor Images, Tensor Labels) ReadFile(string path, int[] labelLimits, int labelOffset)
    {
        int labelBytes = labelLimits.Length;
        int row = labelBytes + Pixels;
        long length = new FileInfo(path).Length;
        if (length == 0 || length % row != 0)
            throw new InvalidDataException(
                $"{path}: {length} bytes is not a whole number of CIFAR rows of {row} bytes ({labelBytes} label byte{(labelBytes > 1 ? "s" : "")} + {Pixels} pixels); the file is truncated or not a CIFAR binary file");
        if (length > int.MaxValue) throw new InvalidDataException($"{path}: {length} bytes is larger than a CIFAR batch file can be");
        byte[] bytes = System.IO.File.ReadAllBytes(path);
        long n = length / row;
        for (long i = 0; i < n; i++)
            for (int j = 0; j < labelBytes; j++)
            {
                byte label = bytes[i * row + j];
                if (label >= labelLimits[j])
                    throw new InvalidDataException(
                        $"{path}: row {i} has {(labelBytes > 1 ? (j == 0 ? "coarse " : "fine ") : "")}label {label}, expected 0..{labelLimits[j] - 1}; the file is corrupt or of another dataset");
            }
        using var scope = NewDisposeScope();
        var rows = torch.tensor(bytes, [n, row], dtype: ScalarType.Byte);
        var y = rows.select(1, labelOffset).to_type(ScalarType.Int64);
        var x = rows.narrow(1, labelBytes, Pixels).reshape(n, 3, 32, 32).contiguous();
        return (x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope());
    }
}
