using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Metric;

public class PairMasksTests
{
    [Theory]
    [InlineData(0L, 6L)]
    [InlineData(0L, 2L)]
    [InlineData(2L, 3L)]
    [InlineData(5L, 1L)]
    public void PositivesAreTheOtherSamplesOfTheLabelAndNegativesTheOtherLabels(long start, long length)
    {
        long[] y = { 3, 1, 3, 3, 1, 7 };
        var labels = T.I64(y);
        var (positive, negative) = PairMasks.Of(labels.narrow(0, start, length), labels, start);
        var pos = positive.to_type(ScalarType.Float64);
        var neg = negative!.to_type(ScalarType.Float64);
        var wantPos = new List<double>();
        var wantNeg = new List<double>();
        for (long i = start; i < start + length; i++)
            for (long j = 0; j < y.Length; j++)
            {
                wantPos.Add(y[i] == y[j] && i != j ? 1 : 0);
                wantNeg.Add(y[i] != y[j] ? 1 : 0);
            }
        T.Close(wantPos.ToArray(), pos);
        T.Close(wantNeg.ToArray(), neg);
        Assert.Null(PairMasks.Of(labels.narrow(0, start, length), labels, start, withNegative: false).Negative);
    }

    [Fact]
    public void FillSelfSetsTheAnchorsOwnEntriesOfABlock()
    {
        var block = torch.zeros(new long[] { 2, 5 }, dtype: ScalarType.Float64);
        PairMasks.FillSelf(block, 3, double.NegativeInfinity);
        var v = T.Values(block);
        for (int k = 0; k < v.Length; k++)
            Assert.Equal(k == 3 || k == 5 + 4 ? double.NegativeInfinity : 0.0, v[k]);
    }
}
