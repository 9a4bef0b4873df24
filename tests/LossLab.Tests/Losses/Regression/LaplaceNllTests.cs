using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regression;

public class LaplaceNllTests
{
    private static readonly double[] Mu = { 0.5, -1.0, 2.0, 0.0, 1.5, -0.3 };
    private static readonly double[] Y = { 0.0, -0.5, 3.0, 0.2, 1.5, 1.0 };
    private static readonly double[] B = { 1.0, 0.25, 2.0, 0.5, 0.1, 4.0 };

    /// <summary>-log of the Laplace density exp(-|y - mu| / b) / (2 b), written from the density.</summary>
    private static double NegLogDensity(double mu, double y, double b) => -Math.Log(Math.Exp(-Math.Abs(y - mu) / b) / (2 * b));

    [Fact]
    public void FullIsMinusTheLogDensityAndTheDefaultDropsLog2()
    {
        var full = Enumerable.Range(0, 6).Select(i => NegLogDensity(Mu[i], Y[i], B[i])).ToArray();
        T.Close(full, F.laplace_nll_loss(T.F64(Mu, 2, 3), T.F64(Y, 2, 3), T.F64(B, 2, 3), full: true, reduction: Reduction.None));
        var plain = full.Select(v => v - Math.Log(2)).ToArray();
        T.Close(plain, F.laplace_nll_loss(T.F64(Mu), T.F64(Y), T.F64(B), reduction: Reduction.None));
        T.Close(plain.Average(), F.laplace_nll_loss(T.F64(Mu), T.F64(Y), T.F64(B)));
        T.Close(plain.Sum(), F.laplace_nll_loss(T.F64(Mu), T.F64(Y), T.F64(B), reduction: Reduction.Sum));
    }

    [Fact]
    public void ScaleBroadcastsPerRowOrAsAScalar()
    {
        var rowB = new[] { 0.5, 2.0 };
        var each = Enumerable.Range(0, 6).Select(i => NegLogDensity(Mu[i], Y[i], rowB[i / 3]) - Math.Log(2)).ToArray();
        T.Close(each, F.laplace_nll_loss(T.F64(Mu, 2, 3), T.F64(Y, 2, 3), T.F64(rowB, 2, 1), reduction: Reduction.None));
        // a unit scale is the L1 loss
        T.Close(T.Scalar(F.l1_loss(T.F64(Mu), T.F64(Y))), F.laplace_nll_loss(T.F64(Mu), T.F64(Y), torch.tensor(1.0, dtype: ScalarType.Float64)));
    }

    [Fact]
    public void GradientsFlowToLocationTargetAndScale()
    {
        var mu = T.F64(Mu).requires_grad_(true);
        var y = T.F64(Y).requires_grad_(true);
        var b = T.F64(B).requires_grad_(true);
        var g = torch.autograd.grad(new List<Tensor> { F.laplace_nll_loss(mu, y, b, reduction: Reduction.Sum) }, new List<Tensor> { mu, y, b });
        // Mu[4] == Y[4]: the gradient of |.| at 0 is 0
        T.Close(Enumerable.Range(0, 6).Select(i => -Math.Sign(Y[i] - Mu[i]) / B[i]).ToArray(), g[0]);
        T.Close(Enumerable.Range(0, 6).Select(i => Math.Sign(Y[i] - Mu[i]) / B[i]).ToArray(), g[1]);
        T.Close(Enumerable.Range(0, 6).Select(i => 1 / B[i] - Math.Abs(Y[i] - Mu[i]) / (B[i] * B[i])).ToArray(), g[2]);
    }

    [Fact]
    public void Float32LargeErrorsStayFiniteAndModuleMatches()
    {
        var mu = T.F32(new[] { 1e4f, -1e4f, 0f }, 3);
        var y = T.F32(new[] { -1e4f, 1e4f, 0f }, 3);
        var b = T.F32(new[] { 1e-3f, 1f, 1e4f }, 3);
        T.Finite(F.laplace_nll_loss(mu, y, b), "loss");
        T.Finite(T.Grad(v => F.laplace_nll_loss(mu, y, v), b), "scale gradient");
        T.Finite(T.Grad(v => F.laplace_nll_loss(v, y, b), mu), "location gradient");
        T.Close(T.Values(F.laplace_nll_loss(mu, y, b, true, Reduction.None)), new LaplaceNllLoss(true, Reduction.None).forward(mu, y, b));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(2, 3, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => F.laplace_nll_loss(x, x, torch.zeros(2, 3, dtype: ScalarType.Float64)));
        Assert.Contains("scale", e1.Message);
        Assert.Contains("> 0", e1.Message);
        Assert.Contains("scale", Assert.Throws<ArgumentException>(() => F.laplace_nll_loss(x, x, torch.ones(3, 3, dtype: ScalarType.Float64))).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.laplace_nll_loss(x, torch.zeros(2, dtype: ScalarType.Float64), torch.ones(2, 3, dtype: ScalarType.Float64))).Message);
        Assert.Contains("scale", Assert.Throws<ArgumentException>(() => F.laplace_nll_loss(x, x, torch.ones(2, 3, dtype: ScalarType.Int64))).Message);
    }
}
