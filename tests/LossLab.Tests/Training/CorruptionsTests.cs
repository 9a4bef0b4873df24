using LossLab.Training.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Training;

public sealed class CorruptionsTests
{
    private static double Mse(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).square().mean().item<double>();
    }

    public static TheoryData<Corruption> Each => [.. Corruptions.All];

    [Theory]
    [MemberData(nameof(Each))]
    public void MoreSevereIsFurtherFromTheOriginal(Corruption corruption)
    {
        using var set = DataTestSets.FashionSample(48);
        var mse = new List<double>();
        for (int s = 1; s <= 5; s++)
        {
            using var c = Corruptions.Apply(set, corruption, s, seed: 3);
            Assert.Equal(set.Images.shape, c.Images.shape);
            Assert.Equal(ScalarType.Byte, c.Images.dtype);
            Assert.True(c.Labels.Equals(set.Labels));
            mse.Add(Mse(c.Images, set.Images));
        }
        Assert.True(mse[0] > 0, $"{corruption} severity 1 changed nothing");
        for (int s = 1; s < 5; s++)
            Assert.True(mse[s] > mse[s - 1], $"{corruption}: severity {s + 1} MSE {mse[s]:G4} is not above severity {s}'s {mse[s - 1]:G4}");
    }

    [Theory]
    [MemberData(nameof(Each))]
    public void TheSeedFixesTheResult(Corruption corruption)
    {
        using var set = DataTestSets.FashionSample(8);
        using var a = Corruptions.Apply(set.Images, corruption, 3, seed: 5);
        using var b = Corruptions.Apply(set.Images, corruption, 3, seed: 5);
        Assert.True(a.Equals(b));
        if (corruption is Corruption.GaussianNoise or Corruption.Rotation)
        {
            using var other = Corruptions.Apply(set.Images, corruption, 3, seed: 6);
            Assert.False(a.Equals(other));
        }
    }

    [Fact]
    public void ChunksDoNotChangeTheResultOfDeterministicCorruptions()
    {
        using var set = DataTestSets.FashionSample(Corruptions.Chunk + 20);
        using var whole = Corruptions.Apply(set.Images, Corruption.GaussianBlur, 2, 0);
        using var tail = set.Images.narrow(0, Corruptions.Chunk, 20);
        using var tailAlone = Corruptions.Apply(tail, Corruption.GaussianBlur, 2, 0);
        using var wholeTail = whole.narrow(0, Corruptions.Chunk, 20);
        Assert.True(tailAlone.Equals(wholeTail));
    }

    [Fact]
    public void BuildingBlocksStayInTheUnitInterval()
    {
        using var g = new Generator(1, torch.CPU);
        using var x = torch.rand([6, 3, 8, 8], generator: g);
        using var scope = NewDisposeScope();
        foreach (var y in new[]
        {
            Corruptions.GaussianNoise(x, 5.0, g), Corruptions.GaussianBlur(x, 2.0), Corruptions.Contrast(x, 3.0),
            Corruptions.Rotate(x, torch.full(6, 33.0)),
        })
        {
            Assert.True(y.min().item<float>() >= 0);
            Assert.True(y.max().item<float>() <= 1);
        }
    }

    [Fact]
    public void RotationByZeroIsTheIdentity()
    {
        using var set = DataTestSets.FashionSample(5);
        using var scope = NewDisposeScope();
        var x = set.Images.to_type(ScalarType.Float32) / 255;
        var y = Corruptions.Rotate(x, torch.zeros(5));
        Assert.True(y.allclose(x, rtol: 0, atol: 1e-5));
        Assert.True((y * 255).round().to_type(ScalarType.Byte).Equals(set.Images));
    }

    [Fact]
    public void RotationBy90DegreesIsCounterclockwise()
    {
        // Counterclockwise as displayed (rows going down): new[r][c] = old[c][W-1-r], i.e. transpose, then reverse the rows.
        using var scope = NewDisposeScope();
        using var g = new Generator(2, torch.CPU);
        var x = torch.rand([2, 1, 6, 6], generator: g);
        var want = x.transpose(2, 3).flip(2);
        var got = Corruptions.Rotate(x, torch.full(2, 90.0));
        Assert.True(got.allclose(want, rtol: 0, atol: 1e-4));
        var back = Corruptions.Rotate(x, torch.full(2, -90.0));
        Assert.True(back.allclose(x.transpose(2, 3).flip(3), rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void BlurMatchesABruteForceConvolutionWithReplicatedEdges()
    {
        const int h = 5, w = 6;
        const double sigma = 0.8;
        using var g = new Generator(3, torch.CPU);
        using var x = torch.rand([1, 1, h, w], dtype: ScalarType.Float64, generator: g);
        using var got = Corruptions.GaussianBlur(x, sigma);
        var v = x.data<double>().ToArray();
        int r = (int)Math.Round(4 * sigma);
        var k = Enumerable.Range(-r, 2 * r + 1).Select(i => Math.Exp(-i * i / (2 * sigma * sigma))).ToArray();
        double total = k.Sum();
        var want = new double[h * w];
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++)
                for (int a = -r; a <= r; a++)
                    for (int b = -r; b <= r; b++)
                    {
                        int si = Math.Clamp(i + a, 0, h - 1), sj = Math.Clamp(j + b, 0, w - 1);
                        want[i * w + j] += k[a + r] * k[b + r] / (total * total) * v[si * w + sj];
                    }
        Support.T.Close(want, got, rtol: 1e-12, atol: 1e-12);
    }

    [Fact]
    public void ContrastScalesAboutEachImagesChannelMean()
    {
        using var scope = NewDisposeScope();
        var x = torch.tensor(new[] { 0.2, 0.4, 0.6, 0.8, 0.0, 0.0, 1.0, 1.0 }).view(1, 2, 2, 2);
        Support.T.Close([0.35, 0.45, 0.55, 0.65, 0.25, 0.25, 0.75, 0.75], Corruptions.Contrast(x, 0.5), rtol: 1e-12, atol: 1e-12);
        Assert.True(Corruptions.Contrast(x, 1).allclose(x));
    }

    [Fact]
    public void NoiseOfZeroIsTheIdentityAndNoiseHasTheRightSpread()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(4, torch.CPU);
        var x = torch.full([64, 1, 16, 16], 0.5);
        Assert.True(Corruptions.GaussianNoise(x, 0, g).Equals(x));
        var y = Corruptions.GaussianNoise(x, 0.1, g);
        Assert.InRange((y - x).std().item<float>(), 0.095, 0.105);
    }

    [Fact]
    public void ParametersFollowCifar10C()
    {
        Assert.Equal([0.04, 0.06, 0.08, 0.09, 0.10], Enumerable.Range(1, 5).Select(s => Corruptions.Parameter(Corruption.GaussianNoise, s)));
        Assert.Equal([0.4, 0.6, 0.7, 0.8, 1.0], Enumerable.Range(1, 5).Select(s => Corruptions.Parameter(Corruption.GaussianBlur, s)));
        Assert.Equal([0.75, 0.5, 0.4, 0.3, 0.15], Enumerable.Range(1, 5).Select(s => Corruptions.Parameter(Corruption.Contrast, s)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void SeveritiesOutsideOneToFiveAreAnError(int severity)
    {
        using var set = DataTestSets.Filled(2);
        Assert.Equal("severity", Assert.Throws<ArgumentOutOfRangeException>(() => Corruptions.Apply(set, Corruption.Contrast, severity, 0)).ParamName);
    }

    [Fact]
    public void NonByteImagesAreAnError()
    {
        using var x = torch.zeros(1, 1, 2, 2);
        Assert.Throws<ArgumentException>(() => Corruptions.Apply(x, Corruption.Contrast, 1, 0));
        using var b = torch.zeros([1, 1, 2, 2], dtype: ScalarType.Byte);
        Assert.Throws<ArgumentException>(() => Corruptions.GaussianBlur(b, 1));
    }
}
