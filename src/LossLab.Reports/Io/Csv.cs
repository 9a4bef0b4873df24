using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Reports.Io;

/// <summary>
/// Plain CSV arrays: one row per sample, values separated by commas (logits: C numbers per row; labels: one integer
/// per row). Blank lines are skipped; a first line that is not all numbers is taken as a header and skipped.
/// </summary>
public static class Csv
{
    /// <summary>Reads a CSV file of numbers into a float64 tensor of shape (rows, columns).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The values, (N, C) float64.</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="FormatException">A value that is not a number, rows of different lengths, or no rows; the message names the line.</exception>
    public static Tensor ReadMatrix(string path)
    {
        var (rows, cols, values) = Parse(path);
        return torch.tensor(values, dtype: ScalarType.Float64).reshape(rows, cols);
    }

    /// <summary>Reads a CSV file of one integer per row (class labels) into an int64 tensor of shape (rows).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The labels, (N) int64.</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="FormatException">More than one column, a value that is not an integer, or no rows.</exception>
    public static Tensor ReadLabels(string path)
    {
        var (rows, cols, values) = Parse(path);
        if (cols != 1) throw new FormatException($"{path}: labels need one value per row, found {cols} columns");
        var labels = new long[rows];
        for (int i = 0; i < rows; i++)
        {
            double v = values[i];
            if (v != Math.Floor(v) || Math.Abs(v) > 1e15) throw new FormatException($"{path}: row {i + 1} holds {v.ToString(CultureInfo.InvariantCulture)}, not an integer class label");
            labels[i] = (long)v;
        }
        return torch.tensor(labels, dtype: ScalarType.Int64);
    }

    /// <summary>Writes a 1-D or 2-D tensor as CSV, one row per sample, with round-trip number formatting, atomically.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensor">The values, shape (N) or (N, C).</param>
    /// <exception cref="ArgumentException">A tensor of another rank.</exception>
    public static void Write(string path, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.dim() is not (1 or 2)) throw new ArgumentException($"Csv.Write: the tensor must be 1-D or 2-D, got shape [{string.Join(", ", tensor.shape)}]", nameof(tensor));
        using var scope = NewDisposeScope();
        var t = tensor.detach().cpu();
        long rows = t.shape[0], cols = t.dim() == 2 ? t.shape[1] : 1;
        bool integer = !t.dtype.IsFloatingPoint();
        var values = integer ? t.to_type(ScalarType.Int64).contiguous().data<long>().Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray()
            : t.to_type(ScalarType.Float64).contiguous().data<double>().Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToArray();
        var sb = new System.Text.StringBuilder();
        for (long i = 0; i < rows; i++)
            sb.Append(string.Join(',', values.Skip((int)(i * cols)).Take((int)cols))).Append('\n');
        AtomicFile.Write(path, s => { using var w = new StreamWriter(s); w.Write(sb.ToString()); });
    }

    private static (long rows, long cols, double[] values) Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"no such file: {path}", path);
        var values = new List<double>();
        long cols = -1, rows = 0;
        int lineNo = 0;
        bool first = true;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var fields = line.Split(',');
            var parsed = new double[fields.Length];
            bool numeric = true;
            for (int j = 0; j < fields.Length; j++)
                numeric &= double.TryParse(fields[j].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out parsed[j]);
            if (!numeric)
            {
                if (first) { first = false; continue; }
                var bad = fields.First(f => !double.TryParse(f.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _));
                throw new FormatException($"{path}:{lineNo}: '{bad.Trim()}' is not a number");
            }
            first = false;
            if (cols < 0) cols = fields.Length;
            else if (fields.Length != cols) throw new FormatException($"{path}:{lineNo}: {fields.Length} values, but earlier rows have {cols}");
            values.AddRange(parsed);
            rows++;
        }
        if (rows == 0) throw new FormatException($"{path}: no rows of numbers");
        return (rows, cols, values.ToArray());
    }
}
