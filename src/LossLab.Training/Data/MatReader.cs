using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace LossLab.Training.Data;

/// <summary>The MATLAB array classes (the <c>mxCLASS</c> codes of the MAT v5 format).</summary>
public enum MatClass
{
    /// <summary>Not a class a MAT file uses.</summary>
    Unknown = 0,
    /// <summary>Cell array.</summary>
    Cell = 1,
    /// <summary>Structure.</summary>
    Struct = 2,
    /// <summary>Object.</summary>
    Object = 3,
    /// <summary>Character array.</summary>
    Char = 4,
    /// <summary>Sparse array.</summary>
    Sparse = 5,
    /// <summary>Double precision.</summary>
    Double = 6,
    /// <summary>Single precision.</summary>
    Single = 7,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 8,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 9,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 10,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 11,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 12,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 13,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 14,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 15,
}

/// <summary>
/// A numeric array read from a MAT file: its name, class, dimensions (MATLAB order) and real part, stored as in the
/// file (MATLAB may store a class in a smaller type, e.g. a double array of small integers as uint8). Values are in
/// column-major order: the first index varies fastest.
/// </summary>
public sealed class MatArray
{
    private readonly byte[] raw;
    private readonly bool bigEndian;

    internal MatArray(string name, MatClass matClass, int[] dimensions, bool isComplex, int storageType, byte[] raw, bool bigEndian)
    {
        Name = name;
        Class = matClass;
        Dimensions = dimensions;
        IsComplex = isComplex;
        StorageType = storageType;
        this.raw = raw;
        this.bigEndian = bigEndian;
    }

    /// <summary>The variable's name.</summary>
    public string Name { get; }

    /// <summary>The MATLAB class.</summary>
    public MatClass Class { get; }

    /// <summary>The dimensions, in MATLAB order (at least two).</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>Whether the array has an imaginary part (not read: only the real part is kept).</summary>
    public bool IsComplex { get; }

    /// <summary>The <c>miTYPE</c> code the values are stored as (2 = miUINT8, 9 = miDOUBLE, ...).</summary>
    public int StorageType { get; }

    /// <summary>The number of values (the product of the dimensions).</summary>
    public long Count => Dimensions.Aggregate(1L, (a, d) => a * d);

    /// <summary>
    /// The values as bytes, column-major: the stored bytes themselves when stored as uint8 (no copy: do not modify
    /// them), otherwise converted.
    /// </summary>
    /// <exception cref="InvalidDataException">A value is not an integer in 0..255.</exception>
    public byte[] ToBytes()
    {
        if (StorageType == MatTypes.UInt8) return raw;
        var values = ToDoubles();
        var bytes = new byte[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            if (!(v >= 0 && v <= 255 && v == Math.Floor(v)))
                throw new InvalidDataException($"MAT variable '{Name}': value {v} at index {i} is not an integer in 0..255");
            bytes[i] = (byte)v;
        }
        return bytes;
    }

    /// <summary>The values as doubles, column-major.</summary>
    public double[] ToDoubles()
    {
        int size = MatTypes.Size(StorageType);
        var result = new double[raw.Length / size];
        var span = raw.AsSpan();
        for (int i = 0; i < result.Length; i++)
        {
            var s = span.Slice(i * size, size);
            result[i] = StorageType switch
            {
                MatTypes.Int8 => (sbyte)s[0],
                MatTypes.UInt8 => s[0],
                MatTypes.Int16 => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(s) : BinaryPrimitives.ReadInt16LittleEndian(s),
                MatTypes.UInt16 => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s),
                MatTypes.Int32 => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(s) : BinaryPrimitives.ReadInt32LittleEndian(s),
                MatTypes.UInt32 => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s),
                MatTypes.Single => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(s) : BinaryPrimitives.ReadSingleLittleEndian(s),
                MatTypes.Double => bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(s) : BinaryPrimitives.ReadDoubleLittleEndian(s),
                MatTypes.Int64 => bigEndian ? BinaryPrimitives.ReadInt64BigEndian(s) : BinaryPrimitives.ReadInt64LittleEndian(s),
                MatTypes.UInt64 => bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s),
                _ => throw new InvalidDataException($"MAT variable '{Name}': storage type {StorageType} is not numeric"),
            };
        }
        return result;
    }
}

/// <summary>The <c>miTYPE</c> codes of MAT v5 data elements.</summary>
internal static class MatTypes
{
    public const int Int8 = 1, UInt8 = 2, Int16 = 3, UInt16 = 4, Int32 = 5, UInt32 = 6, Single = 7, Double = 9,
        Int64 = 12, UInt64 = 13, Matrix = 14, Compressed = 15;

    /// <summary>The size in bytes of a numeric type; 0 for a type that is not numeric.</summary>
    public static int Size(int type) => type switch
    {
        Int8 or UInt8 => 1,
        Int16 or UInt16 => 2,
        Int32 or UInt32 or Single => 4,
        Double or Int64 or UInt64 => 8,
        _ => 0,
    };
}

/// <summary>
/// Reads numeric arrays from MATLAB v5 MAT files (what <c>save -v7</c>, <c>-v6</c> and scipy's <c>savemat</c> write):
/// the 128-byte header (text, version 0x0100, endian indicator <c>IM</c> or <c>MI</c>), then data elements, each an
/// 8-byte tag (type, byte count; or the 4-byte small-element form) and its data padded to 8 bytes. Top-level elements
/// are <c>miMATRIX</c> arrays (array flags, dimensions, name, real part, optional imaginary part) or
/// <c>miCOMPRESSED</c> elements holding one zlib-compressed <c>miMATRIX</c>. Cells, structures, sparse and character
/// arrays are skipped; v7.3 files (HDF5) are not read.
/// </summary>
public static class MatReader
{
    /// <summary>
    /// Reads the numeric arrays of a file, or only those named in <paramref name="names"/> (others are skipped without
    /// being decompressed in full).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt or not a v5 MAT file; the message names it and says what was expected.</exception>
    public static IReadOnlyDictionary<string, MatArray> Read(string path, params string[] names)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"MAT file not found: {path}", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Read(stream, path, names);
    }

    /// <summary>Reads from a seekable stream; <paramref name="label"/> names the source in error messages.</summary>
    public static IReadOnlyDictionary<string, MatArray> Read(Stream stream, string label, params string[] names)
    {
        if (!stream.CanSeek) throw new ArgumentException("MatReader.Read: the stream must be seekable", nameof(stream));
        var wanted = names.Length == 0 ? null : new HashSet<string>(names, StringComparer.Ordinal);
        long length = stream.Length;
        var header = new byte[128];
        int got = stream.ReadAtLeast(header, 128, throwOnEndOfStream: false);
        string text = Encoding.ASCII.GetString(header, 0, Math.Min(got, 116)).TrimEnd('\0', ' ');
        if (text.StartsWith("MATLAB 7.3", StringComparison.Ordinal))
            throw new InvalidDataException($"{label}: a MATLAB v7.3 (HDF5) file, which this reader does not read; save it with `save -v7` (or scipy.io.savemat)");
        if (got < 128)
            throw new InvalidDataException($"{label}: {got} bytes is too short for a MAT v5 file (its header alone is 128 bytes)");
        bool big;
        if (header[126] == 'I' && header[127] == 'M') big = false;
        else if (header[126] == 'M' && header[127] == 'I') big = true;
        else throw new InvalidDataException($"{label}: not a MATLAB v5 MAT file (no 'IM'/'MI' endian indicator at bytes 126-127; header text '{Clip(text)}')");
        int version = big ? BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(124)) : BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(124));
        if (version != 0x0100)
            throw new InvalidDataException($"{label}: MAT version 0x{version:x4}, expected 0x0100 (a v5/v6/v7 MAT file)");

        var result = new Dictionary<string, MatArray>(StringComparer.Ordinal);
        int index = 0;
        for (long offset = 128; offset < length; index++)
        {
            stream.Position = offset;
            var top = new ElementReader(stream, label, big, $"element {index} at byte {offset}", length - offset);
            var (type, count, _) = top.Tag();
            if (count > length - offset - 8)
                throw new InvalidDataException($"{label}: element {index} at byte {offset} declares {count} bytes but only {length - offset - 8} follow its tag; the file is truncated");
            if (type == MatTypes.Matrix)
            {
                var array = ReadMatrix(top, count, wanted);
                if (array is not null) result[array.Name] = array;
            }
            else if (type == MatTypes.Compressed)
            {
                try
                {
                    using var z = new ZLibStream(new BoundedStream(stream, count), CompressionMode.Decompress, leaveOpen: true);
                    var inner = new ElementReader(z, label, big, $"compressed element {index} at byte {offset}", long.MaxValue);
                    var (innerType, innerCount, _) = inner.Tag();
                    if (innerType == MatTypes.Matrix)
                    {
                        var array = ReadMatrix(inner, innerCount, wanted);
                        if (array is not null) result[array.Name] = array;
                    }
                }
                catch (InvalidDataException e) when (!e.Message.StartsWith(label, StringComparison.Ordinal))
                {
                    throw new InvalidDataException($"{label}: compressed element {index} at byte {offset}: corrupt zlib data ({e.Message})", e);
                }
            }
            offset += 8 + count;
        }
        if (wanted is not null)
        {
            var missing = wanted.Where(n => !result.ContainsKey(n)).ToList();
            if (missing.Count > 0)
                throw new InvalidDataException($"{label}: no numeric variable named {string.Join(", ", missing.Select(m => $"'{m}'"))} (found: {(result.Count == 0 ? "none" : string.Join(", ", result.Keys))})");
        }
        return result;
    }

    private static string Clip(string s) => s.Length > 40 ? s[..40] + "..." : s;

    /// <summary>Reads the sub-elements of an miMATRIX of <paramref name="count"/> bytes; null when skipped.</summary>
    private static MatArray? ReadMatrix(ElementReader r, long count, HashSet<string>? wanted)
    {
        if (count == 0) return null; // an empty placeholder
        r.Budget = count;
        var (flagsType, flagsCount, flags) = r.Element("array flags");
        if (flagsType != MatTypes.UInt32 || flagsCount != 8)
            throw r.Error($"expected array flags (miUINT32, 8 bytes), got type {flagsType} with {flagsCount} bytes");
        uint f0 = r.U32(flags, 0);
        var matClass = (MatClass)(f0 & 0xFF);
        bool complex = (f0 & 0x800) != 0;
        if (matClass is < MatClass.Cell or > MatClass.UInt64)
            throw r.Error($"array class {(int)matClass} is not a MATLAB class (1..15)");
        if (matClass is MatClass.Cell or MatClass.Struct or MatClass.Object or MatClass.Sparse or MatClass.Char)
            return null;
        var (dimsType, dimsCount, dimsBytes) = r.Element("dimensions");
        if (dimsType != MatTypes.Int32 || dimsCount < 8 || dimsCount % 4 != 0)
            throw r.Error($"expected a dimensions array (miINT32, at least 2 values), got type {dimsType} with {dimsCount} bytes");
        var dims = new int[dimsCount / 4];
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = (int)r.U32(dimsBytes, 4 * i);
            if (dims[i] < 0) throw r.Error($"negative dimension {dims[i]}");
        }
        var (nameType, _, nameBytes) = r.Element("array name");
        if (nameType != MatTypes.Int8 && nameType != MatTypes.UInt8)
            throw r.Error($"expected an array name (miINT8), got type {nameType}");
        string name = Encoding.ASCII.GetString(nameBytes);
        r.Where = $"variable '{name}'";
        if (wanted is not null && !wanted.Contains(name)) return null;
        var (dataType, dataCount, data) = r.Element("real part");
        int size = MatTypes.Size(dataType);
        if (size == 0) throw r.Error($"real part of storage type {dataType}, expected a numeric type");
        long values = dims.Aggregate(1L, (a, d) => a * d);
        if (dataCount != values * size)
            throw r.Error($"dimensions [{string.Join("x", dims)}] need {values} values ({values * size} bytes of type {dataType}), the element holds {dataCount} bytes");
        return new MatArray(name, matClass, dims, complex, dataType, data, r.BigEndian);
    }

    /// <summary>Reads tags and elements from a stream, keeping count of what an enclosing element has left.</summary>
    private sealed class ElementReader(Stream stream, string label, bool bigEndian, string where, long budget)
    {
        public bool BigEndian => bigEndian;
        public string Where { get; set; } = where;
        public long Budget { get; set; } = budget;

        public InvalidDataException Error(string what) => new($"{label}: {Where}: {what}");

        public uint U32(byte[] b, int at) =>
            bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));

        /// <summary>An 8-byte tag: type, byte count, and the data when it is a small element (else null).</summary>
        public (int Type, long Count, byte[]? Small) Tag()
        {
            var tag = Bytes(8, "an 8-byte element tag");
            uint first = U32(tag, 0);
            if (first >> 16 != 0)
            {
                int n = (int)(first >> 16);
                if (n > 4) throw Error($"small element of {n} bytes (at most 4)");
                return ((int)(first & 0xFFFF), n, tag.AsSpan(4, n).ToArray());
            }
            return ((int)first, U32(tag, 4), null);
        }

        /// <summary>A whole sub-element (tag, data, padding to 8 bytes).</summary>
        public (int Type, long Count, byte[] Data) Element(string what)
        {
            var (type, count, small) = Tag();
            if (small is not null) return (type, count, small);
            if (count > Budget) throw Error($"{what} declares {count} bytes but its array has only {Budget} left");
            if (count > Array.MaxLength) throw Error($"{what} of {count} bytes is too large to read");
            var data = Bytes((int)count, $"{what} ({count} bytes)");
            int pad = (int)((8 - count % 8) % 8);
            if (pad > 0 && Budget > 0) Bytes(Math.Min(pad, (int)Budget), "padding");
            return (type, count, data);
        }

        private byte[] Bytes(int n, string what)
        {
            if (n > Budget) throw Error($"expected {what} but only {Budget} bytes are left; the file or its element is truncated");
            var buffer = new byte[n];
            int got;
            try
            {
                got = stream.ReadAtLeast(buffer, n, throwOnEndOfStream: false);
            }
            catch (InvalidDataException e)
            {
                throw Error($"corrupt compressed data while reading {what} ({e.Message})");
            }
            if (got < n) throw Error($"expected {what}, the data ends after {got} bytes; the file is truncated or corrupt");
            Budget -= n;
            return buffer;
        }
    }

    /// <summary>A read-only view of the next <c>length</c> bytes of a stream (so a decompressor cannot read past its element).</summary>
    private sealed class BoundedStream(Stream inner, long length) : Stream
    {
        private long left = length;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (left <= 0) return 0;
            int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
            left -= n;
            return n;
        }
    }
}
