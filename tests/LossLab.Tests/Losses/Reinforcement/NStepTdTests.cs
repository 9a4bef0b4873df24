using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class NStepTdTests
{
    [Fact]
    public void HandWorkedThreeSteps()
    {
        // r = [1, 2, 3], V = [0, 0, 0, 8], gamma 0.5, n = 2:
        // G0 = 1 + 0.5 * 2 + 0.25 * V2 = 2, G1 = 2 + 1.5 + 0.25 * V3 = 5.5, G2 = 3 + 0.5 * V3 = 7
        var r = T.F64(new[] { 1.0, 2.0, 3.0 });
        var v = T.F64(new[] { 0.0, 0.0, 0.0, 8.0 });
        T.Close(new[] { 2.0, 5.5, 7.0 }, F.n_step_returns(r, v, 2, gamma: 0.5));
        // the episode ends with step 0: G0 = 1
        T.Close(new[] { 1.0, 5.5, 7.0 }, F.n_step_returns(r, v, 2, T.F64(new[] { 1.0, 0, 0 }), 0.5));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(9)]
    public void MatchesTheBruteForceSum(int n)
    {
        const int b = 3, t = 7;
        var seq = RlRef.Sequences(b, t, 91);
        var (r, v, d) = RlRef.Tensors(b, t, seq);
        var got = F.n_step_returns(r, v, n, d, 0.9);
        var want = RlRef.PerRow(b, t, seq, (ri, vi, di) => RlRef.NStep(ri, vi, di, n, 0.9));
        T.Close(want, got, rtol: 1e-12, atol: 1e-12);
    }

    [Fact]
    public void OneStepIsTheTd0TargetAndManyStepsTheBootstrappedReturn()
    {
        var r = T.F64(RlRef.Normal(6, 94));
        var v = T.F64(RlRef.Normal(7, 95));
        var d = T.F64(new[] { 0.0, 1, 0, 0, 0, 0 });
        T.Close(T.Values(r + 0.8 * (1 - d) * v.narrow(0, 1, 6)), F.n_step_returns(r, v, 1, d, 0.8), rtol: 1e-12);
        T.Close(T.Values(F.discounted_returns(r, 0.8, d, v[6])), F.n_step_returns(r, v, 6, d, 0.8), rtol: 1e-12);
        T.Close(T.Values(F.discounted_returns(r, 0.8, d, v[6])), F.n_step_returns(r, v, 50, d, 0.8), rtol: 1e-12);
    }

    [Fact]
    public void LossIsTheErrorOfTheFirstTValuesAgainstTheHeldTargets()
    {
        var r = T.F64(new[] { 1.0, 2.0, 3.0 });
        var v = T.F64(new[] { 1.0, -1.0, 2.0, 8.0 });
        // gamma 0.5, n 2: G = [1 + 1 + 0.25 * 2, 2 + 1.5 + 2, 3 + 4] = [2.5, 5.5, 7]; errors V - G = [-1.5, -6.5, -5]
        T.Close(new[] { 2.25, 42.25, 25.0 }, F.n_step_td_loss(v, r, 2, gamma: 0.5, reduction: Reduction.None));
        var g = RlRef.Grads(x => F.n_step_td_loss(x[0], r, 2, gamma: 0.5, reduction: Reduction.Sum), v)[0];
        T.Close(new[] { -3.0, -13.0, -10.0, 0.0 }, T.F64(g));
        // the bootstrap given apart is the same, and held too
        var g2 = RlRef.Grads(x => F.n_step_td_loss(x[0], r, 2, gamma: 0.5, bootstrap_value: x[1], reduction: Reduction.Sum), v.narrow(0, 0, 3), v[3]);
        T.Close(new[] { -3.0, -13.0, -10.0 }, T.F64(g2[0]));
        Assert.Equal(0.0, g2[1][0]);
        T.Close(69.5, new NStepTdLoss(2, 0.5, reduction: Reduction.Sum).forward(v, r, null));
        T.Close(69.5 / 3, F.n_step_td_loss(v, r, 2, gamma: 0.5));
        // Huber with delta 1: |e| - 0.5 for the errors [-1.5, -6.5, -5]
        T.Close(new[] { 1.0, 6.0, 4.5 }, F.n_step_td_loss(v, r, 2, gamma: 0.5, value_loss: ValueLoss.Huber, reduction: Reduction.None));
    }

    [Fact]
    public void LargeFloat32ValuesStayFinite()
    {
        var r = T.F32(new[] { 1e4f, -1e4f, 1e4f }, 3);
        var v = T.F32(new[] { -1e4f, 1e4f, -1e4f, 1e4f }, 4);
        T.Finite(F.n_step_td_loss(v, r, 2), "loss");
        T.Finite(T.Grad(x => F.n_step_td_loss(x, r, 2, value_loss: ValueLoss.Huber), v), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var r = torch.zeros(2, 3, dtype: ScalarType.Float64);
        var v = torch.zeros(2, 4, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => F.n_step_td_loss(v, r, 0));
        Assert.Contains("'n'", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.n_step_td_loss(torch.zeros(2, 6, dtype: ScalarType.Float64), r));
        Assert.Contains("values", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.n_step_td_loss(v, r, dones: torch.full(2, 3, 0.5)));
        Assert.Contains("dones", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => F.n_step_returns(r, v, gamma: 3));
        Assert.Contains("gamma", e4.Message);
    }
}
