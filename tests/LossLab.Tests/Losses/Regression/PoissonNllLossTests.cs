using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regression;

public class PoissonNllLossTests
{
    private static readonly double[] LogRate = { 0.3, -1.2, 2.0, 0.0, 1.1, -0.4 };
    private static readonly double[] Rate = { 0.5, 2.0, 0.0, 3.5, 1.0, 7.0 };
    private static readonly double[] Counts = { 0.0, 1.0, 2.0, 5.0, 3.0, 1.5 };

    private static double Reference(double x, double y, bool logInput, bool full, double eps)
    {
        double l = logInput ? Math.Exp(x) - y * x : x - y * Math.Log(x + eps);
        if (full && y > 1) l += y * Math.Log(y) - y + 0.5 * Math.Log(2 * Math.PI * y);
        return l;
    }

    [Theory]
    [InlineData(true, false, 1e-8)]
    [InlineData(true, true, 1e-8)]
    [InlineData(false, false, 1e-8)]
    [InlineData(false, true, 1e-8)]
    [InlineData(false, false, 0.1)]
    public void MatchesTheDefinition(bool logInput, bool full, double eps)
    {
        var x = logInput ? LogRate : Rate;
        var each = x.Zip(Counts, (a, b) => Reference(a, b, logInput, full, eps)).ToArray();
        T.Close(each, F.poisson_nll_loss(T.F64(x, 2, 3), T.F64(Counts, 2, 3), logInput, full, eps, Reduction.None));
        T.Close(each.Sum(), F.poisson_nll_loss(T.F64(x), T.F64(Counts), logInput, full, eps, Reduction.Sum));
        T.Close(each.Average(), F.poisson_nll_loss(T.F64(x), T.F64(Counts), logInput, full, eps));
    }

    [Fact]
    public void StirlingTermOnlyWhereTargetExceedsOne()
    {
        // Targets 0, 1 and 0.5 get no Stirling term; target 2 gets 2 log 2 - 2 + 0.5 log(4 pi).
        var x = T.F64(new[] { 0.0, 0.0, 0.0, 0.0 });
        var y = T.F64(new[] { 0.0, 1.0, 0.5, 2.0 });
        var diff = F.poisson_nll_loss(x, y, full: true, reduction: Reduction.None) - F.poisson_nll_loss(x, y, reduction: Reduction.None);
        T.Close(new[] { 0.0, 0.0, 0.0, 2 * Math.Log(2) - 2 + 0.5 * Math.Log(4 * Math.PI) }, diff);
    }

    [Fact]
    public void GradientsMatchTheClosedForms()
    {
        // log_input: exp(x) - y; rate: 1 - y / (x + eps)
        T.Close(LogRate.Zip(Counts, (a, b) => Math.Exp(a) - b).ToArray(), T.Grad(v => F.poisson_nll_loss(v, T.F64(Counts), full: true, reduction: Reduction.Sum), T.F64(LogRate)));
        var rate = new[] { 0.5, 2.0, 0.25, 3.5, 1.0, 7.0 };
        T.Close(rate.Zip(Counts, (a, b) => 1 - b / (a + 1e-8)).ToArray(), T.Grad(v => F.poisson_nll_loss(v, T.F64(Counts), log_input: false, reduction: Reduction.Sum), T.F64(rate)));
    }

    [Fact]
    public void TargetGradientIsFiniteWhereTheStirlingTermIsMasked()
    {
        var g = T.Grad(t => F.poisson_nll_loss(T.F64(LogRate), t, full: true), T.F64(Counts));
        T.Finite(g, "target gradient");
    }

    [Fact]
    public void ZeroRatesAndFloat32StayFiniteAndModuleMatches()
    {
        var x = T.F32(new[] { 0f, 0f, 5f }, 3);
        var y = T.F32(new[] { 0f, 4f, 2f }, 3);
        T.Finite(F.poisson_nll_loss(x, y, log_input: false), "loss");
        T.Finite(T.Grad(v => F.poisson_nll_loss(v, y, log_input: false), x), "gradient");
        T.Close(T.Values(F.poisson_nll_loss(x, y, false, true)), new PoissonNllLoss(false, true).forward(x, y));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => F.poisson_nll_loss(T.F64(new[] { 1.0, -0.5 }), T.F64(new[] { 1.0, 1.0 }), log_input: false));
        Assert.Contains("input", e1.Message);
        Assert.Contains("log_input", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.poisson_nll_loss(T.F64(new[] { 1.0, 2.0 }), T.F64(new[] { 1.0, 1.0, 3.0 })));
        Assert.Contains("target", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => F.poisson_nll_loss(T.F64(new[] { 1.0 }), T.F64(new[] { 1.0 }), eps: -1));
        Assert.Contains("eps", e3.Message);
    }
}
