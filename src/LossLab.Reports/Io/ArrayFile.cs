using static TorchSharp.torch;

namespace LossLab.Reports.Io;

/// <summary>Reads an array from a file by its extension: <c>.npy</c> (<see cref="Npy"/>) or <c>.csv</c> (<see cref="Csv"/>).</summary>
public static class ArrayFile
{
    /// <summary>Reads logits or probabilities, shape (N, C): an .npy array (float32 or float64) or a CSV of numbers.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The values in their stored dtype (.npy) or float64 (.csv).</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="FormatException">A file that cannot be read, or an extension other than .npy and .csv.</exception>
    public static Tensor ReadMatrix(string path) => Extension(path) == ".npy" ? Npy.Read(path) : Csv.ReadMatrix(path);

    /// <summary>Reads class labels, shape (N): an .npy array (int64 or int32) or a CSV of one integer per row.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The labels (int64 or int32 as stored; int64 from CSV).</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="FormatException">A file that cannot be read, or an extension other than .npy and .csv.</exception>
    public static Tensor ReadLabels(string path) => Extension(path) == ".npy" ? Npy.Read(path) : Csv.ReadLabels(path);

    private static string Extension(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext is not (".npy" or ".csv")) throw new FormatException($"{path}: unknown file type '{ext}'; use .npy or .csv");
        if (!File.Exists(path)) throw new FileNotFoundException($"no such file: {path}", path);
        return ext;
    }
}
