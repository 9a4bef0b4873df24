using System.Buffers.Binary;
using System.IO.Compression;

namespace LossLab.Training.Data;

/// <summary>
/// Reads IDX files (the format of MNIST and Fashion-MNIST), plain or gzipped: a big-endian header (magic
/// <c>0x00 0x00 type rank</c>, then one 32-bit size per dimension) followed by the data.
/// </summary>
public static class IdxReader
{
    /// <summary>An unsigned-byte IDX array: its dimensions and its data, row-major.</summary>
    /// <param name="Shape">The dimensions.</param>
    /// <param name="Data">The values.</param>
    public sealed record IdxArray(int[] Shape, byte[] Data);

    /// <summary>Reads an unsigned-byte IDX file (gzipped when its name ends in .gz or its content starts with the gzip magic).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, not IDX, or not unsigned bytes; the message names the file.</exception>
    public static IdxArray Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        byte[] raw = File.ReadAllBytes(path);
        byte[] bytes;
        if (raw.Length >= 2 && raw[0] == 0x1f && raw[1] == 0x8b)
        {
            try
            {
                using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                using var ms = new MemoryStream();
                gz.CopyTo(ms);
                bytes = ms.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{path}: corrupt gzip data ({e.Message})", e);
            }
        }
        else bytes = raw;
        return Parse(bytes, path);
    }

    /// <summary>Parses IDX bytes; <paramref name="label"/> names the source in error messages.</summary>
    public static IdxArray Parse(byte[] bytes, string label)
    {
        if (bytes.Length < 4) throw new InvalidDataException($"{label}: {bytes.Length} bytes is too short for an IDX header");
        if (bytes[0] != 0 || bytes[1] != 0) throw new InvalidDataException($"{label}: not an IDX file (magic {bytes[0]:x2} {bytes[1]:x2} {bytes[2]:x2} {bytes[3]:x2})");
        if (bytes[2] != 0x08) throw new InvalidDataException($"{label}: IDX data type 0x{bytes[2]:x2} is not unsigned bytes (0x08)");
        int rank = bytes[3];
        if (rank < 1 || rank > 4) throw new InvalidDataException($"{label}: IDX rank {rank} is not in 1..4");
        int header = 4 + 4 * rank;
        if (bytes.Length < header) throw new InvalidDataException($"{label}: truncated IDX header ({bytes.Length} bytes, expected {header})");
        var shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            shape[i] = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            count *= shape[i];
        }
        if (bytes.Length - header != count)
            throw new InvalidDataException($"{label}: IDX header says [{string.Join(", ", shape)}] ({count} values) but the file holds {bytes.Length - header}");
        return new IdxArray(shape, bytes.AsSpan(header).ToArray());
    }
}
