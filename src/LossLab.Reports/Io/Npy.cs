using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Reports.Io;

/// <summary>
/// NumPy's <c>.npy</c> format (versions 1.0, 2.0 and 3.0): little-endian float32, float64, int32 and int64 arrays in C
/// order, read into TorchSharp tensors and written from them.
/// </summary>
/// <remarks>
/// A file is the magic <c>\x93NUMPY</c>, the major and minor version bytes, the header length (uint16 in 1.0, uint32
/// in 2.0 and 3.0), an ASCII (3.0: UTF-8) Python dict literal <c>{'descr': '&lt;f4', 'fortran_order': False,
/// 'shape': (N, C), }</c> padded with spaces and a newline, then the raw data. Writing uses version 1.0 (2.0 when the
/// header does not fit) with the header padded so the data starts at a multiple of 64 bytes, as NumPy does.
/// </remarks>
public static partial class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads an .npy file into a CPU tensor of its dtype (float32, float64, int32 or int64) and shape.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The array as a tensor.</returns>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="FormatException">Not an .npy file, or a dtype, byte order or layout this reader does not take; the message says which.</exception>
    public static Tensor Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"no such file: {path}", path);
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads an .npy array from a stream (see <see cref="Read(string)"/>).</summary>
    /// <param name="stream">The stream, positioned at the magic string.</param>
    /// <param name="source">The name used in error messages.</param>
    /// <returns>The array as a tensor.</returns>
    /// <exception cref="FormatException">Not an .npy stream, or one this reader does not take.</exception>
    public static Tensor Read(Stream stream, string source = "stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        var prefix = ReadExactly(stream, 8, source, "the magic string and version");
        if (!prefix.AsSpan(0, 6).SequenceEqual(Magic))
            throw new FormatException($"{source}: not an .npy file (it does not start with \\x93NUMPY)");
        byte major = prefix[6], minor = prefix[7];
        int headerLength;
        if (major == 1)
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(ReadExactly(stream, 2, source, "the header length"));
        else if (major is 2 or 3)
        {
            uint len = BinaryPrimitives.ReadUInt32LittleEndian(ReadExactly(stream, 4, source, "the header length"));
            if (len > 1 << 24) throw new FormatException($"{source}: .npy header length {len} is implausibly large");
            headerLength = (int)len;
        }
        else throw new FormatException($"{source}: .npy version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)");
        var headerBytes = ReadExactly(stream, headerLength, source, "the header");
        string header = (major == 3 ? Encoding.UTF8 : Encoding.ASCII).GetString(headerBytes);
        var (descr, fortran, shape) = ParseHeader(header, source);
        if (fortran)
            throw new FormatException($"{source}: the array is stored in Fortran order; save it in C order (np.ascontiguousarray)");
        var (type, size) = Dtype(descr, source);
        long count = 1;
        foreach (long d in shape) count = checked(count * d);
        long bytes = checked(count * size);
        if (bytes > Array.MaxLength) throw new FormatException($"{source}: the array holds {bytes} bytes, more than this reader takes");
        var data = ReadExactly(stream, (int)bytes, source, $"the data ({count} values of {descr})");
        return FromBytes(data, type, shape);
    }

    /// <summary>Writes a float32, float64, int32 or int64 tensor as an .npy file (C order, little-endian), atomically.</summary>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="tensor">The tensor (any device; copied to the CPU).</param>
    /// <exception cref="ArgumentException">A dtype other than those four.</exception>
    public static void Write(string path, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = ToBytes(tensor);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>Writes a tensor as .npy to a stream (see <see cref="Write(string, Tensor)"/>).</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="tensor">The tensor.</param>
    /// <exception cref="ArgumentException">A dtype other than float32, float64, int32 or int64.</exception>
    public static void Write(Stream stream, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(ToBytes(tensor));
    }

    private static byte[] ToBytes(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        string descr = tensor.dtype switch
        {
            ScalarType.Float32 => "<f4",
            ScalarType.Float64 => "<f8",
            ScalarType.Int32 => "<i4",
            ScalarType.Int64 => "<i8",
            _ => throw new ArgumentException($"Npy.Write: dtype {tensor.dtype} is not supported (float32, float64, int32, int64 are)", nameof(tensor)),
        };
        using var scope = NewDisposeScope();
        var t = tensor.detach().cpu().contiguous();
        string shape = t.shape.Length switch
        {
            0 => "()",
            1 => $"({t.shape[0]},)",
            _ => "(" + string.Join(", ", t.shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        // Pad with spaces and a final newline so that magic + version + length + header is a multiple of 64.
        int version = dict.Length + 1 + 10 <= ushort.MaxValue ? 1 : 2;
        int prefix = version == 1 ? 10 : 12;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        string header = dict + new string(' ', total - prefix - dict.Length - 1) + "\n";
        long elementSize = descr[2] - '0';
        var output = new byte[checked(total + t.numel() * elementSize)];
        Magic.CopyTo(output, 0);
        output[6] = (byte)version;
        output[7] = 0;
        if (version == 1) BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(8), (ushort)header.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(8), (uint)header.Length);
        Encoding.ASCII.GetBytes(header, output.AsSpan(prefix));
        var body = output.AsSpan(total);
        switch (t.dtype)
        {
            case ScalarType.Float32: WriteLittleEndian(t.data<float>().ToArray(), body); break;
            case ScalarType.Float64: WriteLittleEndian(t.data<double>().ToArray(), body); break;
            case ScalarType.Int32: WriteLittleEndian(t.data<int>().ToArray(), body); break;
            default: WriteLittleEndian(t.data<long>().ToArray(), body); break;
        }
        return output;
    }

    private static void WriteLittleEndian<T>(T[] values, Span<byte> destination) where T : unmanaged
    {
        var src = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan());
        src.CopyTo(destination);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Npy: big-endian machines are not supported");
    }

    private static Tensor FromBytes(byte[] data, ScalarType type, long[] shape)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Npy: big-endian machines are not supported");
        return type switch
        {
            ScalarType.Float32 => torch.tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(data).ToArray(), shape),
            ScalarType.Float64 => torch.tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(data).ToArray(), shape),
            ScalarType.Int32 => torch.tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(data).ToArray(), shape),
            _ => torch.tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(data).ToArray(), shape),
        };
    }

    private static (ScalarType type, int size) Dtype(string descr, string source) => descr switch
    {
        "<f4" => (ScalarType.Float32, 4),
        "<f8" => (ScalarType.Float64, 8),
        "<i4" => (ScalarType.Int32, 4),
        "<i8" => (ScalarType.Int64, 8),
        _ when descr.Length > 0 && descr[0] == '>' =>
            throw new FormatException($"{source}: dtype '{descr}' is big-endian; save the array little-endian (arr.astype(arr.dtype.newbyteorder('<')))"),
        _ => throw new FormatException($"{source}: dtype '{descr}' is not supported; use float32 ('<f4'), float64 ('<f8'), int32 ('<i4') or int64 ('<i8')"),
    };

    private static (string descr, bool fortran, long[] shape) ParseHeader(string header, string source)
    {
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shape.Success)
            throw new FormatException($"{source}: the .npy header is malformed (it must name 'descr', 'fortran_order' and 'shape'): {header.Trim()}");
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.TryParse(d.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out long v)
                ? v : throw new FormatException($"{source}: the .npy shape ({shape.Groups[1].Value}) is malformed"))
            .ToArray();
        return (descr.Groups[1].Value, fortran.Groups[1].Value == "True", dims);
    }

    private static byte[] ReadExactly(Stream stream, int count, string source, string what)
    {
        var buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = stream.Read(buffer, read, count - read);
            if (n == 0) throw new FormatException($"{source}: the file ends inside {what} (needed {count} bytes, found {read}); it is truncated or not an .npy file");
            read += n;
        }
        return buffer;
    }

    [GeneratedRegex(@"['""]descr['""]\s*:\s*['""]([^'""]*)['""]")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"['""]fortran_order['""]\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"['""]shape['""]\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
