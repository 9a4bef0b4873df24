using System.IO.Compression;
using LossLab.Training.Data;
using Xunit;

namespace LossLab.Tests.Training;

public sealed class IdxReaderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("losslab-idx-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private static byte[] Idx(int[] shape, byte[] data)
    {
        var header = new List<byte> { 0, 0, 0x08, (byte)shape.Length };
        foreach (var s in shape) header.AddRange(new[] { (byte)(s >> 24), (byte)(s >> 16), (byte)(s >> 8), (byte)s });
        return header.Concat(data).ToArray();
    }

    private void Write(string name, byte[] bytes, bool gzip)
    {
        string path = Path.Combine(dir, name + (gzip ? ".gz" : ""));
        if (!gzip) { File.WriteAllBytes(path, bytes); return; }
        using var f = File.Create(path);
        using var gz = new GZipStream(f, CompressionLevel.Fastest);
        gz.Write(bytes);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReadsASmallSet(bool gzip)
    {
        var pixels = Enumerable.Range(0, 3 * 2 * 2).Select(i => (byte)(i * 10)).ToArray();
        Write("t10k-images-idx3-ubyte", Idx([3, 2, 2], pixels), gzip);
        Write("t10k-labels-idx1-ubyte", Idx([3], [7, 0, 9]), gzip);
        using var set = FashionMnist.Load(dir, "t10k");
        Assert.Equal(new long[] { 3, 1, 2, 2 }, set.Images.shape);
        Assert.Equal(new long[] { 7, 0, 9 }, set.Labels.data<long>().ToArray());
        Assert.Equal(pixels, set.Images.data<byte>().ToArray());
    }

    [Fact]
    public void TruncatedFilesNameTheFile()
    {
        var bytes = Idx([3, 2, 2], new byte[12]);
        Write("train-images-idx3-ubyte", bytes[..^1], false);
        Write("train-labels-idx1-ubyte", Idx([3], [1, 2, 3]), false);
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir, "train"));
        Assert.Contains("train-images-idx3-ubyte", e.Message);
        Assert.Contains("holds 11", e.Message);
    }

    [Fact]
    public void MissingFilesSayWhereToGetThem()
    {
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(dir, "train"));
        Assert.Contains("dataset-fashion-mnist", e.Message);
    }

    [Fact]
    public void MismatchedCountsAreAnError()
    {
        Write("train-images-idx3-ubyte", Idx([2, 1, 1], [1, 2]), false);
        Write("train-labels-idx1-ubyte", Idx([3], [1, 2, 3]), false);
        Assert.Contains("3 labels", Assert.Throws<InvalidDataException>(() => FashionMnist.Load(dir, "train")).Message);
    }

    [Fact]
    public void TheShippedSampleLoads()
    {
        string folder = LossLab.Cli.Commands.Demo.SampleFolder;
        using var train = FashionMnist.Load(folder, "train");
        using var test = FashionMnist.Load(folder, "t10k");
        Assert.Equal(2500, train.Count);
        Assert.Equal(600, test.Count);
        Assert.Equal(Enumerable.Repeat(60L, 10), test.Labels.bincount(null).data<long>().ToArray());
    }
}
