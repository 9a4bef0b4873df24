using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class TdLambdaTests
{
    [Theory]
    [InlineData(0.95, 0.9)]
    [InlineData(0.5, 0.8)]
    [InlineData(0.0, 0.99)]
    [InlineData(1.0, 1.0)]
    public void LambdaReturnsAreTheMixtureOfNStepReturns(double lambda, double gamma)
    {
        const int b = 2, t = 6;
        var seq = RlRef.Sequences(b, t, 101);
        var (r, v, d) = RlRef.Tensors(b, t, seq);
        var got = F.lambda_returns(r, v, d, gamma, lambda);
        var want = RlRef.PerRow(b, t, seq, (ri, vi, di) => RlRef.Lambda(ri, vi, di, gamma, lambda));
        T.Close(want, got, rtol: 1e-11, atol: 1e-12);
    }

    [Fact]
    public void LambdaReturnsAreGaeReturnsAndTheEndsAreTdZeroAndMonteCarlo()
    {
        var r = T.F64(RlRef.Normal(10, 104), 2, 5);
        var v = T.F64(RlRef.Normal(12, 105), 2, 6);
        var d = T.F64(RlRef.Flags(10, 106), 2, 5);
        var (_, ret) = F.gae(r, v, d, 0.9, 0.7);
        T.Close(T.Values(ret), F.lambda_returns(r, v, d, 0.9, 0.7), rtol: 1e-12, atol: 1e-12);
        T.Close(T.Values(F.n_step_returns(r, v, 1, d, 0.9)), F.lambda_returns(r, v, d, 0.9, 0), rtol: 1e-12, atol: 1e-12);
        T.Close(T.Values(F.discounted_returns(r, 0.9, d, v.select(1, 5))), F.lambda_returns(r, v, d, 0.9, 1), rtol: 1e-12, atol: 1e-12);
    }

    [Fact]
    public void HandWorkedLossAndHeldTargets()
    {
        // r = [1, 1], V = [0, 2, 4], gamma 1, lambda 0.5: G1 = 1 + 4 = 5, G0 = 1 + 0.5 * 2 + 0.5 * 5 = 4.5
        var r = T.F64(new[] { 1.0, 1.0 });
        var v = T.F64(new[] { 0.0, 2.0, 4.0 });
        T.Close(new[] { 4.5, 5.0 }, F.lambda_returns(r, v, gamma: 1, lambda_: 0.5));
        T.Close(new[] { 20.25, 9.0 }, F.td_lambda_loss(v, r, gamma: 1, lambda_: 0.5, reduction: Reduction.None));
        T.Close(14.625, F.td_lambda_loss(v, r, gamma: 1, lambda_: 0.5));
        var g = RlRef.Grads(x => F.td_lambda_loss(x[0], r, gamma: 1, lambda_: 0.5, reduction: Reduction.Sum), v)[0];
        T.Close(new[] { -9.0, -6.0, 0.0 }, T.F64(g));
        // Huber
        T.Close(new[] { 4.0, 2.5 }, F.td_lambda_loss(v, r, gamma: 1, lambda_: 0.5, value_loss: ValueLoss.Huber, reduction: Reduction.None));
        T.Close(29.25, new TdLambdaLoss(1, 0.5, reduction: Reduction.Sum).forward(v, r, null));
    }

    [Fact]
    public void LargeFloat32ValuesStayFinite()
    {
        var r = T.F32(new[] { 1e4f, -1e4f, 1e4f }, 3);
        var v = T.F32(new[] { -1e4f, 1e4f, -1e4f, 1e4f }, 4);
        T.Finite(F.td_lambda_loss(v, r), "loss");
        T.Finite(T.Grad(x => F.td_lambda_loss(x, r), v), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var r = torch.zeros(3, dtype: ScalarType.Float64);
        var v = torch.zeros(4, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => F.td_lambda_loss(v, r, lambda_: 1.5));
        Assert.Contains("lambda", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.td_lambda_loss(torch.zeros(2, dtype: ScalarType.Float64), r));
        Assert.Contains("values", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.lambda_returns(r, v, torch.tensor(new[] { 0.0, 1.0 })));
        Assert.Contains("dones", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => F.td_lambda_loss(v, torch.zeros(0, dtype: ScalarType.Float64)));
        Assert.Contains("rewards", e4.Message);
    }
}
