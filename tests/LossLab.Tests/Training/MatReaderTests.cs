using System.Text;
using LossLab.Training.Data;
using Xunit;

namespace LossLab.Tests.Training;

public sealed class MatReaderTests : TempFolder
{
    private string Save(MatWriter w, string name = "a.mat")
    {
        string path = Path.Combine(Dir, name);
        w.Save(path);
        return path;
    }

    private static readonly byte[] Pixels = [.. Enumerable.Range(0, 2 * 3 * 2 * 2).Select(i => (byte)(7 * i + 3))];

    /// <summary>X: uint8 2x3x2x2 compressed; y: double 2x1 uncompressed; a char array (skipped); a 1x1 uint8 in the small form.</summary>
    private static MatWriter Mixed(bool bigEndian)
    {
        var w = new MatWriter(bigEndian);
        w.AddUInt8("X", [2, 3, 2, 2], Pixels, compress: true);
        w.AddDouble("y", [2, 1], [10, 3], compress: false);
        w.Add("note", MatWriter.MxChar, [1, 2], MatWriter.MiUInt8, Encoding.ASCII.GetBytes("hi"), compress: false);
        w.AddUInt8("k", [1, 1], [42], compress: false);
        w.AddDouble("z", [1, 3], [0.5, -2, 1e300], compress: true);
        return w;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsUncompressedAndCompressedElementsInEitherByteOrder(bool bigEndian)
    {
        var arrays = MatReader.Read(Save(Mixed(bigEndian)));
        Assert.Equal(["X", "k", "y", "z"], arrays.Keys.Order(StringComparer.Ordinal));
        var x = arrays["X"];
        Assert.Equal(MatClass.UInt8, x.Class);
        Assert.Equal([2, 3, 2, 2], x.Dimensions);
        Assert.Equal(24, x.Count);
        Assert.Equal(Pixels, x.ToBytes());
        var y = arrays["y"];
        Assert.Equal(MatClass.Double, y.Class);
        Assert.Equal([2, 1], y.Dimensions);
        Assert.Equal([10.0, 3.0], y.ToDoubles());
        Assert.Equal([10, 3], y.ToBytes());
        Assert.Equal([42], arrays["k"].ToBytes());
        Assert.Equal([0.5, -2, 1e300], arrays["z"].ToDoubles());
    }

    [Fact]
    public void ReadsOnlyTheNamedVariables()
    {
        var arrays = MatReader.Read(Save(Mixed(false)), "y");
        Assert.Equal(["y"], arrays.Keys);
    }

    [Fact]
    public void ADoubleArrayStoredAsBytesReadsAsDoubles()
    {
        // MATLAB stores a double array of small integers as miUINT8 to save space.
        var w = new MatWriter().Add("y", MatWriter.MxDouble, [5, 1], MatWriter.MiUInt8, [1, 2, 10, 9, 7], compress: true);
        var y = MatReader.Read(Save(w))["y"];
        Assert.Equal(MatClass.Double, y.Class);
        Assert.Equal([1.0, 2, 10, 9, 7], y.ToDoubles());
    }

    [Fact]
    public void AnUnfitValueIsNotReadAsAByte()
    {
        var w = new MatWriter().AddDouble("y", [1, 2], [1, 256], compress: false);
        var e = Assert.Throws<InvalidDataException>(() => MatReader.Read(Save(w))["y"].ToBytes());
        Assert.Contains("'y'", e.Message);
        Assert.Contains("256", e.Message);
    }

    [Fact]
    public void MissingVariablesAreNamed()
    {
        var e = Assert.Throws<InvalidDataException>(() => MatReader.Read(Save(Mixed(false)), "X", "labels", "note"));
        Assert.Contains("'labels'", e.Message);
        Assert.Contains("'note'", e.Message); // a char array is not numeric
        Assert.Contains("a.mat", e.Message);
    }

    public static TheoryData<int> Cuts => [1, 60, 127, 130, 140, 200, 300];

    [Theory]
    [MemberData(nameof(Cuts))]
    public void TruncatedFilesAreAClearError(int keep)
    {
        var full = Mixed(false).ToArray();
        Assert.True(keep < full.Length);
        Assert.Matches("too short|truncated|ends after", Fails("cut.mat", full[..keep]).Message);
    }

    [Fact]
    public void TruncatingAtAnyByteGivesAClearErrorOrTheWholeVariablesBeforeTheCut()
    {
        var full = Mixed(false).ToArray();
        var whole = MatReader.Read(Save(Mixed(false)));
        string path = Path.Combine(Dir, "cut.mat");
        for (int keep = 0; keep < full.Length; keep++)
        {
            File.WriteAllBytes(path, full[..keep]);
            try
            {
                // A cut exactly between two elements leaves a valid file of fewer variables.
                var some = MatReader.Read(path);
                Assert.True(some.Count < whole.Count, $"cut at {keep}");
                foreach (var (name, a) in some) Assert.Equal(whole[name].ToDoubles(), a.ToDoubles());
            }
            catch (InvalidDataException e)
            {
                Assert.Contains("cut.mat", e.Message);
            }
        }
    }

    [Fact]
    public void WrongMagicIsNotAMatFile()
    {
        var bytes = Mixed(false).ToArray();
        bytes[126] = (byte)'X';
        Assert.Contains("not a MATLAB v5 MAT file", Fails("bad.mat", bytes).Message);
    }

    [Fact]
    public void WrongVersionIsAnError()
    {
        var bytes = Mixed(false).ToArray();
        bytes[125] = 0x02;
        Assert.Contains("0x0200", Fails("v.mat", bytes).Message);
    }

    [Fact]
    public void Hdf5FilesSaySo()
    {
        var bytes = MatWriter.Header(false, "MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00").ToArray();
        Assert.Contains("v7.3", Fails("h.mat", bytes).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DimensionsThatDisagreeWithTheDataAreAnError(bool compress)
    {
        var w = new MatWriter().AddUInt8("X", [2, 3], [1, 2, 3, 4, 5], compress);
        var e = Assert.Throws<InvalidDataException>(() => MatReader.Read(Save(w)));
        Assert.Contains("'X'", e.Message);
        Assert.Contains("6 values", e.Message);
        Assert.Contains("5 bytes", e.Message);
    }

    [Fact]
    public void CorruptCompressedDataIsAClearError()
    {
        var w = new MatWriter().AddUInt8("X", [4, 4], new byte[16], compress: true);
        var bytes = w.ToArray();
        for (int i = 128 + 8 + 2; i < bytes.Length - 4; i++) bytes[i] ^= 0x5A;
        Assert.Contains("compressed", Fails("z.mat", bytes).Message);
    }

    [Fact]
    public void AnElementLongerThanTheFileIsTruncation()
    {
        var w = new MatWriter().AddUInt8("X", [4, 4], new byte[16], compress: false);
        var bytes = w.ToArray();
        bytes[132] = 0xFF; // the miMATRIX byte count
        Assert.Contains("truncated", Fails("long.mat", bytes).Message);
    }

    [Fact]
    public void AMissingFileIsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => MatReader.Read(Path.Combine(Dir, "none.mat")));

    /// <summary>Writes the bytes to a file, reads it, and returns the error, which must name the file.</summary>
    private InvalidDataException Fails(string name, byte[] bytes)
    {
        string path = Path.Combine(Dir, name);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => MatReader.Read(path));
        Assert.Contains(name, e.Message);
        return e;
    }
}
