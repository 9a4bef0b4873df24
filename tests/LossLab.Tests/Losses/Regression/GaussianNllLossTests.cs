using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regression;

public class GaussianNllLossTests
{
    private static readonly double[] Mu = { 0.5, -1.0, 2.0, 0.0, 1.5, -0.3 };
    private static readonly double[] Y = { 0.0, -0.5, 3.0, 0.2, 1.5, 1.0 };
    private static readonly double[] Var = { 1.0, 0.25, 2.0, 0.5, 0.1, 4.0 };

    private static double Reference(double mu, double y, double var, bool full, double eps)
    {
        double v = Math.Max(var, eps);
        return 0.5 * (Math.Log(v) + (mu - y) * (mu - y) / v) + (full ? 0.5 * Math.Log(2 * Math.PI) : 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MatchesTheDefinitionForEachReduction(bool full)
    {
        var each = Enumerable.Range(0, 6).Select(i => Reference(Mu[i], Y[i], Var[i], full, 1e-6)).ToArray();
        T.Close(each, F.gaussian_nll_loss(T.F64(Mu, 3, 2), T.F64(Y, 3, 2), T.F64(Var, 3, 2), full, reduction: Reduction.None));
        T.Close(each.Sum(), F.gaussian_nll_loss(T.F64(Mu), T.F64(Y), T.F64(Var), full, reduction: Reduction.Sum));
        T.Close(each.Average(), F.gaussian_nll_loss(T.F64(Mu), T.F64(Y), T.F64(Var), full));
    }

    [Fact]
    public void HomoscedasticVarianceBroadcastsOverTheLastDimension()
    {
        var rowVar = new[] { 0.5, 2.0, 1.5 };
        var each = Enumerable.Range(0, 6).Select(i => Reference(Mu[i], Y[i], rowVar[i / 2], false, 1e-6)).ToArray();
        T.Close(each, F.gaussian_nll_loss(T.F64(Mu, 3, 2), T.F64(Y, 3, 2), T.F64(rowVar, 3), reduction: Reduction.None));
        T.Close(each, F.gaussian_nll_loss(T.F64(Mu, 3, 2), T.F64(Y, 3, 2), T.F64(rowVar, 3, 1), reduction: Reduction.None));
    }

    [Fact]
    public void TargetWithASizeOneDimensionBroadcasts()
    {
        var rowY = new[] { 0.1, -0.2, 0.7 };
        var each = Enumerable.Range(0, 6).Select(i => Reference(Mu[i], rowY[i / 2], Var[i], false, 1e-6)).ToArray();
        T.Close(each, F.gaussian_nll_loss(T.F64(Mu, 3, 2), T.F64(rowY, 3, 1), T.F64(Var, 3, 2), reduction: Reduction.None));
    }

    [Fact]
    public void GradientsFlowToMeanTargetAndVariance()
    {
        var mu = T.F64(Mu).requires_grad_(true);
        var y = T.F64(Y).requires_grad_(true);
        var v = T.F64(Var).requires_grad_(true);
        var g = torch.autograd.grad(new List<Tensor> { F.gaussian_nll_loss(mu, y, v, reduction: Reduction.Sum) }, new List<Tensor> { mu, y, v });
        T.Close(Enumerable.Range(0, 6).Select(i => (Mu[i] - Y[i]) / Var[i]).ToArray(), g[0]);
        T.Close(Enumerable.Range(0, 6).Select(i => -(Mu[i] - Y[i]) / Var[i]).ToArray(), g[1]);
        T.Close(Enumerable.Range(0, 6).Select(i => 0.5 * (1 / Var[i] - Math.Pow(Mu[i] - Y[i], 2) / (Var[i] * Var[i]))).ToArray(), g[2]);
    }

    [Fact]
    public void VarianceBelowEpsIsClampedButStillGetsTheClampedGradient()
    {
        // As PyTorch's no_grad in-place clamp: the value uses eps, and d/dvar is d/dv at v = eps (not 0).
        const double eps = 0.1;
        var mu = T.F64(new[] { 1.0, 0.0 });
        var y = T.F64(new[] { 0.5, 0.0 });
        var v = T.F64(new[] { 0.0, 0.02 });
        T.Close(new[] { Reference(1, 0.5, 0, false, eps), Reference(0, 0, 0.02, false, eps) }, F.gaussian_nll_loss(mu, y, v, eps: eps, reduction: Reduction.None));
        var g = T.Grad(t => F.gaussian_nll_loss(mu, y, t, eps: eps, reduction: Reduction.Sum), v);
        T.Close(new[] { 0.5 * (1 / eps - 0.25 / (eps * eps)), 0.5 / eps }, g);
    }

    [Fact]
    public void Float32ZeroVarianceAndLargeErrorsStayFiniteAndModuleMatches()
    {
        var mu = T.F32(new[] { 1e4f, -1e4f, 0f }, 3);
        var y = T.F32(new[] { 0f, 0f, 0f }, 3);
        var v = T.F32(new[] { 0f, 1f, 0f }, 3);
        T.Finite(F.gaussian_nll_loss(mu, y, v), "loss");
        T.Finite(T.Grad(t => F.gaussian_nll_loss(mu, y, t), v), "variance gradient");
        T.Close(T.Values(F.gaussian_nll_loss(mu, y, v, full: true)), new GaussianNllLoss(full: true).forward(mu, y, v));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(3, 2, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => F.gaussian_nll_loss(x, x, T.F64(new[] { 1.0, -1.0, 1.0, 1.0, 1.0, 1.0 }, 3, 2)));
        Assert.Contains("var", e1.Message);
        Assert.Contains(">= 0", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.gaussian_nll_loss(x, x, torch.ones(2, dtype: ScalarType.Float64)));
        Assert.Contains("var", e2.Message);
        Assert.Contains("[2]", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.gaussian_nll_loss(x, torch.zeros(2, 3, dtype: ScalarType.Float64), torch.ones(3, 2, dtype: ScalarType.Float64)));
        Assert.Contains("target", e3.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => F.gaussian_nll_loss(x, x, torch.ones(3, 2, dtype: ScalarType.Float64), eps: -1));
    }
}
