using System.Text;
using LossLab.Reports.Io;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Reports;

public sealed class NpyTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "losslab-npy-" + Guid.NewGuid().ToString("N"));

    public NpyTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    // A hand-made .npy file, as NumPy lays it out: magic, version, header length, dict padded to 64, data.
    internal static byte[] Handmade(string descr, string shape, byte[] data, int major = 1, bool fortran = false)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shape}, }}";
        int prefix = major == 1 ? 10 : 12;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        string header = dict + new string(' ', total - prefix - dict.Length - 1) + "\n";
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
        if (major == 1) ms.Write(BitConverter.GetBytes((ushort)header.Length));
        else ms.Write(BitConverter.GetBytes((uint)header.Length));
        ms.Write(Encoding.ASCII.GetBytes(header));
        ms.Write(data);
        return ms.ToArray();
    }

    [Fact]
    public void ReadsAHandMadeFileOfEachDtype()
    {
        var f8 = Npy.Read(new MemoryStream(Handmade("<f8", "(2, 3)", new[] { 1.5, 2, 3, 4, 5, -6.25 }.SelectMany(BitConverter.GetBytes).ToArray())));
        Assert.Equal(ScalarType.Float64, f8.dtype);
        Assert.Equal(new long[] { 2, 3 }, f8.shape);
        Assert.Equal(new[] { 1.5, 2, 3, 4, 5, -6.25 }, T.Values(f8));
        var f4 = Npy.Read(new MemoryStream(Handmade("<f4", "(2,)", new[] { 0.5f, -1f }.SelectMany(BitConverter.GetBytes).ToArray(), major: 2)));
        Assert.Equal(ScalarType.Float32, f4.dtype);
        Assert.Equal(new[] { 0.5, -1 }, T.Values(f4));
        var i8 = Npy.Read(new MemoryStream(Handmade("<i8", "(3,)", new long[] { 7, 0, -2 }.SelectMany(BitConverter.GetBytes).ToArray())));
        Assert.Equal(ScalarType.Int64, i8.dtype);
        Assert.Equal(new long[] { 7, 0, -2 }, i8.data<long>().ToArray());
        var scalar = Npy.Read(new MemoryStream(Handmade("<f8", "()", BitConverter.GetBytes(3.0))));
        Assert.Empty(scalar.shape);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Int64)]
    [InlineData(ScalarType.Int32)]
    public void RoundTrips(ScalarType type)
    {
        var t = (torch.arange(12, dtype: ScalarType.Float64).reshape(3, 4) * 1.25 - 3).to_type(type);
        string path = Path.Combine(dir, $"a-{type}.npy");
        Npy.Write(path, t);
        var bytes = File.ReadAllBytes(path);
        int headerLength = BitConverter.ToUInt16(bytes, 8);
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Equal((byte)'\n', bytes[10 + headerLength - 1]);
        var back = Npy.Read(path);
        Assert.Equal(type, back.dtype);
        Assert.Equal(t.shape, back.shape);
        Assert.Equal(T.Values(t), T.Values(back));
        // the written header is NumPy's
        Assert.Contains("'fortran_order': False, 'shape': (3, 4), }", Encoding.ASCII.GetString(bytes, 10, headerLength));
        var one = Path.Combine(dir, "one.npy");
        Npy.Write(one, torch.ones(5, dtype: type));
        Assert.Contains("'shape': (5,)", Encoding.ASCII.GetString(File.ReadAllBytes(one), 10, 60));
    }

    [Fact]
    public void CorruptFilesFailClearly()
    {
        Assert.Contains("not an .npy file", Assert.Throws<FormatException>(() => Npy.Read(new MemoryStream(Encoding.ASCII.GetBytes("1,2,3\n4,5,6\n")))).Message);
        var good = Handmade("<f8", "(4,)", new double[] { 1, 2, 3, 4 }.SelectMany(BitConverter.GetBytes).ToArray());
        Assert.Contains("truncated", Assert.Throws<FormatException>(() => Npy.Read(new MemoryStream(good[..^5]))).Message);
        Assert.Contains("truncated", Assert.Throws<FormatException>(() => Npy.Read(new MemoryStream(good[..9]))).Message);
        Assert.Contains("big-endian", Assert.Throws<FormatException>(() => Npy.Read(new MemoryStream(Handmade(">f8", "(1,)", new byte[8])))).Message);
        Assert.Contains("'<c16' is not supported", Assert.Throws<FormatException>(() => Npy.Read(new MemoryStream(Handmade("<c16", "(1,)", new byte[16])))).Message);
        Assert.Contains("Fortran", Assert.Throws<FormatException>(() => Npy.Read(new MemoryStream(Handmade("<f8", "(1, 1)", new byte[8], fortran: true)))).Message);
        var v9 = (byte[])good.Clone();
        v9[6] = 9;
        Assert.Contains("version 9.0", Assert.Throws<FormatException>(() => Npy.Read(new MemoryStream(v9))).Message);
        Assert.Throws<FileNotFoundException>(() => Npy.Read(Path.Combine(dir, "missing.npy")));
        Assert.Throws<ArgumentException>(() => Npy.Write(Path.Combine(dir, "b.npy"), torch.ones(2, dtype: ScalarType.Bool)));
    }

    [Fact]
    public void CsvReadsMatricesAndLabels()
    {
        string m = Path.Combine(dir, "m.csv");
        File.WriteAllText(m, "a,b\n1.5, 2\n\n-3e2,4\n");
        Assert.Equal(new[] { 1.5, 2, -300, 4 }, T.Values(Csv.ReadMatrix(m)));
        Assert.Equal(new long[] { 2, 2 }, Csv.ReadMatrix(m).shape);
        string l = Path.Combine(dir, "l.csv");
        File.WriteAllText(l, "2\n0\n1\n");
        Assert.Equal(new long[] { 2, 0, 1 }, Csv.ReadLabels(l).data<long>().ToArray());
        File.WriteAllText(l, "1\n0.5\n");
        Assert.Contains("not an integer", Assert.Throws<FormatException>(() => Csv.ReadLabels(l)).Message);
        File.WriteAllText(m, "1,2\n3\n");
        Assert.Contains(":2:", Assert.Throws<FormatException>(() => Csv.ReadMatrix(m)).Message);
        File.WriteAllText(m, "1,2\nx,3\n");
        Assert.Contains("'x' is not a number", Assert.Throws<FormatException>(() => Csv.ReadMatrix(m)).Message);
        string w = Path.Combine(dir, "w.csv");
        Csv.Write(w, T.F64(new[] { 0.1, 1.0 / 3, 2, 3 }, 2, 2));
        Assert.Equal(new[] { 0.1, 1.0 / 3, 2, 3 }, T.Values(Csv.ReadMatrix(w)));
    }
}
