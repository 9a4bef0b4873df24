using LossLab.Tests.Support;
using Xunit;
using static LossLab.Tests.Metrics.ClassificationMetricsTests;
using LM = LossLab.Metrics;

namespace LossLab.Tests.Metrics;

public class ReliabilityTests
{
    [Fact]
    public void EqualWidthBinsByHand()
    {
        var p = new double[,] { { 0.9, 0.1 }, { 0.6, 0.4 }, { 0.3, 0.7 }, { 0.45, 0.55 } };
        var d = LM.reliability_diagram(M(p), T.I64(0, 1, 1, 0), 5);
        Assert.Equal(new[] { 0.0, 0.2, 0.4, 0.6000000000000001, 0.8 }, d.Lower);
        Assert.Equal(1.0, d.Upper[^1]);
        Assert.Equal(new long[] { 0, 0, 2, 1, 1 }, d.Count);
        Assert.Equal(0.575, d.MeanConfidence[2], 14);
        Assert.Equal(0.0, d.Accuracy[2]);
        Assert.Equal(1.0, d.Accuracy[3]);
        Assert.Equal(0.0, d.MeanConfidence[0]);
        Assert.Equal(0.3875, d.CalibrationError, 12);
        Assert.False(d.Adaptive);
        Assert.Equal(4, d.Samples);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BinsAgreeWithTheirMetric(bool adaptive)
    {
        var (z, y) = RandomLogits(5, 300, 8, 5.0);
        var p = M(Softmax(z));
        var d = LM.reliability_diagram(p, T.I64(y), 15, adaptive);
        double want = T.Scalar(adaptive ? LM.adaece(p, T.I64(y)) : LM.ece(p, T.I64(y)));
        Assert.Equal(want, d.CalibrationError, 12);
        Assert.Equal(adaptive ? 299 : 300, d.Count.Sum());   // AdaECE leaves the smallest confidence out
        for (int b = 0; b < 15; b++) Assert.True(d.Lower[b] <= d.Upper[b]);
    }
}
