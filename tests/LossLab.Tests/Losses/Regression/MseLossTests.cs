using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regression;

public class MseLossTests
{
    private static readonly double[] X = { 1.5, -0.25, 3.0, 0.0, 2.0, -4.0 };
    private static readonly double[] Y = { 1.0, 0.75, -1.0, 0.5, 2.0, -1.5 };

    [Fact]
    public void MatchesHandComputedValuesForEachReduction()
    {
        // (x - y)^2: 0.25, 1, 16, 0.25, 0, 6.25
        var each = new[] { 0.25, 1.0, 16.0, 0.25, 0.0, 6.25 };
        T.Close(each, F.mse_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3), Reduction.None));
        T.Close(23.75, F.mse_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3), Reduction.Sum));
        T.Close(23.75 / 6, F.mse_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3)));
        Assert.Equal(new long[] { 2, 3 }, F.mse_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3), Reduction.None).shape);
    }

    [Fact]
    public void GradientsAreTwiceTheErrorOverTheCountForInputAndTarget()
    {
        var x = T.F64(X).requires_grad_(true);
        var y = T.F64(Y).requires_grad_(true);
        var grads = torch.autograd.grad(new List<Tensor> { F.mse_loss(x, y) }, new List<Tensor> { x, y });
        var want = X.Zip(Y, (a, b) => 2 * (a - b) / X.Length).ToArray();
        T.Close(want, grads[0]);
        T.Close(want.Select(v => -v).ToArray(), grads[1]);
    }

    [Fact]
    public void ModuleMatchesFunctionAndLargeFloat32ValuesStayFinite()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 3f }, 3);
        var y = T.F32(new[] { -1e4f, 1e4f, 0f }, 3);
        T.Close(T.Values(F.mse_loss(x, y, Reduction.Sum)), new MseLoss(Reduction.Sum).forward(x, y));
        T.Finite(F.mse_loss(x, y), "loss");
        T.Finite(T.Grad(v => F.mse_loss(v, y), x), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => F.mse_loss(torch.zeros(2, 3, dtype: ScalarType.Float64), torch.zeros(3, 2, dtype: ScalarType.Float64)));
        Assert.Contains("target", e1.Message);
        Assert.Contains("[2, 3]", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.mse_loss(torch.zeros(3, dtype: ScalarType.Int64), torch.zeros(3, dtype: ScalarType.Float64)));
        Assert.Contains("input", e2.Message);
        Assert.Contains("floating-point", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.mse_loss(torch.zeros(3, dtype: ScalarType.Float64), torch.zeros(3, dtype: ScalarType.Float64), Reduction.BatchMean));
        Assert.Contains("batchmean", e3.Message);
    }
}
