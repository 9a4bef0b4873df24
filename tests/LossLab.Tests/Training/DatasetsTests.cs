using LossLab.Training.Data;
using Xunit;

namespace LossLab.Tests.Training;

public sealed class DatasetsTests : TempFolder
{
    [Fact]
    public void NamesResolveCaseInsensitivelyAndUnknownNamesListTheKnown()
    {
        Assert.Equal("cifar10", Datasets.Get("CIFAR10").Name);
        Assert.Equal(20, Datasets.Get("cifar100-coarse").Classes.Count);
        var e = Assert.Throws<ArgumentException>(() => Datasets.Get("imagenet"));
        Assert.Contains("svhn", e.Message);
    }

    [Fact]
    public void TheShippedSampleSplitsIntoTrainValidationAndTest()
    {
        using var splits = Datasets.Load("fashion-mnist", LossLab.Cli.Commands.Demo.SampleFolder, seed: 1);
        Assert.Equal((2250L, 250L, 600L), (splits.Train.Count, splits.Validation.Count, splits.Test.Count));
        using var again = Datasets.Load("fashion-mnist", LossLab.Cli.Commands.Demo.SampleFolder, seed: 1);
        Assert.True(splits.Validation.Labels.Equals(again.Validation.Labels));
        Assert.True(splits.Validation.Images.Equals(again.Validation.Images));
    }

    [Theory]
    [InlineData("cifar10", "cs.toronto.edu")]
    [InlineData("cifar100", "cs.toronto.edu")]
    [InlineData("svhn", "housenumbers")]
    [InlineData("mnist", "mnist")]
    [InlineData("fashion-mnist", "fashion-mnist")]
    public void MissingFilesSayWhereToGetThem(string name, string hint)
    {
        var e = Assert.Throws<FileNotFoundException>(() => Datasets.Load(name, Dir));
        Assert.Contains(hint, e.Message);
        Assert.Contains(Dir, e.Message);
    }

    [Fact]
    public void TheStandardAugmentationIsCifarsCropAndFlip()
    {
        var o = Datasets.Get("cifar10").TrainingOptions(seed: 3);
        Assert.Equal((4, true, true, 3L), (o.CropPadding, o.HorizontalFlip, o.Shuffle, o.Seed));
        var s = Datasets.Get("svhn").TrainingOptions(seed: 3);
        Assert.Equal((0, false), (s.CropPadding, s.HorizontalFlip));
    }
}
