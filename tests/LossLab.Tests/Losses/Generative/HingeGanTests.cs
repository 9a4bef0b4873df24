using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Generative;

public class HingeGanTests
{
    private static readonly double[] Real = { 1.5, -0.3, 0.4, 2.2, 0.99 };
    private static readonly double[] Fake = { -2.0, 0.7, -0.5, -1.01, 3.0 };

    [Fact]
    public void DiscriminatorIsTheHingeOnBothSides()
    {
        var each = Real.Zip(Fake, (r, f) => Math.Max(0, 1 - r) + Math.Max(0, 1 + f)).ToArray();
        T.Close(each, F.hinge_gan_loss(T.F64(Real), T.F64(Fake), reduction: Reduction.None));
        T.Close(each.Sum(), F.hinge_gan_loss(T.F64(Real), T.F64(Fake), reduction: Reduction.Sum));
        T.Close(Real.Average(r => Math.Max(0, 1 - r)) + Fake.Take(2).Average(f => Math.Max(0, 1 + f)), F.hinge_gan_loss(T.F64(Real), T.F64(Fake.Take(2).ToArray())));
        // margin 2
        T.Close(Real.Zip(Fake, (r, f) => Math.Max(0, 2 - r) + Math.Max(0, 2 + f)).ToArray(), F.hinge_gan_loss(T.F64(Real), T.F64(Fake), margin: 2, reduction: Reduction.None));
    }

    [Fact]
    public void SamplesBeyondTheMarginGiveNoGradient()
    {
        // d/dr = -1 where r < 1, else 0; d/df = +1 where f > -1, else 0 (each over its batch size).
        T.Close(Real.Select(r => r < 1 ? -0.2 : 0).ToArray(), T.Grad(x => F.hinge_gan_loss(x, T.F64(Fake)), T.F64(Real)));
        T.Close(Fake.Select(f => f > -1 ? 0.2 : 0).ToArray(), T.Grad(x => F.hinge_gan_loss(T.F64(Real), x), T.F64(Fake)));
    }

    [Fact]
    public void GeneratorIsWgansGenerator()
    {
        var f = T.F64(Fake);
        T.Close(T.Values(F.wgan_loss(null, f, GanRole.Generator, reduction: Reduction.None)), F.hinge_gan_loss(null, f, GanRole.Generator, reduction: Reduction.None), 0, 0);
        T.Close(-Fake.Average(), F.hinge_gan_loss(null, f, GanRole.Generator));
    }

    [Fact]
    public void Float32ScoresOf1e4AndModule()
    {
        var r = T.F32(new[] { 1e4f, -1e4f }, 2);
        var f = T.F32(new[] { -1e4f, 1e4f }, 2);
        T.Close(new[] { 0.0, 2e4 + 2 }, F.hinge_gan_loss(r, f, reduction: Reduction.None), 1e-7);
        T.Close(new[] { 0.0, -0.5 }, T.Grad(x => F.hinge_gan_loss(x, f), r));
        T.Close(T.Scalar(F.hinge_gan_loss(T.F64(Real), T.F64(Fake), margin: 0.5)), new HingeGanLoss(margin: 0.5).forward(T.F64(Real), T.F64(Fake)));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => F.hinge_gan_loss(T.F64(Real), T.F64(Fake), margin: 0));
        Assert.Contains("margin", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.hinge_gan_loss(T.F64(Real), T.F64(Fake, 5, 1), reduction: Reduction.None));
        Assert.Contains("fake_logits", e2.Message);
        Assert.Throws<ArgumentNullException>(() => F.hinge_gan_loss(null, T.F64(Fake)));
    }
}
