using LossLab.Training.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Training;

public sealed class SvhnTests : TempFolder
{
    /// <summary>Pixel (n, c, row, col) of the test images: a value that tells every coordinate apart.</summary>
    private static byte Pixel(int n, int c, int row, int col) => (byte)((n * 97 + c * 61 + row * 7 + col * 3) % 256);

    /// <summary>SVHN's layout: X is 32x32x3xN column-major (X(row, col, c, n)), y is Nx1 double with 10 for the digit 0.</summary>
    private string WriteSvhn(string split, double[] labels, bool compress = true, int size = 32)
    {
        int n = labels.Length;
        var x = new byte[size * size * 3 * n];
        int at = 0;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 3; c++)
                for (int col = 0; col < size; col++)
                    for (int row = 0; row < size; row++)
                        x[at++] = Pixel(i, c, row, col);
        var w = new MatWriter()
            .AddUInt8("X", [size, size, 3, n], x, compress)
            .AddDouble("y", [n, 1], labels, compress);
        string path = Path.Combine(Dir, $"{split}_32x32.mat");
        w.Save(path);
        return path;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReadsImagesInRowMajorOrderAndMapsTenToZero(bool compress)
    {
        WriteSvhn("test", [10, 1, 9], compress);
        using var set = Svhn.Load(Dir, "test");
        Assert.Equal(new long[] { 3, 3, 32, 32 }, set.Images.shape);
        Assert.Equal([0L, 1, 9], set.Labels.data<long>().ToArray());
        DataTestSets.AssertPixels(set.Images, Pixel);
    }

    [Fact]
    public void MissingFilesSayWhereToGetThem()
    {
        var e = Assert.Throws<FileNotFoundException>(() => Svhn.Load(Dir, "train"));
        Assert.Contains("train_32x32.mat", e.Message);
        Assert.Contains("ufldl.stanford.edu/housenumbers", e.Message);
    }

    [Fact]
    public void LabelsOutOfRangeAreAnError()
    {
        WriteSvhn("train", [1, 11]);
        var e = Assert.Throws<InvalidDataException>(() => Svhn.Load(Dir, "train"));
        Assert.Contains("train_32x32.mat", e.Message);
        Assert.Contains("y[1] = 11", e.Message);
    }

    [Fact]
    public void LabelCountMustMatchTheImages()
    {
        var w = new MatWriter()
            .AddUInt8("X", [32, 32, 3, 2], new byte[32 * 32 * 3 * 2], compress: true)
            .AddDouble("y", [3, 1], [1, 2, 3], compress: false);
        w.Save(Path.Combine(Dir, "extra_32x32.mat"));
        var e = Assert.Throws<InvalidDataException>(() => Svhn.Load(Dir, "extra"));
        Assert.Contains("expected 2x1", e.Message);
    }

    [Fact]
    public void WrongImageLayoutIsAnError()
    {
        var w = new MatWriter()
            .AddUInt8("X", [32, 32, 2], new byte[32 * 32 * 2], compress: true)
            .AddDouble("y", [2, 1], [1, 2], compress: false);
        w.Save(Path.Combine(Dir, "test_32x32.mat"));
        var e = Assert.Throws<InvalidDataException>(() => Svhn.Load(Dir, "test"));
        Assert.Contains("HxWx3xN", e.Message);
    }

    [Fact]
    public void ATruncatedFileNamesTheFile()
    {
        string path = WriteSvhn("test", [1, 2]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => Svhn.Load(Dir, "test"));
        Assert.Contains("test_32x32.mat", e.Message);
    }

    [Fact]
    public void UnknownSplitsAreAnError() => Assert.Throws<ArgumentException>(() => Svhn.Load(Dir, "valid"));
}
