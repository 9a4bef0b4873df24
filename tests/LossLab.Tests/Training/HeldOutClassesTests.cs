using LossLab.Training.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Training;

public sealed class HeldOutClassesTests
{
    [Fact]
    public void KeptClassesAreRelabelledInTheGivenOrderAndTheRestHeldOut()
    {
        using var set = DataTestSets.Filled(20); // image i is filled with i, label i % 10 below
        using var labels = torch.arange(20, dtype: ScalarType.Int64) % 10;
        using var tenClasses = new ImageSet(set.Images.clone(), labels.clone(), "ten");
        using var split = HeldOutClasses.Split(tenClasses, [7, 2, 5], 10);
        Assert.Equal([7, 2, 5], split.InClasses);
        Assert.Equal([0, 1, 3, 4, 6, 8, 9], split.OutClasses);
        var inIds = split.InDistribution.Images[.., 0, 0, 0].to_type(ScalarType.Int64).data<long>().ToArray();
        var inLabels = split.InDistribution.Labels.data<long>().ToArray();
        Assert.Equal([2L, 5, 7, 12, 15, 17], inIds);
        var map = new Dictionary<long, long> { [7] = 0, [2] = 1, [5] = 2 };
        Assert.Equal(inIds.Select(i => map[i % 10]), inLabels);
        var outIds = split.OutOfDistribution.Images[.., 0, 0, 0].to_type(ScalarType.Int64).data<long>().ToArray();
        Assert.Equal(14, outIds.Length);
        Assert.Empty(outIds.Intersect(inIds));
        Assert.Equal(outIds.Select(i => i % 10), split.OutOfDistribution.Labels.data<long>().ToArray());
    }

    [Fact]
    public void FirstKKeepsTheFirstClasses()
    {
        using var sample = DataTestSets.FashionSample(600);
        using var split = HeldOutClasses.FirstK(sample, 6, 10);
        Assert.Equal(360, split.InDistribution.Count);
        Assert.Equal(240, split.OutOfDistribution.Count);
        Assert.Equal(Enumerable.Repeat(60L, 6), split.InDistribution.ClassCounts(6));
        Assert.Equal([0L, 0, 0, 0, 0, 0, 60, 60, 60, 60], split.OutOfDistribution.ClassCounts(10));
    }

    [Fact]
    public void BadClassListsAreAnError()
    {
        using var set = DataTestSets.Filled(10);
        Assert.Throws<ArgumentException>(() => HeldOutClasses.Split(set, [1, 1], 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => HeldOutClasses.Split(set, [10], 10));
        Assert.Throws<ArgumentException>(() => HeldOutClasses.Split(set, [.. Enumerable.Range(0, 10)], 10));
        Assert.Throws<ArgumentException>(() => HeldOutClasses.Split(set, [], 10));
        Assert.Throws<ArgumentException>(() => HeldOutClasses.Split(set, [0], 5)); // labels 5..9 are outside 0..4
    }
}
