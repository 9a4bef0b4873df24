using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regression;

public class RmseTests
{
    // (3, 2): errors 3, 4 | 0, 0 | 1, -1
    private static readonly double[] X = { 3.0, 4.0, 1.0, 2.0, 1.0, -1.0 };
    private static readonly double[] Y = { 0.0, 0.0, 1.0, 2.0, 0.0, 0.0 };

    [Fact]
    public void MeanIsTheRmseOfAllElements()
    {
        // squares 9, 16, 0, 0, 1, 1: mean 27/6 = 4.5
        T.Close(Math.Sqrt(4.5), F.rmse_loss(T.F64(X, 3, 2), T.F64(Y, 3, 2), eps: 0));
        T.Close(Math.Sqrt(4.5 + 0.01), F.rmse_loss(T.F64(X, 3, 2), T.F64(Y, 3, 2), eps: 0.01));
    }

    [Fact]
    public void NoneIsPerSampleAndSumAddsThem()
    {
        // per sample: sqrt((9 + 16)/2), 0, sqrt(1)
        var each = new[] { Math.Sqrt(12.5), 0.0, 1.0 };
        T.Close(each, F.rmse_loss(T.F64(X, 3, 2), T.F64(Y, 3, 2), eps: 0, reduction: Reduction.None));
        T.Close(each.Sum(), F.rmse_loss(T.F64(X, 3, 2), T.F64(Y, 3, 2), eps: 0, reduction: Reduction.Sum));
        // (3, 1, 2) gives the same per-sample values; a 1-D input gives sqrt(e^2 + eps) per element
        T.Close(each, F.rmse_loss(T.F64(X, 3, 1, 2), T.F64(Y, 3, 1, 2), eps: 0, reduction: Reduction.None));
        T.Close(X.Zip(Y, (a, b) => Math.Sqrt((a - b) * (a - b) + 1e-8)).ToArray(), F.rmse_loss(T.F64(X), T.F64(Y), reduction: Reduction.None));
    }

    [Fact]
    public void GradientIsTheErrorOverNTimesTheRmse()
    {
        double rmse = Math.Sqrt(4.5 + 1e-8);
        var g = T.Grad(v => F.rmse_loss(v, T.F64(Y, 3, 2)), T.F64(X, 3, 2));
        T.Close(X.Zip(Y, (a, b) => (a - b) / (6 * rmse)).ToArray(), g);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1e-8)]
    public void AnExactPredictionHasAFiniteZeroGradient(double eps)
    {
        var y = T.F64(new[] { 0.5, -1.0, 2.0 });
        foreach (var red in new[] { Reduction.Mean, Reduction.None, Reduction.Sum })
        {
            var g = T.Grad(v => F.rmse_loss(v, y, eps, red), y);
            T.Close(new[] { 0.0, 0.0, 0.0 }, g);
        }
        T.Close(Math.Sqrt(eps), F.rmse_loss(y, y, eps));
        var y32 = T.F32(new[] { 0.5f, -1.0f, 2.0f });
        T.Finite(T.Grad(v => F.rmse_loss(v, y32, eps), y32), "float32 gradient");
    }

    [Fact]
    public void Float32LargeErrorsStayFiniteAndModuleMatches()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0.2f, 3f }, 2, 2);
        var y = T.F32(new[] { -1e4f, 1e4f, 0f, 3f }, 2, 2);
        T.Finite(F.rmse_loss(x, y), "loss");
        T.Finite(T.Grad(v => F.rmse_loss(v, y, reduction: Reduction.None), x), "gradient");
        T.Close(T.Values(F.rmse_loss(x, y, 0.1, Reduction.None)), new RmseLoss(0.1, Reduction.None).forward(x, y));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(3, dtype: ScalarType.Float64);
        Assert.Contains("eps", Assert.Throws<ArgumentOutOfRangeException>(() => F.rmse_loss(x, x, eps: -1)).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.rmse_loss(torch.zeros(0, dtype: ScalarType.Float64), torch.zeros(0, dtype: ScalarType.Float64))).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.rmse_loss(x, torch.zeros(4, dtype: ScalarType.Float64))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RmseLoss(eps: double.NaN));
    }
}
