using LossLab.Training.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Training;

public sealed class BatchLoaderTests
{
    private static readonly Normalization Gray = new([0.5], [0.25]);

    private static List<long[]> EpochIds(BatchLoader loader) => [.. loader.Epoch().Select(b => b.Labels.data<long>().ToArray())];

    [Fact]
    public void AnEpochVisitsEveryImageOnceAndEpochsDiffer()
    {
        using var set = DataTestSets.Filled(23);
        using var loader = new BatchLoader(set, 5, Gray, new BatchOptions { Seed = 4 });
        Assert.Equal(5, loader.BatchesPerEpoch);
        var first = EpochIds(loader);
        var second = EpochIds(loader);
        Assert.Equal([5, 5, 5, 5, 3], first.Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, 23).Select(i => (long)i), first.SelectMany(b => b).Order());
        Assert.Equal(Enumerable.Range(0, 23).Select(i => (long)i), second.SelectMany(b => b).Order());
        Assert.NotEqual(first.SelectMany(b => b), second.SelectMany(b => b));
        Assert.Equal(2, loader.Epochs);
    }

    [Fact]
    public void TheSeedFixesTheSequenceOfEpochs()
    {
        using var set = DataTestSets.Filled(30);
        List<long> Run(long seed)
        {
            using var loader = new BatchLoader(set, 7, Gray, new BatchOptions { Seed = seed });
            return [.. EpochIds(loader).Concat(EpochIds(loader)).SelectMany(b => b)];
        }
        Assert.Equal(Run(1), Run(1));
        Assert.NotEqual(Run(1), Run(2));
    }

    [Fact]
    public void BatchesAreNormalisedImagesWithTheirLabels()
    {
        using var set = DataTestSets.Numbered(6, 3, 4, 4);
        var norm = new Normalization([0.1, 0.5, 0.9], [0.2, 0.3, 0.4]);
        using var loader = new BatchLoader(set, 4, norm, BatchOptions.Evaluation());
        var pixels = set.Images.data<byte>().ToArray();
        long seen = 0;
        foreach (var batch in loader.Epoch())
        {
            Assert.Equal(ScalarType.Float32, batch.Images.dtype);
            Assert.Equal(new long[] { batch.Count, 3, 4, 4 }, batch.Images.shape);
            var got = batch.Images.data<float>().ToArray();
            var labels = batch.Labels.data<long>().ToArray();
            for (int j = 0; j < batch.Count; j++)
            {
                long i = seen + j;
                Assert.Equal(i % 10, labels[j]);
                for (int k = 0; k < 48; k++)
                {
                    int ch = k / 16;
                    double want = (pixels[i * 48 + k] / 255.0 - norm.Mean[ch]) / norm.Std[ch];
                    Assert.True(Math.Abs(got[j * 48 + k] - want) < 1e-5, $"image {i} value {k}: {got[j * 48 + k]} vs {want}");
                }
            }
            seen += batch.Count;
        }
        Assert.Equal(6, seen);
    }

    [Fact]
    public void DropLastDropsTheShortBatch()
    {
        using var set = DataTestSets.Filled(23);
        using var loader = new BatchLoader(set, 5, Gray, new BatchOptions { DropLast = true });
        Assert.Equal(4, loader.BatchesPerEpoch);
        Assert.Equal(20, loader.Count);
        Assert.All(EpochIds(loader), b => Assert.Equal(5, b.Length));
    }

    [Fact]
    public void AugmentationIsSeededAndDoesNotChangeTheOrder()
    {
        using var set = DataTestSets.Numbered(20, 3, 6, 6);
        var norm = new Normalization([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
        List<Tensor> Run(long seed, bool augment)
        {
            using var loader = new BatchLoader(set, 8, norm, BatchOptions.Training(seed, augment ? 2 : 0, augment));
            return [.. loader.Epoch().Select(b => torch.cat([b.Images.flatten(1), b.Labels.view(-1, 1).to_type(ScalarType.Float32)], 1).clone())];
        }
        var a = Run(3, true);
        var b = Run(3, true);
        var plain = Run(3, false);
        var otherSeed = Run(4, true);
        Assert.All(a.Zip(b), p => Assert.True(p.First.Equals(p.Second)));
        // Same seed, same order with or without augmentation (the labels are the last column).
        Assert.All(a.Zip(plain), p => Assert.True(p.First[.., -1].Equals(p.Second[.., -1])));
        Assert.Contains(a.Zip(plain), p => !p.First.Equals(p.Second));
        Assert.Contains(a.Zip(otherSeed), p => !p.First.Equals(p.Second));
        foreach (var t in a.Concat(b).Concat(plain).Concat(otherSeed)) t.Dispose();
    }

    [Fact]
    public void AugmentedBatchesKeepEachImagesIdentity()
    {
        // Filled images stay constant under crop and flip, except for the zero padding a crop brings in.
        using var set = DataTestSets.Filled(12, 1, 4, 4);
        using var loader = new BatchLoader(set, 5, Gray, BatchOptions.Training(9, cropPadding: 1, horizontalFlip: true));
        foreach (var batch in loader.Epoch())
        {
            var raw = (batch.Images * 0.25 + 0.5).mul(255).round().to_type(ScalarType.Int64);
            var labels = batch.Labels.data<long>().ToArray();
            for (int j = 0; j < labels.Length; j++)
            {
                var values = raw[j].flatten().data<long>().ToArray();
                Assert.All(values, v => Assert.True(v == labels[j] || v == 0));
                Assert.Contains(labels[j], values.Skip(5).Take(1).Concat(values.Skip(6).Take(1)).Concat(values.Skip(9).Take(2))); // the centre is never padding
            }
        }
    }

    [Fact]
    public void NativeMemoryStaysFlatOverEpochs()
    {
        using var set = DataTestSets.Numbered(64, 3, 8, 8);
        var norm = new Normalization([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
        using var loader = new BatchLoader(set, 8, norm, BatchOptions.Training(1, 2, true));
        long Live() => DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        foreach (var _ in loader.Epoch()) { } // warm up
        long before = Live();
        long peak = before;
        for (int epoch = 0; epoch < 3; epoch++)
            foreach (var batch in loader.Epoch())
                peak = Math.Max(peak, Live());
        Assert.Equal(before, Live());
        Assert.True(peak - before <= 4, $"{peak - before} tensors alive during an epoch");
    }

    [Fact]
    public void ABatchIsDisposedWhenTheNextIsDrawn()
    {
        using var set = DataTestSets.Filled(10);
        using var loader = new BatchLoader(set, 4, Gray, BatchOptions.Evaluation());
        Batch? previous = null;
        foreach (var batch in loader.Epoch())
        {
            if (previous is not null) Assert.True(previous.Images.IsInvalid);
            Assert.False(batch.Images.IsInvalid);
            previous = batch;
        }
        Assert.True(previous!.Images.IsInvalid);
    }

    [Fact]
    public void BadArgumentsAreAnError()
    {
        using var set = DataTestSets.Filled(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchLoader(set, 0, Gray));
        Assert.Equal("normalization", Assert.Throws<ArgumentException>(() => new BatchLoader(set, 2, Normalization.Cifar10)).ParamName);
        using var floats = new ImageSet(set.Images.to_type(ScalarType.Float32), set.Labels.clone(), "floats");
        Assert.Contains("uint8", Assert.Throws<InvalidDataException>(() => new BatchLoader(floats, 2, Gray)).Message);
    }
}
