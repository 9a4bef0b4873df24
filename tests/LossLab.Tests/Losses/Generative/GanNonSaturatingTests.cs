using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static LossLab.Tests.Losses.Generative.GenerativeRef;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Generative;

public class GanNonSaturatingTests
{
    private static readonly double[] Fake = { -2.0, 0.7, 0.0, -0.6, 5.5, -30.0 };

    [Fact]
    public void GeneratorMinimisesMinusLogD()
    {
        var want = Fake.Select(v => -LogD(v)).ToArray();
        var f = T.F64(Fake, 2, 3);
        T.Close(want, F.gan_non_saturating_loss(null, f, GanRole.Generator, reduction: Reduction.None));
        T.Close(want.Sum(), F.gan_non_saturating_loss(null, f, GanRole.Generator, reduction: Reduction.Sum));
        T.Close(want.Average(), F.gan_non_saturating_loss(null, f, GanRole.Generator));
        // d/df -log sigmoid(f) = -(1 - sigmoid(f)) = -sigmoid(-f).
        T.Close(Fake.Select(v => -Sigmoid(-v)).ToArray(), T.Grad(x => F.gan_non_saturating_loss(null, x, GanRole.Generator, reduction: Reduction.Sum), T.F64(Fake)));
    }

    [Fact]
    public void NonSaturatingPlusMinimaxIsMinusTheLogitEntryByEntry()
    {
        // -log sigmoid(f) + log(1 - sigmoid(f)) = log((1 - D) / D) = -f.
        var f = T.F64(Fake);
        var ns = F.gan_non_saturating_loss(null, f, GanRole.Generator, reduction: Reduction.None);
        var mm = F.gan_minimax_loss(null, f, GanRole.Generator, reduction: Reduction.None);
        T.Close(Fake.Select(v => -v).ToArray(), ns + mm, 1e-12, 1e-12);
    }

    [Fact]
    public void BothGeneratorLossesShareTheirFixedPointWhereTheSaturatingOneLosesItsGradient()
    {
        // At the fixed point p_g = p_data the optimal discriminator says 1/2 (logit 0): both gradients are -1/2.
        var zero = torch.zeros(3, dtype: ScalarType.Float64);
        T.Close(new[] { -0.5, -0.5, -0.5 }, T.Grad(x => F.gan_non_saturating_loss(null, x, GanRole.Generator, reduction: Reduction.Sum), zero));
        T.Close(new[] { -0.5, -0.5, -0.5 }, T.Grad(x => F.gan_minimax_loss(null, x, GanRole.Generator, reduction: Reduction.Sum), zero));
        // Far from it (fakes confidently rejected), the minimax gradient vanishes while the non-saturating one stays near -1.
        var rejected = T.F64(new[] { -12.0 });
        double gNs = T.Values(T.Grad(x => F.gan_non_saturating_loss(null, x, GanRole.Generator), rejected))[0];
        double gMm = T.Values(T.Grad(x => F.gan_minimax_loss(null, x, GanRole.Generator), rejected))[0];
        Assert.True(gNs < -0.9999 && Math.Abs(gMm) < 1e-5, $"non-saturating {gNs}, minimax {gMm}");
    }

    [Fact]
    public void DiscriminatorIsTheOriginalGansDiscriminator()
    {
        var r = T.F64(new[] { 0.3, -1.2, 2.0 });
        var f = T.F64(new[] { 0.9, -0.4, -3.0 });
        T.Close(T.Values(F.gan_minimax_loss(r, f, label_smoothing: 0.1, reduction: Reduction.None)), F.gan_non_saturating_loss(r, f, label_smoothing: 0.1, reduction: Reduction.None), 0, 0);
        T.Close(new[] { 0.3, -1.2, 2.0 }.Zip(new[] { 0.9, -0.4, -3.0 }, (a, b) => Softplus(-a) + Softplus(b)).Average(), F.gan_non_saturating_loss(r, f));
    }

    [Fact]
    public void Float32LogitsOf1e4StayFinite()
    {
        var f = T.F32(new[] { 1e4f, -1e4f, 0f }, 3);
        T.Close(new[] { 0.0, 1e4, Math.Log(2) }, F.gan_non_saturating_loss(null, f, GanRole.Generator, reduction: Reduction.None), 1e-6);
        T.Close(new[] { 0.0, -1.0, -0.5 }, T.Grad(x => F.gan_non_saturating_loss(null, x, GanRole.Generator, reduction: Reduction.Sum), f), 1e-6);
        var r = T.F32(new[] { -1e4f, 1e4f, 2f }, 3);
        T.Finite(F.gan_non_saturating_loss(r, f), "discriminator value");
        T.Finite(T.Grad(x => F.gan_non_saturating_loss(x, f), r), "discriminator grad");
    }

    [Fact]
    public void ModuleMatchesAndBadInputIsRejected()
    {
        var r = T.F64(new[] { 0.3, -1.2 });
        var f = T.F64(new[] { 0.9, -0.4 });
        T.Close(T.Scalar(F.gan_non_saturating_loss(r, f, GanRole.Generator)), new GanNonSaturatingLoss(GanRole.Generator).forward(r, f));
        var e = Assert.Throws<ArgumentNullException>(() => F.gan_non_saturating_loss(null, f));
        Assert.Contains("real_logits", e.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => new GanNonSaturatingLoss(label_smoothing: -0.1));
        Assert.Contains("label_smoothing", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.gan_non_saturating_loss(r, f.to_type(ScalarType.Float32)));
        Assert.Contains("fake_logits", e3.Message);
    }
}
