using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Metric;

public class CenterLossTests
{
    private static readonly double[] X = { 1, 2, -1, 0, 0.5, 0.5, 3, -2 };      // (4, 2)
    private static readonly double[] C = { 0, 0, 1, 1, -1, 2 };                  // (3, 2)
    private static readonly long[] Y = { 2, 0, 1, 2 };

    // 1/2 ||x_i - c_{y_i}||^2 by hand: (1+1)^2+(2-2)^2 = 4 -> 2; 1 -> 0.5; 0.25+0.25 -> 0.25; 16+16 -> 16
    private static readonly double[] Each = { 2, 0.5, 0.25, 16 };

    [Fact]
    public void MatchesHandWorkedValues()
    {
        var x = T.F64(X, 4, 2);
        var c = T.F64(C, 3, 2);
        T.Close(Each, F.center_loss(x, T.I64(Y), c, Reduction.None));
        T.Close(Each.Sum(), F.center_loss(x, T.I64(Y), c, Reduction.Sum));
        T.Close(Each.Average(), F.center_loss(x, T.I64(Y), c));
    }

    [Fact]
    public void GradientsAreTheDifferences()
    {
        // d/dx_i = x_i - c_{y_i}; d/dc_j = -sum_{i: y_i = j} (x_i - c_j) (for reduction sum)
        var x = T.F64(X, 4, 2);
        var c = T.F64(C, 3, 2);
        T.Close(new double[] { 2, 0, -1, 0, -0.5, -0.5, 4, -4 }, T.Grad(v => F.center_loss(v, T.I64(Y), c, Reduction.Sum), x));
        T.Close(new double[] { 1, 0, 0.5, 0.5, -6, 4 }, T.Grad(v => F.center_loss(x, T.I64(Y), v, Reduction.Sum), c));
    }

    [Fact]
    public void ModuleOwnsZeroCenters()
    {
        var m = new CenterLoss(3, 2, dtype: ScalarType.Float64);
        Assert.Single(m.parameters());
        Assert.Equal(new long[] { 3, 2 }, m.Centers.shape);
        T.Close(new double[6], m.Centers);
        var x = T.F64(X, 4, 2);
        double want = X.Chunk(2).Select(r => 0.5 * (r[0] * r[0] + r[1] * r[1])).Average();
        T.Close(want, m.forward(x, T.I64(Y)));
    }

    [Fact]
    public void ExtremeFeaturesStayFiniteInFloat32()
    {
        var x = T.F32(new float[] { 1e4f, -1e4f, 0f, 1e4f }, 2, 2);
        var c = T.F32(new float[] { -1e4f, 1e4f, 0f, 0f }, 2, 2);
        T.Finite(F.center_loss(x, T.I64(0, 1), c), "loss");
        T.Finite(T.Grad(v => F.center_loss(v, T.I64(0, 1), c), x), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = T.F64(X, 4, 2);
        var c = T.F64(C, 3, 2);
        var e1 = Assert.Throws<ArgumentException>(() => F.center_loss(x, T.I64(0, 1, 3, 0), c));
        Assert.Contains("labels", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.center_loss(x, T.I64(Y), T.F64(C, 2, 3)));
        Assert.Contains("centers", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.center_loss(x, T.I64(Y), c.to_type(ScalarType.Float32)));
        Assert.Contains("centers", e3.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CenterLoss(0, 2));
    }
}
