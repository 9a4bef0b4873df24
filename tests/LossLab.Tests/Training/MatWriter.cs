using System.IO.Compression;
using System.Text;

namespace LossLab.Tests.Training;

/// <summary>
/// Writes MATLAB v5 MAT files byte by byte, independently of the reader: the 128-byte header, then miMATRIX
/// elements (array flags, dimensions, name, real part, each padded to 8 bytes; names and data of at most 4 bytes in
/// the small-element form), each optionally wrapped in a zlib-compressed miCOMPRESSED element.
/// </summary>
internal sealed class MatWriter(bool bigEndian = false)
{
    public const int MiInt8 = 1, MiUInt8 = 2, MiInt32 = 5, MiUInt32 = 6, MiDouble = 9, MiMatrix = 14, MiCompressed = 15;
    public const int MxChar = 4, MxDouble = 6, MxUInt8 = 9;

    private readonly List<byte> bytes = Header(bigEndian);

    public static List<byte> Header(bool bigEndian, string text = "MATLAB 5.0 MAT-file, written by LossLab tests")
    {
        var h = new byte[128];
        Array.Fill(h, (byte)' ', 0, 116);
        Encoding.ASCII.GetBytes(text).CopyTo(h, 0);
        // bytes 116..123: subsystem data offset, zero
        if (bigEndian) { h[124] = 0x01; h[125] = 0x00; h[126] = (byte)'M'; h[127] = (byte)'I'; }
        else { h[124] = 0x00; h[125] = 0x01; h[126] = (byte)'I'; h[127] = (byte)'M'; }
        return [.. h];
    }

    public byte[] ToArray() => [.. bytes];

    public void Save(string path) => File.WriteAllBytes(path, ToArray());

    /// <summary>Adds a variable: class, dims, storage type and its already-encoded data bytes.</summary>
    public MatWriter Add(string name, int mxClass, int[] dims, int storageType, byte[] data, bool compress)
    {
        var matrix = Matrix(name, mxClass, dims, storageType, data);
        if (!compress) { bytes.AddRange(matrix); return this; }
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(matrix);
        var packed = ms.ToArray();
        bytes.AddRange(U32(MiCompressed));
        bytes.AddRange(U32((uint)packed.Length));
        bytes.AddRange(packed); // compressed elements are not padded
        return this;
    }

    public MatWriter AddUInt8(string name, int[] dims, byte[] values, bool compress) => Add(name, MxUInt8, dims, MiUInt8, values, compress);

    public MatWriter AddDouble(string name, int[] dims, double[] values, bool compress) =>
        Add(name, MxDouble, dims, MiDouble, [.. values.SelectMany(F64)], compress);

    /// <summary>The whole miMATRIX element, tag included.</summary>
    public byte[] Matrix(string name, int mxClass, int[] dims, int storageType, byte[] data)
    {
        var body = new List<byte>();
        body.AddRange(Element(MiUInt32, [.. U32((uint)mxClass), .. U32(0)]));
        body.AddRange(Element(MiInt32, [.. dims.SelectMany(d => U32((uint)d))]));
        body.AddRange(Element(MiInt8, Encoding.ASCII.GetBytes(name)));
        body.AddRange(Element(storageType, data));
        return [.. U32(MiMatrix), .. U32((uint)body.Count), .. body];
    }

    /// <summary>A sub-element: small form when it holds 1..4 bytes, else tag + data + padding to 8.</summary>
    public byte[] Element(int type, byte[] data)
    {
        if (data.Length is > 0 and <= 4)
        {
            var small = new byte[8];
            U32((uint)(data.Length << 16 | type)).CopyTo(small, 0);
            data.CopyTo(small, 4);
            return small;
        }
        int pad = (8 - data.Length % 8) % 8;
        return [.. U32((uint)type), .. U32((uint)data.Length), .. data, .. new byte[pad]];
    }

    public byte[] U32(uint v)
    {
        var b = BitConverter.GetBytes(v);
        if (bigEndian == BitConverter.IsLittleEndian) Array.Reverse(b);
        return b;
    }

    public byte[] F64(double v)
    {
        var b = BitConverter.GetBytes(v);
        if (bigEndian == BitConverter.IsLittleEndian) Array.Reverse(b);
        return b;
    }
}
