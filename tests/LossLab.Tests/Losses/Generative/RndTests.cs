using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Generative;

public class RndTests
{
    private static readonly double[] Pred = { 0.5, -1.0, 2.0, 0.3, 0.0, -0.7, 1.1, 0.4 };
    private static readonly double[] Target = { 0.1, -0.4, 1.0, 1.3, -0.5, 0.2, 1.0, -1.0 };

    private static double[] PerSample() => GenerativeRef.Rows(Pred.Zip(Target, (p, t) => (p - t) * (p - t)).ToArray(), 2).Select(r => r.Average()).ToArray();

    [Fact]
    public void IsThePredictorsMeanSquaredErrorPerSample()
    {
        var ps = PerSample();
        var p = T.F64(Pred, 4, 2);
        var t = T.F64(Target, 4, 2);
        T.Close(ps, F.rnd_loss(p, t, reduction: Reduction.None), 1e-14);
        T.Close(ps.Average(), F.rnd_loss(p, t), 1e-14);
        T.Close(ps.Sum(), F.rnd_loss(p, t, reduction: Reduction.Sum), 1e-14);
        T.Close(Pred.Select((v, k) => 2 * (v - Target[k]) / 2 / 4).ToArray(), T.Grad(x => F.rnd_loss(x, t), p), 1e-14);
    }

    [Fact]
    public void TheTargetNetworkIsHeld()
    {
        var p = T.F64(Pred, 4, 2).requires_grad_(true);   // the loss has a graph, yet none of it reaches the target
        T.Close(new double[8], GenerativeRef.GradOrZero(x => F.rnd_loss(p, x), T.F64(Target, 4, 2)), 0, 0);
    }

    [Fact]
    public void AMaskKeepsSomeSamplesAndAnEmptyMaskGivesZero()
    {
        var ps = PerSample();
        double[] m = { 1, 0, 1, 1 };
        var p = T.F64(Pred, 4, 2);
        var t = T.F64(Target, 4, 2);
        T.Close((ps[0] + ps[2] + ps[3]) / 3, F.rnd_loss(p, t, T.F64(m)), 1e-14);
        T.Close(ps[0] + ps[2] + ps[3], F.rnd_loss(p, t, T.F64(m), Reduction.Sum), 1e-14);
        T.Close(new[] { ps[0], 0, ps[2], ps[3] }, F.rnd_loss(p, t, torch.tensor(new[] { true, false, true, true }), Reduction.None), 1e-14);
        T.Close(0.0, F.rnd_loss(p, t, torch.zeros(4, dtype: ScalarType.Float64)), 0, 0);
        T.Finite(T.Grad(x => F.rnd_loss(x, t, torch.zeros(4, dtype: ScalarType.Float64)), p));
    }

    [Fact]
    public void IntrinsicRewardIsThePerSampleErrorAndTheMaskKeepsAboutTheProportion()
    {
        T.Close(PerSample(), IntrinsicReward.Rnd(T.F64(Pred, 4, 2), T.F64(Target, 4, 2)), 1e-14);
        var mask = T.Values(IntrinsicReward.RndUpdateMask(4000, 0.25, new Generator(1)));
        Assert.All(mask, v => Assert.True(v == 0 || v == 1));
        Assert.InRange(mask.Average(), 0.25 - 4 * Math.Sqrt(0.25 * 0.75 / 4000), 0.25 + 4 * Math.Sqrt(0.25 * 0.75 / 4000));
        T.Close(mask, IntrinsicReward.RndUpdateMask(4000, 0.25, new Generator(1)), 0, 0);
        Assert.All(T.Values(IntrinsicReward.RndUpdateMask(10, 1.0)), v => Assert.Equal(1.0, v));
    }

    [Fact]
    public void Float32ModuleAndRegistry()
    {
        var big = T.F32(new[] { 1e4f, -1e4f, 0f, 2f }, 2, 2);
        var zeros = torch.zeros(new long[] { 2, 2 }, dtype: ScalarType.Float32);
        T.Close(new[] { 1e8, 2.0 }, F.rnd_loss(big, zeros, reduction: Reduction.None), 1e-6);
        T.Finite(T.Grad(x => F.rnd_loss(x, zeros), big));
        T.Close(PerSample().Average(), new RndLoss().forward(T.F64(Pred, 4, 2), T.F64(Target, 4, 2)), 1e-14);
        T.Close(PerSample().Sum(), LossCatalog.Create("rnd:reduction=sum").forward(T.F64(Pred, 4, 2), T.F64(Target, 4, 2)), 1e-14);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var p = T.F64(Pred, 4, 2);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.rnd_loss(p, T.F64(Target, 2, 4))).Message);
        Assert.Contains("mask", Assert.Throws<ArgumentException>(() => F.rnd_loss(p, p, T.F64(new[] { 1.0, 0 }))).Message);
        Assert.Contains("mask", Assert.Throws<ArgumentException>(() => F.rnd_loss(p, p, T.F64(new[] { 1.0, 0, 2, 1 }))).Message);
        Assert.Contains("proportion", Assert.Throws<ArgumentOutOfRangeException>(() => IntrinsicReward.RndUpdateMask(3, 1.5)).Message);
    }
}
