using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Generative;

public class WganTests
{
    private static readonly double[] Real = { 1.5, -0.3, 4.0, 0.2 };
    private static readonly double[] Fake = { -2.0, 0.7, 0.0, -0.6 };

    [Fact]
    public void CriticLossIsMeanFakeMinusMeanReal()
    {
        var r = T.F64(Real, 2, 2);
        var f = T.F64(Fake, 2, 2);
        T.Close(Fake.Average() - Real.Average(), F.wgan_loss(r, f));
        T.Close(Fake.Sum() - Real.Sum(), F.wgan_loss(r, f, reduction: Reduction.Sum));
        T.Close(Real.Zip(Fake, (a, b) => b - a).ToArray(), F.wgan_loss(r, f, reduction: Reduction.None));
        // Different batch sizes: each mean over its own batch.
        T.Close(Fake.Take(3).Average() - Real.Average(), F.wgan_loss(T.F64(Real), T.F64(Fake.Take(3).ToArray())));
    }

    [Fact]
    public void DriftAddsTheMeanSquaredRealScore()
    {
        const double eps = 0.001;
        T.Close(Fake.Average() - Real.Average() + eps * Real.Average(v => v * v), F.wgan_loss(T.F64(Real), T.F64(Fake), drift: eps));
        // d/dr_i = (-1 + 2 eps r_i) / N.
        T.Close(Real.Select(v => (-1 + 2 * eps * v) / 4).ToArray(), T.Grad(x => F.wgan_loss(x, T.F64(Fake), drift: eps), T.F64(Real)));
    }

    [Fact]
    public void GeneratorLossIsMinusTheMeanFakeScoreWithConstantGradient()
    {
        T.Close(-Fake.Average(), F.wgan_loss(null, T.F64(Fake), GanRole.Generator));
        T.Close(Fake.Select(_ => -0.25).ToArray(), T.Grad(x => F.wgan_loss(null, x, GanRole.Generator), T.F64(Fake)));
        T.Close(Fake.Select(v => -v).ToArray(), F.wgan_loss(null, T.F64(Fake), GanRole.Generator, reduction: Reduction.None));
        // The critic's gradients: +1/M on fakes, -1/N on reals.
        T.Close(Real.Select(_ => -0.25).ToArray(), T.Grad(x => F.wgan_loss(x, T.F64(Fake)), T.F64(Real)));
    }

    [Fact]
    public void Float32ScoresOf1e4AreExact()
    {
        var r = T.F32(new[] { 1e4f, -1e4f }, 2);
        var f = T.F32(new[] { -1e4f, 1e4f }, 2);
        T.Close(new[] { -2e4, 2e4 }, F.wgan_loss(r, f, reduction: Reduction.None), 1e-7);
        T.Finite(T.Grad(x => F.wgan_loss(x, f, drift: 0.001), r));
    }

    [Fact]
    public void ModuleRegistryAndErrors()
    {
        var r = T.F64(Real);
        var f = T.F64(Fake);
        T.Close(T.Scalar(F.wgan_loss(r, f, drift: 0.5)), new WganLoss(drift: 0.5).forward(r, f));
        T.Close(Fake.Average() - Real.Average(), LossCatalog.Create("wgan").Forward(new Dictionary<string, Tensor> { ["real_logits"] = r, ["fake_logits"] = f }));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => F.wgan_loss(r, f, drift: -1));
        Assert.Contains("drift", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => LossCatalog.Create("wgan:drift=-0.1"));
        Assert.Contains("drift", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.wgan_loss(torch.zeros(4, dtype: ScalarType.Int32), f));
        Assert.Contains("real_logits", e3.Message);
    }
}
