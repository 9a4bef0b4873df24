using LossLab.Training.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Training;

public sealed class NormalizationTests
{
    [Fact]
    public void ApplyNormalisesEachChannel()
    {
        using var set = DataTestSets.Numbered(2, 2, 1, 2);
        var norm = new Normalization([0.25, 0.5], [0.5, 0.125]);
        using var got = set.Normalized(norm);
        var pixels = set.Images.data<byte>().ToArray();
        var want = pixels.Select((p, k) => (p / 255.0 - norm.Mean[k / 2 % 2]) / norm.Std[k / 2 % 2]).ToArray();
        Support.T.Close(want, got, rtol: 1e-6, atol: 1e-6);
        Assert.Equal(ScalarType.Float32, got.dtype);
    }

    [Fact]
    public void EstimateIsThePerChannelMeanAndPopulationStd()
    {
        using var set = DataTestSets.Numbered(5, 3, 4, 4);
        var est = Normalization.Estimate(set);
        var pixels = set.Images.data<byte>().ToArray();
        for (int c = 0; c < 3; c++)
        {
            var v = pixels.Where((_, k) => k / 16 % 3 == c).Select(p => p / 255.0).ToArray();
            double mean = v.Average();
            double std = Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Average());
            Assert.Equal(mean, est.Mean[c], 1e-12);
            Assert.Equal(std, est.Std[c], 1e-12);
        }
    }

    [Fact]
    public void TheFashionMnistConstantsFitTheShippedSample()
    {
        // The constants are over the 60,000 training images; the 2,500-image sample is close to them.
        using var train = FashionMnist.Load(LossLab.Cli.Commands.Demo.SampleFolder, "train");
        var est = Normalization.Estimate(train);
        Assert.Equal(Normalization.FashionMnist.Mean[0], est.Mean[0], 0.01);
        Assert.Equal(Normalization.FashionMnist.Std[0], est.Std[0], 0.01);
    }

    [Fact]
    public void EveryDatasetHasOneConstantPerChannel()
    {
        foreach (var d in Datasets.All)
        {
            Assert.Equal(d.Channels, d.Normalization.Channels);
            Assert.Equal(d.Channels, d.Normalization.Std.Count);
            Assert.All(d.Normalization.Mean, m => Assert.InRange(m, 0.05, 0.95));
            Assert.All(d.Normalization.Std, s => Assert.InRange(s, 0.05, 0.5));
        }
    }

    [Fact]
    public void WrongChannelCountsAreAnError()
    {
        using var set = DataTestSets.Numbered(2, 1, 2, 2);
        Assert.Throws<ArgumentException>(() => Normalization.Cifar10.Apply(set.Images));
        Assert.Throws<InvalidOperationException>(() => new Normalization([0.5], [0.0]).Apply(set.Images));
    }
}
