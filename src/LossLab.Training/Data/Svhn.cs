using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Data;

/// <summary>
/// SVHN, cropped digits (format 2): <c>train_32x32.mat</c> (73,257 images), <c>test_32x32.mat</c> (26,032) and the
/// optional <c>extra_32x32.mat</c> (531,131), MATLAB v5 files holding <c>X</c> (32x32x3xN uint8, column-major) and
/// <c>y</c> (Nx1 labels 1..10, where 10 is the digit 0). Read with <see cref="MatReader"/>.
/// </summary>
public static class Svhn
{
    /// <summary>Where to get the files.</summary>
    public const string Url = "http://ufldl.stanford.edu/housenumbers/";

    /// <summary>The class names, in label order (label k is the digit k).</summary>
    public static IReadOnlyList<string> Classes { get; } = [.. Enumerable.Range(0, 10).Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>The file of a split: <c>train</c>, <c>test</c> or <c>extra</c>.</summary>
    public static string File(string split) => split switch
    {
        "train" or "test" or "extra" => $"{split}_32x32.mat",
        _ => throw new ArgumentException($"Svhn: split must be 'train', 'test' or 'extra', got '{split}'", nameof(split)),
    };

    /// <summary>Reads a split as uint8 (N, 3, 32, 32) images and int64 labels 0..9 (the file's 10 becomes 0).</summary>
    /// <exception cref="FileNotFoundException">The file is missing; the message says where to get it.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt or not laid out as SVHN's; the message names it.</exception>
    public static ImageSet Load(string folder, string split)
    {
        string path = Path.Combine(folder, File(split));
        if (!System.IO.File.Exists(path))
            throw new FileNotFoundException(
                $"SVHN: missing {File(split)} in '{folder}'. Download the cropped digits (format 2) file from {Url}{File(split)} into that folder " +
                "(train_32x32.mat and test_32x32.mat; extra_32x32.mat is optional).", path);
        var arrays = MatReader.Read(path, "X", "y");
        return FromArrays(arrays["X"], arrays["y"], path);
    }

    /// <summary>Builds the set from SVHN's X (32x32x3xN) and y (Nx1, 1..10) arrays; <paramref name="source"/> names them in errors.</summary>
    public static ImageSet FromArrays(MatArray x, MatArray y, string source)
    {
        var d = x.Dimensions;
        if (d.Count != 4 || d[2] != 3)
            throw new InvalidDataException($"{source}: X has dimensions [{string.Join("x", d)}], expected HxWx3xN (32x32x3xN)");
        int h = d[0], w = d[1];
        long n = d[3];
        if (y.Count != n || y.Dimensions.Count(v => v != 1) > 1)
            throw new InvalidDataException($"{source}: y has dimensions [{string.Join("x", y.Dimensions)}], expected {n}x1 (one label per image of X)");
        var labels = y.ToDoubles();
        var ints = new long[n];
        for (long i = 0; i < n; i++)
        {
            double v = labels[i];
            if (!(v >= 1 && v <= 10 && v == Math.Floor(v)))
                throw new InvalidDataException($"{source}: y[{i}] = {v}, expected an integer label 1..10 (10 is the digit 0)");
            ints[i] = (long)v % 10;
        }
        byte[] pixels;
        try
        {
            pixels = x.ToBytes();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
        using var scope = NewDisposeScope();
        // Column-major HxWx3xN is row-major (N, 3, W, H): swap the last two axes.
        var images = torch.tensor(pixels, [n, 3, w, h], dtype: ScalarType.Byte).transpose(2, 3).contiguous();
        var result = new ImageSet(images.MoveToOuterDisposeScope(), torch.tensor(ints, dtype: ScalarType.Int64).MoveToOuterDisposeScope(), source);
        return result;
    }
}
