using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class IqnTests
{
    private const int N = 4, A = 3, Q = 6, Q2 = 5;
    private static readonly Tensor Quant = torch.randn(N, A, Q, dtype: ScalarType.Float64, generator: new Generator(141)) * 2;
    private static readonly Tensor Next = torch.randn(N, A, Q2, dtype: ScalarType.Float64, generator: new Generator(142)) * 2;
    private static readonly Tensor Actions = T.I64(2, 0, 1, 1);
    private static readonly double[] R = { 0.5, -1.0, 0.0, 2.0 };
    private static readonly double[] D = { 0.0, 0, 1, 0 };

    private static double[] Reference(double[] taus, bool perSample, double kappa) => Enumerable.Range(0, N).Select(i =>
        QrDqnTests.QuantileHuber(T.Values(Quant[i, Actions[i].item<long>()]), QrDqnTests.Targets(Next, i, R[i], D[i], 0.9),
            perSample ? RlRef.Row(taus, i, Q) : taus, kappa)).ToArray();

    [Fact]
    public void SampledFractionsAreSeededAndReproducible()
    {
        var a = F.iqn_taus(N, Q, 7, ScalarType.Float64);
        Assert.Equal(new long[] { N, Q }, a.shape);
        Assert.Equal(T.Values(a), T.Values(F.iqn_taus(N, Q, 7, ScalarType.Float64)));
        Assert.NotEqual(T.Values(a), T.Values(F.iqn_taus(N, Q, 8, ScalarType.Float64)));
        Assert.All(T.Values(a), t => Assert.True(t >= 0 && t < 1));
        // the loss draws the same fractions on every evaluation, the ones iqn_taus gives
        var l1 = F.iqn_loss(Quant, Actions, T.F64(R), Next, dones: T.F64(D), gamma: 0.9, seed: 7, reduction: Reduction.None);
        var l2 = F.iqn_loss(Quant, Actions, T.F64(R), Next, dones: T.F64(D), gamma: 0.9, seed: 7, reduction: Reduction.None);
        Assert.Equal(T.Values(l1), T.Values(l2));
        T.Close(Reference(T.Values(a), true, 1.0), l1, rtol: 1e-12);
        T.Close(T.Values(l1), F.iqn_loss(Quant, Actions, T.F64(R), Next, a, T.F64(D), 0.9, reduction: Reduction.None), rtol: 1e-12);
        // and so does the registry entry, whose seed parameter drives them
        var def = LossCatalog.GetLoss("iqn");
        var inputs = new Dictionary<string, Tensor> { ["quantiles"] = Quant, ["actions"] = Actions, ["rewards"] = T.F64(R), ["next_quantiles"] = Next, ["dones"] = T.F64(D) };
        var p = new Dictionary<string, string> { ["seed"] = "7", ["gamma"] = "0.9" };
        T.Close(Reference(T.Values(a), true, 1.0).Average(), def.Compute(inputs, p), rtol: 1e-12);
        Assert.Equal(T.Scalar(def.Compute(inputs, p)), T.Scalar(def.Compute(inputs, p)));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.0)]
    [InlineData(2.0)]
    public void MatchesTheBruteForceLoopWithGivenFractions(double kappa)
    {
        var taus = T.Values(torch.rand(N, Q, dtype: ScalarType.Float64, generator: new Generator(143)));
        var want = Reference(taus, true, kappa);
        T.Close(want, F.iqn_loss(Quant, Actions, T.F64(R), Next, T.F64(taus, N, Q), T.F64(D), 0.9, kappa, reduction: Reduction.None), rtol: 1e-12);
        T.Close(want.Sum(), F.iqn_loss(Quant, Actions, T.F64(R), Next, T.F64(taus, N, Q), T.F64(D), 0.9, kappa, reduction: Reduction.Sum), rtol: 1e-12);
        // fractions shared by the batch, (Q)
        var shared = taus.Take(Q).ToArray();
        T.Close(Reference(shared, false, kappa), F.iqn_loss(Quant, Actions, T.F64(R), Next, T.F64(shared), T.F64(D), 0.9, kappa, reduction: Reduction.None), rtol: 1e-12);
    }

    [Fact]
    public void MidpointFractionsGiveQrDqn()
    {
        var mid = Enumerable.Range(0, Q).Select(i => (2 * i + 1) / (2.0 * Q)).ToArray();
        T.Close(T.Values(F.qr_dqn_loss(Quant, Actions, T.F64(R), Next, T.F64(D), 0.9)), F.iqn_loss(Quant, Actions, T.F64(R), Next, T.F64(mid), T.F64(D), 0.9), rtol: 1e-12);
    }

    [Fact]
    public void TheTargetIsHeldAndLargeFloat32ValuesStayFinite()
    {
        var g = RlRef.Grads(x => F.iqn_loss(x[0], Actions, T.F64(R), x[1], seed: 3), Quant, Next);
        Assert.Contains(g[0], v => v != 0);
        Assert.All(g[1], v => Assert.Equal(0.0, v));
        var q32 = Quant.to_type(ScalarType.Float32) * 1e4f;
        var n32 = Next.to_type(ScalarType.Float32) * 1e4f;
        var r32 = T.F32(new[] { 1e4f, -1e4f, 0f, 1f }, 4);
        T.Finite(F.iqn_loss(q32, Actions, r32, n32), "loss");
        T.Finite(T.Grad(x => F.iqn_loss(x, Actions, r32, n32), q32), "gradient");
        Assert.Equal(ScalarType.Float32, F.iqn_loss(q32, Actions, r32, n32).dtype);
        T.Close(T.Scalar(F.iqn_loss(Quant, Actions, T.F64(R), Next, null, null, 0.9, 1, 5)), new IqnLoss(0.9, 1, 5).forward(Quant, Actions, T.F64(R), Next, null, null));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => F.iqn_loss(Quant, Actions, T.F64(R), Next, torch.full(N, Q, 1.5, dtype: ScalarType.Float64)));
        Assert.Contains("taus", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.iqn_loss(Quant, Actions, T.F64(R), Next, torch.full(N, Q + 1, 0.5, dtype: ScalarType.Float64)));
        Assert.Contains("taus", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => F.iqn_taus(4, 0, 1));
        Assert.Contains("num_taus", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => F.iqn_loss(Quant, Actions, T.F64(R.Take(3).ToArray()), Next));
        Assert.Contains("rewards", e4.Message);
    }
}
