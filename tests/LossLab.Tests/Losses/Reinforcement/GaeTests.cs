using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class GaeTests
{
    [Fact]
    public void HandWorkedTwoSteps()
    {
        // gamma = lambda = 0.5; delta_0 = 1 + 0.5 * 0.25 - 0.5 = 0.625, delta_1 = 1 + 0.5 * 2 - 0.25 = 1.75
        // A_1 = 1.75, A_0 = 0.625 + 0.25 * 1.75 = 1.0625; returns = A + V
        var (a, r) = F.gae(T.F64(new[] { 1.0, 1.0 }), T.F64(new[] { 0.5, 0.25, 2.0 }), gamma: 0.5, gae_lambda: 0.5);
        T.Close(new[] { 1.0625, 1.75 }, a);
        T.Close(new[] { 1.5625, 2.0 }, r);
    }

    [Theory]
    [InlineData(0.99, 0.95)]
    [InlineData(0.9, 0.0)]
    [InlineData(0.8, 1.0)]
    [InlineData(1.0, 0.7)]
    public void MatchesTheBruteForceSumOfTdErrors(double gamma, double lambda)
    {
        const int b = 3, t = 8;
        var seq = RlRef.Sequences(b, t, 21);
        var (r, v, d) = RlRef.Tensors(b, t, seq);
        var (a, ret) = F.gae(r, v, d, gamma, lambda);
        var wantA = RlRef.PerRow(b, t, seq, (ri, vi, di) => RlRef.Gae(ri, vi, di, gamma, lambda));
        var wantR = RlRef.PerRow(b, t, seq, (ri, vi, di) => RlRef.Gae(ri, vi, di, gamma, lambda).Select((x, k) => x + vi[k]).ToArray());
        T.Close(wantA, a, rtol: 1e-12, atol: 1e-12);
        T.Close(wantR, ret, rtol: 1e-12, atol: 1e-12);
    }

    [Fact]
    public void ValuesWithABootstrapApartEqualValuesWithTPlusOneSteps()
    {
        var r = T.F64(RlRef.Normal(10, 31), 2, 5);
        var v = T.F64(RlRef.Normal(12, 32), 2, 6);
        var d = T.F64(RlRef.Flags(10, 33), 2, 5);
        var (a1, r1) = F.gae(r, v, d, 0.9, 0.8);
        var (a2, r2) = F.gae(r, v.narrow(1, 0, 5), d, 0.9, 0.8, bootstrap_value: v.select(1, 5));
        T.Close(T.Values(a1), a2);
        T.Close(T.Values(r1), r2);
        // without a bootstrap the state after the last step is worth 0
        var (a3, _) = F.gae(r, v.narrow(1, 0, 5), d, 0.9, 0.8);
        var (a4, _) = F.gae(r, torch.cat(new[] { v.narrow(1, 0, 5), torch.zeros(2, 1, dtype: ScalarType.Float64) }, 1), d, 0.9, 0.8);
        T.Close(T.Values(a4), a3);
    }

    [Fact]
    public void LambdaOneIsTheBootstrappedReturnMinusTheValueAndLambdaZeroTheTdError()
    {
        var r = T.F64(RlRef.Normal(6, 41));
        var v = T.F64(RlRef.Normal(7, 42));
        var d = T.F64(new[] { 0.0, 0, 1, 0, 0, 0 });
        var (a1, ret1) = F.gae(r, v, d, 0.9, 1.0);
        var g = F.discounted_returns(r, 0.9, d, v[6]);
        T.Close(T.Values(g - v.narrow(0, 0, 6)), a1, rtol: 1e-12, atol: 1e-12);
        T.Close(T.Values(g), ret1, rtol: 1e-12, atol: 1e-12);
        var (a0, _) = F.gae(r, v, d, 0.9, 0.0);
        T.Close(T.Values(r + 0.9 * (1 - d) * v.narrow(0, 1, 6) - v.narrow(0, 0, 6)), a0, rtol: 1e-12, atol: 1e-12);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var r = torch.zeros(2, 4, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => F.gae(r, torch.zeros(2, 6, dtype: ScalarType.Float64)));
        Assert.Contains("values", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.gae(r, torch.zeros(3, 5, dtype: ScalarType.Float64)));
        Assert.Contains("values", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.gae(r, torch.zeros(2, 5, dtype: ScalarType.Float64), bootstrap_value: torch.zeros(2, dtype: ScalarType.Float64)));
        Assert.Contains("bootstrap_value", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => F.gae(r, torch.zeros(2, 5, dtype: ScalarType.Float64), gae_lambda: 1.1));
        Assert.Contains("gae_lambda", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => F.gae(r, torch.zeros(2, 5, dtype: ScalarType.Float64), dones: torch.full(2, 4, 2.0)));
        Assert.Contains("dones", e5.Message);
        var e6 = Assert.Throws<ArgumentOutOfRangeException>(() => F.gae(r, torch.zeros(2, 5, dtype: ScalarType.Float64), gamma: double.NaN));
        Assert.Contains("gamma", e6.Message);
    }
}
