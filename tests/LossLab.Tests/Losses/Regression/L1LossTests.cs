using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regression;

public class L1LossTests
{
    private static readonly double[] X = { 1.5, -0.25, 3.0, 0.5, 2.0, -4.0 };
    private static readonly double[] Y = { 1.0, 0.75, -1.0, 0.5, 2.5, -1.5 };

    [Fact]
    public void MatchesHandComputedValuesForEachReduction()
    {
        var each = new[] { 0.5, 1.0, 4.0, 0.0, 0.5, 2.5 };
        T.Close(each, F.l1_loss(T.F64(X, 3, 2), T.F64(Y, 3, 2), Reduction.None));
        T.Close(8.5, F.l1_loss(T.F64(X, 3, 2), T.F64(Y, 3, 2), Reduction.Sum));
        T.Close(8.5 / 6, F.l1_loss(T.F64(X, 3, 2), T.F64(Y, 3, 2)));
    }

    [Fact]
    public void GradientIsTheSignOfTheErrorAndZeroWhereEqual()
    {
        var g = T.Grad(v => F.l1_loss(v, T.F64(Y), Reduction.Sum), T.F64(X));
        T.Close(new[] { 1.0, -1.0, 1.0, 0.0, -1.0, -1.0 }, g);
        var gy = T.Grad(v => F.l1_loss(T.F64(X), v, Reduction.Sum), T.F64(Y));
        T.Close(new[] { -1.0, 1.0, -1.0, 0.0, 1.0, 1.0 }, gy);
    }

    [Fact]
    public void ModuleMatchesFunctionAndLargeFloat32ValuesStayFinite()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 3f }, 3);
        var y = T.F32(new[] { -1e4f, 1e4f, 0f }, 3);
        T.Close(T.Values(F.l1_loss(x, y)), new L1Loss().forward(x, y));
        T.Close(40003.0 / 3, F.l1_loss(x, y), rtol: 1e-6);
        T.Finite(T.Grad(v => F.l1_loss(v, y), x), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => F.l1_loss(torch.zeros(4, dtype: ScalarType.Float64), torch.zeros(5, dtype: ScalarType.Float64)));
        Assert.Contains("target", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.l1_loss(torch.zeros(4, dtype: ScalarType.Float64), torch.zeros(4, dtype: ScalarType.Int64)));
        Assert.Contains("target", e2.Message);
        Assert.Contains("floating-point", e2.Message);
    }
}
