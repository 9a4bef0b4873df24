using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using LM = LossLab.Metrics;

namespace LossLab.Tests.Metrics;

/// <summary>The CPU kernels against the tensor path they replace (forced by non-contiguous inputs) and brute force.</summary>
public class MetricKernelsTests
{
    // A non-contiguous copy of the same values: the metrics then take the tensor path.
    private static Tensor Strided(Tensor t)
    {
        var wide = torch.stack(new[] { t, t }, -1);
        return wide.select(-1, 0);
    }

    [Theory]
    [InlineData(1, 500, 7, 15, ScalarType.Float64)]
    [InlineData(2, 300, 3, 10, ScalarType.Float32)]
    [InlineData(3, 1, 2, 15, ScalarType.Float64)]
    public void EceAndMceAgreeWithTheTensorPath(int seed, int n, int c, int bins, ScalarType type)
    {
        var g = new torch.Generator((ulong)seed);
        var p = torch.softmax(torch.randn(new long[] { n, c }, dtype: ScalarType.Float64, generator: g) * 3, 1);
        // ties and edge values: a few rows made uniform
        if (n > 10) p[torch.arange(0, 10)] = torch.full(new long[] { 10, c }, 1.0 / c, dtype: ScalarType.Float64);
        p = p.to_type(type);
        var y = torch.randint(0, c, new long[] { n }, dtype: ScalarType.Int64, generator: g);
        Assert.False(Strided(p).is_contiguous());
        T.Close(T.Scalar(LM.ece(Strided(p), y, bins)), LM.ece(p, y, bins), 1e-12, 1e-15);
        T.Close(T.Scalar(LM.mce(Strided(p), y, bins)), LM.mce(p, y, bins), 1e-12, 1e-15);
        T.Close(T.Scalar(LM.ece(p, Strided(y), bins)), LM.ece(p, y.to_type(ScalarType.Int32), bins), 1e-12, 1e-15);
    }

    [Fact]
    public void EceKernelLeavesBadInputsToTheChecks()
    {
        var p = T.F64(new[] { 0.5, 0.5, 1.2, -0.2 }, 2, 2);
        Assert.Contains("[0, 1]", Assert.Throws<ArgumentException>(() => LM.ece(p, T.I64(0, 1))).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => LM.ece(T.F64(new[] { double.NaN, 0.5 }, 1, 2), T.I64(0))).Message);
        Assert.Contains("labels", Assert.Throws<ArgumentException>(() => LM.ece(T.F64(new[] { 0.5, 0.5 }, 1, 2), T.I64(2))).Message);
        Assert.Contains("labels", Assert.Throws<ArgumentException>(() => LM.ece(T.F64(new[] { 0.5, 0.5 }, 1, 2), T.F64(new[] { 0.0 }))).Message);
    }

    [Theory]
    [InlineData(1, 400, false, ScalarType.Float64)]
    [InlineData(2, 400, true, ScalarType.Float64)]
    [InlineData(3, 257, true, ScalarType.Float32)]
    [InlineData(4, 2, false, ScalarType.Float64)]
    public void RankMetricsAgreeWithTheTensorPath(int seed, int n, bool ties, ScalarType type)
    {
        var g = new torch.Generator((ulong)seed);
        var s = torch.randn(new long[] { n }, dtype: ScalarType.Float64, generator: g) * 100;
        if (ties) s = s.round() / 10;
        s = s.to_type(type);
        var y = torch.randint(0, 2, new long[] { n }, dtype: ScalarType.Int64, generator: g);
        y[0] = 1;
        y[1] = 0;
        foreach (var labels in new[] { y, y.to_type(ScalarType.Bool), (y * 2 - 1).to_type(ScalarType.Float32), y.to_type(ScalarType.Int32) })
        {
            T.Close(T.Scalar(LM.auroc(Strided(s), labels)), LM.auroc(s, labels), 1e-13, 1e-15);
            T.Close(T.Scalar(LM.aupr(Strided(s), labels)), LM.aupr(s, labels), 1e-13, 1e-15);
            T.Close(T.Scalar(LM.fpr_at_95_tpr(Strided(s), labels)), LM.fpr_at_95_tpr(s, labels), 1e-13, 1e-15);
        }
    }

    [Fact]
    public void SignedZerosAndInfinitiesTie()
    {
        // -0 and +0 are the same score; infinities order as usual
        var s = T.F64(new[] { -0.0, 0.0, double.PositiveInfinity, double.NegativeInfinity, 0.0 });
        var y = T.F64(new[] { 1.0, 0, 1, 0, 0 });
        // positives -0, +inf; negatives 0, -inf, 0: pairs: +inf beats all 3, -0 ties two zeros and beats -inf
        T.Close((3 + 0.5 * 2 + 1) / 6.0, LM.auroc(s, y), 1e-15);
        T.Close(T.Scalar(LM.auroc(Strided(s), y)), LM.auroc(s, y), 1e-15);
    }

    [Fact]
    public void BinMatchesBucketize()
    {
        var edges = LM.EqualWidthEdges(15);
        var xs = new List<double> { 0, 1, 1e-300, 0.9999999999999999 };
        foreach (var e in edges) { xs.Add(e); xs.Add(Math.BitDecrement(e)); xs.Add(Math.BitIncrement(e)); }
        var rng = new System.Random(5);
        for (int i = 0; i < 1000; i++) xs.Add(rng.NextDouble());
        xs = xs.Where(x => x >= 0 && x <= 1).ToList();
        var want = T.Values(LM.EqualWidthBin(T.F64(xs.ToArray()), 15));
        for (int i = 0; i < xs.Count; i++) Assert.Equal(want[i], MetricKernels.Bin(xs[i], edges));
    }
}
