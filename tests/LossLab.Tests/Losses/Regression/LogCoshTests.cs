using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regression;

public class LogCoshTests
{
    // log(cosh(x)) = |x| - log 2 + log1p(exp(-2|x|)), an identity that is exact in doubles for any x.
    private static double Reference(double x) => Math.Abs(x) - Math.Log(2) + Math.Log(1 + Math.Exp(-2 * Math.Abs(x)));

    [Fact]
    public void MatchesLogCoshForEachReduction()
    {
        var x = new[] { 0.3, -1.7, 2.5, 0.0, 4.0, -0.05 };
        var y = new[] { 0.1, 0.2, -1.0, 0.0, 0.5, 0.05 };
        var each = x.Zip(y, (a, b) => Math.Log(Math.Cosh(a - b))).ToArray();
        T.Close(each, F.log_cosh_loss(T.F64(x, 2, 3), T.F64(y, 2, 3), Reduction.None), atol: 1e-15);
        T.Close(each.Sum(), F.log_cosh_loss(T.F64(x), T.F64(y), Reduction.Sum));
        T.Close(each.Average(), F.log_cosh_loss(T.F64(x), T.F64(y)));
    }

    [Fact]
    public void LargeErrorsDoNotOverflowAndSmallOnesKeepTheirPrecision()
    {
        var x = new[] { 800.0, -1e5, 1e-5, -3e-4 };
        var zeros = new double[4];
        // For tiny x, log cosh x = x^2/2 - x^4/12 + ...: the value keeps full relative precision.
        var want = new[] { Reference(800), Reference(1e5), 0.5e-10 - 1e-20 / 12, 4.5e-8 - 8.1e-15 / 12 };
        T.Close(want, F.log_cosh_loss(T.F64(x), T.F64(zeros), Reduction.None), rtol: 1e-12, atol: 0);
    }

    [Fact]
    public void GradientIsTanhOfTheError()
    {
        var x = new[] { 0.3, -1.7, 25.0, 0.0, -900.0, 0.999, 1.001 };
        var y = new double[x.Length];
        T.Close(x.Select(Math.Tanh).ToArray(), T.Grad(v => F.log_cosh_loss(v, T.F64(y), Reduction.Sum), T.F64(x)));
        T.Close(x.Select(v => -Math.Tanh(v)).ToArray(), T.Grad(t => F.log_cosh_loss(T.F64(x), t, Reduction.Sum), T.F64(y)));
    }

    [Fact]
    public void Float32ErrorsOf1e4StayFiniteAndModuleMatches()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0.5f }, 3);
        var y = T.F32(new[] { -1e4f, 0f, 0f }, 3);
        var loss = F.log_cosh_loss(x, y, Reduction.None);
        T.Close(new[] { 2e4 - Math.Log(2), 1e4 - Math.Log(2), Math.Log(Math.Cosh(0.5)) }, loss, rtol: 1e-6);
        T.Close(new[] { 1.0, -1.0, Math.Tanh(0.5) }, T.Grad(v => F.log_cosh_loss(v, y, Reduction.Sum), x), rtol: 1e-6);
        T.Close(T.Values(F.log_cosh_loss(x, y)), new LogCoshLoss().forward(x, y));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => F.log_cosh_loss(torch.zeros(3, dtype: ScalarType.Float64), torch.zeros(2, dtype: ScalarType.Float64)));
        Assert.Contains("target", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.log_cosh_loss(torch.zeros(3, dtype: ScalarType.Int32), torch.zeros(3, dtype: ScalarType.Float64)));
        Assert.Contains("input", e2.Message);
    }
}
