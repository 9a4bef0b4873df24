using LossLab.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Tests.Training;

/// <summary>Small in-memory image sets for the data tests.</summary>
internal static class DataTestSets
{
    /// <summary>
    /// n images (C, H, W) whose pixel (i, c, r, col) is <c>(i * 37 + c * 11 + r * 5 + col * 3) % 256</c>; label i % classes.
    /// Each image is told apart by its first pixel when n &lt;= 6.
    /// </summary>
    public static ImageSet Numbered(int n, int c = 3, int h = 4, int w = 4, int classes = 10)
    {
        var pixels = new byte[n * c * h * w];
        int k = 0;
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int r = 0; r < h; r++)
                    for (int col = 0; col < w; col++)
                        pixels[k++] = Pixel(i, ch, r, col);
        var labels = Enumerable.Range(0, n).Select(i => (long)(i % classes)).ToArray();
        return new ImageSet(torch.tensor(pixels, [n, c, h, w], dtype: ScalarType.Byte), torch.tensor(labels, dtype: ScalarType.Int64), "numbered");
    }

    /// <summary>Asserts every pixel of uint8 images (N, C, H, W) against <c>want(i, c, row, col)</c>, computed independently.</summary>
    public static void AssertPixels(Tensor images, Func<int, int, int, int, byte> want)
    {
        Xunit.Assert.Equal(ScalarType.Byte, images.dtype);
        var s = images.shape;
        var got = images.contiguous().data<byte>().ToArray();
        int k = 0;
        for (int i = 0; i < s[0]; i++)
            for (int c = 0; c < s[1]; c++)
                for (int r = 0; r < s[2]; r++)
                    for (int col = 0; col < s[3]; col++, k++)
                        if (got[k] != want(i, c, r, col))
                            Xunit.Assert.Fail($"pixel ({i}, {c}, {r}, {col}) is {got[k]}, expected {want(i, c, r, col)}");
    }

    public static byte Pixel(int i, int c, int r, int col) => (byte)((i * 37 + c * 11 + r * 5 + col * 3) % 256);

    /// <summary>An image set whose image i is filled with the value i (so an image's identity survives any crop or flip), label i.</summary>
    public static ImageSet Filled(int n, int c = 1, int h = 3, int w = 3)
    {
        var x = torch.arange(n, dtype: ScalarType.Byte).view(n, 1, 1, 1).expand(n, c, h, w).contiguous();
        return new ImageSet(x, torch.arange(n, dtype: ScalarType.Int64), "filled");
    }

    /// <summary>The first n images of the shipped Fashion-MNIST sample's test split.</summary>
    public static ImageSet FashionSample(int n)
    {
        using var all = FashionMnist.Load(LossLab.Cli.Commands.Demo.SampleFolder, "t10k");
        using var idx = torch.arange(n, dtype: ScalarType.Int64);
        return all.Subset(idx);
    }
}
