using LossLab.Training.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Training;

public sealed class SyntheticOodTests
{
    public static TheoryData<string> Kinds => ["uniform", "gaussian", "constant"];

    private static ImageSet Make(string kind, long seed) => kind switch
    {
        "uniform" => SyntheticOod.UniformNoise(50, 3, 8, 8, seed),
        "gaussian" => SyntheticOod.GaussianNoise(50, 3, 8, 8, seed),
        _ => SyntheticOod.Constant(50, 3, 8, 8, seed),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SetsAreSeededBytesWithNoClass(string kind)
    {
        using var a = Make(kind, 1);
        using var b = Make(kind, 1);
        using var c = Make(kind, 2);
        a.Checked();
        Assert.Equal(new long[] { 50, 3, 8, 8 }, a.Images.shape);
        Assert.True(a.Images.Equals(b.Images));
        Assert.False(a.Images.Equals(c.Images));
        Assert.All(a.Labels.data<long>().ToArray(), y => Assert.Equal(SyntheticOod.NoClass, y));
        using var scope = NewDisposeScope();
        double mean = a.Images.to_type(ScalarType.Float64).mean().item<double>();
        Assert.InRange(mean, 110, 145); // all three are centred on mid-grey
    }

    [Fact]
    public void ConstantImagesAreConstantPerChannel()
    {
        using var set = SyntheticOod.Constant(10, 3, 4, 5, 0);
        using var scope = NewDisposeScope();
        var x = set.Images.to_type(ScalarType.Float32);
        Assert.True(x.amax([2, 3]).Equals(x.amin([2, 3])));
        Assert.True(x.amax([2, 3]).std().item<float>() > 10); // but they differ between images and channels
    }

    [Fact]
    public void GaussianNoiseHasTheRequestedSpread()
    {
        using var set = SyntheticOod.GaussianNoise(100, 1, 16, 16, 3, mean: 0.5, std: 0.1);
        using var scope = NewDisposeScope();
        var x = set.Images.to_type(ScalarType.Float64) / 255;
        Assert.InRange(x.std().item<double>(), 0.095, 0.105);
    }

    [Fact]
    public void EmptySizesAreAnError() => Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticOod.UniformNoise(0, 3, 8, 8, 0));
}
