using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class DiscountedReturnsTests
{
    [Fact]
    public void HandWorkedEpisode()
    {
        var r = T.F64(new[] { 1.0, 2.0, 3.0 });
        // gamma 0.5: G2 = 3, G1 = 2 + 1.5 = 3.5, G0 = 1 + 1.75 = 2.75
        T.Close(new[] { 2.75, 3.5, 3.0 }, F.discounted_returns(r, 0.5));
        // the episode ends with step 1: G1 = 2, G0 = 1 + 0.5 * 2 = 2, the next episode G2 = 3
        T.Close(new[] { 2.0, 2.0, 3.0 }, F.discounted_returns(r, 0.5, T.F64(new[] { 0.0, 1.0, 0.0 })));
        // bootstrap V(s_T) = 4: G2 = 3 + 2 = 5, G1 = 2 + 2.5 = 4.5, G0 = 1 + 2.25 = 3.25
        T.Close(new[] { 3.25, 4.5, 5.0 }, F.discounted_returns(r, 0.5, bootstrap_value: torch.tensor(4.0, dtype: ScalarType.Float64)));
    }

    [Theory]
    [InlineData(0.99)]
    [InlineData(0.5)]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void MatchesForwardSumsOnBatches(double gamma)
    {
        const int b = 3, t = 7;
        var r = RlRef.Normal(b * t, 11);
        var d = RlRef.Flags(b * t, 12);
        var boot = RlRef.Normal(b, 13);
        var got = F.discounted_returns(T.F64(r, b, t), gamma, T.F64(d, b, t), T.F64(boot, b));
        var want = Enumerable.Range(0, b).SelectMany(i => RlRef.Returns(RlRef.Row(r, i, t), RlRef.Row(d, i, t), gamma, boot[i])).ToArray();
        T.Close(want, got, rtol: 1e-12);
        Assert.Equal(new long[] { b, t }, got.shape);
    }

    [Fact]
    public void GammaZeroIsTheRewardAndGammaOneTheSuffixSum()
    {
        var r = new[] { 0.5, -1.0, 2.0, 0.25 };
        T.Close(r, F.discounted_returns(T.F64(r), 0));
        T.Close(new[] { 1.75, 1.25, 2.25, 0.25 }, F.discounted_returns(T.F64(r), 1));
    }

    [Fact]
    public void DonesMayBeBoolIntegerOrFloatingAndGradientsFlowThrough()
    {
        var r = T.F64(new[] { 1.0, 2.0, 3.0, 4.0 });
        var want = T.Values(F.discounted_returns(r, 0.9, T.F64(new[] { 0.0, 1.0, 0.0, 0.0 })));
        T.Close(want, F.discounted_returns(r, 0.9, torch.tensor(new[] { false, true, false, false })));
        T.Close(want, F.discounted_returns(r, 0.9, T.I64(0, 1, 0, 0)));
        // d G_0 / d r_k = gamma^k within the episode, 0 after it
        var g = RlRef.Grads(x => F.discounted_returns(x[0], 0.9, T.I64(0, 1, 0, 0)).select(0, 0), r)[0];
        T.Close(new[] { 1.0, 0.9, 0.0, 0.0 }, T.F64(g));
    }

    [Fact]
    public void Float32AndLargeRewardsStayFinite()
    {
        var r = T.F32(new[] { 1e30f, -1e30f, 1e4f }, 3);
        T.Finite(F.discounted_returns(r, 0.99), "returns");
        Assert.Equal(ScalarType.Float32, F.discounted_returns(r).dtype);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var r = torch.zeros(2, 4, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => F.discounted_returns(r, 1.5));
        Assert.Contains("gamma", e1.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => F.discounted_returns(r, -0.1));
        var e2 = Assert.Throws<ArgumentException>(() => F.discounted_returns(r, 0.9, torch.full(2, 4, 0.5, dtype: ScalarType.Float64)));
        Assert.Contains("dones", e2.Message);
        Assert.Contains("0.5", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.discounted_returns(r, 0.9, torch.zeros(2, 3)));
        Assert.Contains("dones", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => F.discounted_returns(r, 0.9, bootstrap_value: torch.zeros(3, dtype: ScalarType.Float64)));
        Assert.Contains("bootstrap_value", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => F.discounted_returns(torch.zeros(2, 3, 4)));
        Assert.Contains("rewards", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => F.discounted_returns(T.I64(1, 2)));
        Assert.Contains("rewards", e6.Message);
    }
}
