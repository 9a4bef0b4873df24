using LossLab.Training.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Training;

public sealed class AugmentTests
{
    /// <summary>The expected crop, by hand: padded pixel (r, c) is the image's (r - p, c - p) inside, 0 outside.</summary>
    private static byte Expected(int i, int ch, int r, int col, int top, int left, int p, int h, int w)
    {
        int sr = r + top - p, sc = col + left - p;
        return sr < 0 || sr >= h || sc < 0 || sc >= w ? (byte)0 : DataTestSets.Pixel(i, ch, sr, sc);
    }

    [Fact]
    public void CropAtKnownOffsetsIsTheExpectedWindow()
    {
        const int n = 4, c = 3, h = 4, w = 5, p = 2;
        using var set = DataTestSets.Numbered(n, c, h, w);
        long[] top = [0, 2, 4, 1], left = [4, 2, 0, 3];
        using var topT = torch.tensor(top);
        using var leftT = torch.tensor(left);
        using var got = Augment.Crop(set.Images, p, topT, leftT);
        Assert.Equal(new long[] { n, c, h, w }, got.shape);
        DataTestSets.AssertPixels(got, (i, ch, r, col) => Expected(i, ch, r, col, (int)top[i], (int)left[i], p, h, w));
    }

    [Fact]
    public void CropAtThePaddingOffsetIsTheImage()
    {
        using var set = DataTestSets.Numbered(3);
        using var four = torch.full(3, 4L, dtype: ScalarType.Int64);
        using var got = Augment.Crop(set.Images, 4, four, four);
        Assert.True(got.Equals(set.Images));
        using var zeros = torch.zeros(3, dtype: ScalarType.Int64);
        using var none = Augment.Crop(set.Images, 0, zeros, zeros);
        Assert.True(none.Equals(set.Images));
    }

    [Fact]
    public void CropWorksOnFloatBatches()
    {
        using var set = DataTestSets.Numbered(2);
        using var x = set.Images.to_type(ScalarType.Float32);
        using var top = torch.tensor(new long[] { 0, 1 });
        using var left = torch.tensor(new long[] { 1, 2 });
        using var a = Augment.Crop(x, 1, top, left);
        using var b = Augment.Crop(set.Images, 1, top, left);
        Assert.True(a.Equals(b.to_type(ScalarType.Float32)));
    }

    [Fact]
    public void OffsetsOutsideThePaddingAreAnError()
    {
        using var set = DataTestSets.Numbered(2);
        using var bad = torch.tensor(new long[] { 0, 9 });
        using var ok = torch.tensor(new long[] { 0, 1 });
        Assert.Equal("left", Assert.Throws<ArgumentOutOfRangeException>(() => Augment.Crop(set.Images, 4, ok, bad)).ParamName);
        using var wrongShape = torch.tensor(new long[] { 0 });
        Assert.Equal("top", Assert.Throws<ArgumentException>(() => Augment.Crop(set.Images, 4, wrongShape, ok)).ParamName);
        Assert.Throws<ArgumentException>(() => Augment.Crop(set.Images[0], 4, ok, ok));
    }

    [Fact]
    public void RandomCropIsDeterministicPerSeedAndEveryCropIsAWindowOfThePaddedImage()
    {
        using var set = DataTestSets.Numbered(6, 2, 5, 5);
        Tensor Draw(long seed)
        {
            using var g = new Generator((ulong)seed, torch.CPU);
            return Augment.RandomCrop(set.Images, 2, g);
        }
        using var a = Draw(11);
        using var b = Draw(11);
        using var other = Draw(12);
        Assert.Equal(new long[] { 6, 2, 5, 5 }, a.shape);
        Assert.True(a.Equals(b));
        Assert.False(a.Equals(other));
        // Each crop matches exactly one offset pair, found by brute force.
        var values = a.data<byte>().ToArray();
        for (int i = 0; i < 6; i++)
        {
            int matches = 0;
            for (int top = 0; top <= 4; top++)
                for (int left = 0; left <= 4; left++)
                {
                    bool same = true;
                    for (int ch = 0; ch < 2 && same; ch++)
                        for (int r = 0; r < 5 && same; r++)
                            for (int col = 0; col < 5 && same; col++)
                                same = values[((i * 2 + ch) * 5 + r) * 5 + col] == Expected(i, ch, r, col, top, left, 2, 5, 5);
                    if (same) matches++;
                }
            Assert.Equal(1, matches);
        }
    }

    [Fact]
    public void FlipMirrorsExactlyTheMaskedImages()
    {
        const int n = 3, c = 2, h = 3, w = 4;
        using var set = DataTestSets.Numbered(n, c, h, w);
        using var mask = torch.tensor(new[] { true, false, true });
        using var got = Augment.Flip(set.Images, mask);
        DataTestSets.AssertPixels(got, (i, ch, r, col) => DataTestSets.Pixel(i, ch, r, i == 1 ? col : w - 1 - col));
    }

    [Fact]
    public void RandomFlipIsDeterministicPerSeedAndHonoursItsProbability()
    {
        using var set = DataTestSets.Numbered(64, 1, 2, 3);
        using var flipped = set.Images.flip(3);
        Tensor Draw(long seed, double p)
        {
            using var g = new Generator((ulong)seed, torch.CPU);
            return Augment.RandomFlip(set.Images, g, p);
        }
        using var a = Draw(5, 0.5);
        using var b = Draw(5, 0.5);
        Assert.True(a.Equals(b));
        using var none = Draw(5, 0);
        Assert.True(none.Equals(set.Images));
        using var all = Draw(5, 1);
        Assert.True(all.Equals(flipped));
        // Each image is either itself or its mirror; about half are mirrored.
        int mirrored = 0;
        using var scope = NewDisposeScope();
        for (int i = 0; i < 64; i++)
        {
            bool same = a[i].Equals(set.Images[i]), mirror = a[i].Equals(flipped[i]);
            Assert.True(same || mirror);
            if (mirror) mirrored++;
        }
        Assert.InRange(mirrored, 16, 48);
    }
}
