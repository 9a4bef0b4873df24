using LossLab.Training.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Training;

public sealed class SplitTests
{
    [Fact]
    public void ValidationIndicesAreDistinctSortedInRangeAndOfTheRightCount()
    {
        var v = Split.ValidationIndices(1000, 100, seed: 3);
        Assert.Equal(100, v.Length);
        Assert.Equal(100, v.Distinct().Count());
        Assert.All(v, i => Assert.InRange(i, 0, 999));
        Assert.Equal(v.Order(), v);
    }

    [Fact]
    public void TheSameSeedGivesTheSameSplitAndAnotherSeedAnother()
    {
        Assert.Equal(Split.ValidationIndices(50_000, 5000, 7), Split.ValidationIndices(50_000, 5000, 7));
        Assert.NotEqual(Split.ValidationIndices(50_000, 5000, 7), Split.ValidationIndices(50_000, 5000, 8));
    }

    [Fact]
    public void TheCifarSplitIs45000And5000()
    {
        var v = Split.ValidationIndices(50_000, 5000, 0);
        Assert.Equal(5000, v.Length);
        // Random, not a block: every tenth of the set contributes.
        for (int t = 0; t < 10; t++) Assert.Contains(v, i => i / 5000 == t);
    }

    [Fact]
    public void TrainAndValidationPartition()
    {
        using var set = DataTestSets.Filled(40);
        var (train, val) = Split.TrainValidation(set, 10, seed: 1);
        using (train)
        using (val)
        {
            Assert.Equal(30, train.Count);
            Assert.Equal(10, val.Count);
            var trainIds = train.Labels.data<long>().ToArray();
            var valIds = val.Labels.data<long>().ToArray();
            Assert.Empty(trainIds.Intersect(valIds));
            Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)i), trainIds.Concat(valIds).Order());
            // Both keep the original order, and the images went with their labels.
            Assert.Equal(trainIds.Order(), trainIds);
            Assert.Equal(Split.ValidationIndices(40, 10, 1), valIds);
            Assert.Equal(valIds.Select(i => (byte)i), val.Images[.., 0, 0, 0].data<byte>().ToArray());
        }
        Assert.Equal(40, set.Count); // the input is untouched
    }

    [Fact]
    public void OfDisposesTheFullTrainingSetAndKeepsTheTestSet()
    {
        var train = DataTestSets.Filled(20);
        var test = DataTestSets.Filled(5);
        using var splits = Split.Of(train, test, 4, seed: 2);
        Assert.Equal((16L, 4L, 5L), (splits.Train.Count, splits.Validation.Count, splits.Test.Count));
        Assert.Same(test, splits.Test);
        Assert.True(train.Images.IsInvalid);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(-1)]
    public void ValidationCountsOutOfRangeAreAnError(long count)
    {
        using var set = DataTestSets.Filled(10);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Split.TrainValidation(set, count, 0));
        Assert.Equal("validationCount", e.ParamName);
    }
}
