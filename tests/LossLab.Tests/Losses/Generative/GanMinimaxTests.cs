using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static LossLab.Tests.Losses.Generative.GenerativeRef;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Generative;

public class GanMinimaxTests
{
    private static readonly double[] Real = { 1.5, -0.3, 4.0, 0.2 };
    private static readonly double[] Fake = { -2.0, 0.7, 0.0, -0.6 };

    [Fact]
    public void DiscriminatorIsTheBinaryCrossEntropyOfRealAndFakeForEachReduction()
    {
        var each = Real.Zip(Fake, (r, f) => -LogD(r) - Log1mD(f)).ToArray();
        var r = T.F64(Real, 2, 2);
        var f = T.F64(Fake, 2, 2);
        T.Close(each, F.gan_minimax_loss(r, f, reduction: Reduction.None));
        T.Close(each.Sum(), F.gan_minimax_loss(r, f, reduction: Reduction.Sum));
        T.Close(each.Average(), F.gan_minimax_loss(r, f));
        // Batches of different sizes: each term averaged over its own batch.
        var want = Mean(Real.Select(v => -LogD(v))) + Mean(Fake.Take(3).Select(v => -Log1mD(v)));
        T.Close(want, F.gan_minimax_loss(T.F64(Real), T.F64(Fake.Take(3).ToArray())));
    }

    [Fact]
    public void GeneratorMinimisesLogOfOneMinusD()
    {
        var want = Fake.Select(Log1mD).ToArray();
        T.Close(want, F.gan_minimax_loss(null, T.F64(Fake), GanRole.Generator, reduction: Reduction.None));
        T.Close(want.Average(), F.gan_minimax_loss(T.F64(Real), T.F64(Fake), GanRole.Generator));
        // d/df log(1 - sigmoid(f)) = -sigmoid(f): it saturates as the discriminator rejects the fakes (f very negative).
        T.Close(Fake.Select(v => -Sigmoid(v)).ToArray(), T.Grad(x => F.gan_minimax_loss(null, x, GanRole.Generator, reduction: Reduction.Sum), T.F64(Fake)));
    }

    [Fact]
    public void GradientsAreSigmoidsOverTheBatchSizes()
    {
        var r = T.F64(Real);
        var f = T.F64(Fake.Take(2).ToArray());
        T.Close(Real.Select(v => (Sigmoid(v) - 1) / 4).ToArray(), T.Grad(x => F.gan_minimax_loss(x, f), r));
        T.Close(Fake.Take(2).Select(v => Sigmoid(v) / 2).ToArray(), T.Grad(x => F.gan_minimax_loss(r, x), f));
    }

    [Fact]
    public void OneSidedLabelSmoothingMovesOnlyTheRealTarget()
    {
        const double s = 0.1;
        var each = Real.Zip(Fake, (r, f) => -((1 - s) * LogD(r) + s * Log1mD(r)) - Log1mD(f)).ToArray();
        T.Close(each, F.gan_minimax_loss(T.F64(Real), T.F64(Fake), label_smoothing: s, reduction: Reduction.None));
    }

    [Fact]
    public void AtTheOptimalDiscriminatorTheLossIsLog4MinusTwiceTheJensenShannonDivergence()
    {
        // p_data = (1/2, 1/4, 1/4), p_g = (1/4, 1/4, 1/2) over three points; batches drawn in exact proportion.
        double[] pd = { 0.5, 0.25, 0.25 }, pg = { 0.25, 0.25, 0.5 };
        int[] realPoints = { 0, 0, 1, 2 }, fakePoints = { 0, 1, 2, 2 };
        // D*(x) = p_d / (p_d + p_g), as a logit log(p_d / p_g).
        double Logit(int k) => Math.Log(pd[k] / pg[k]);
        var real = T.F64(realPoints.Select(Logit).ToArray());
        var fake = T.F64(fakePoints.Select(Logit).ToArray());
        T.Close(Math.Log(4) - 2 * Jsd(pd, pg), F.gan_minimax_loss(real, fake), 1e-12);
        // With p_g = p_data, D* = 1/2 everywhere and the loss is log 4.
        T.Close(Math.Log(4), F.gan_minimax_loss(torch.zeros(5, dtype: ScalarType.Float64), torch.zeros(3, dtype: ScalarType.Float64)), 1e-14);
    }

    [Fact]
    public void Float32LogitsOf1e4GiveFiniteExactValuesAndGradients()
    {
        var r = T.F32(new[] { 1e4f, -1e4f, 3f }, 3);
        var f = T.F32(new[] { -1e4f, 1e4f, 0f }, 3);
        var loss = F.gan_minimax_loss(r, f, label_smoothing: 0.2, reduction: Reduction.None);
        T.Close(new[] { 0.2 * 1e4, 0.8 * 1e4 + 1e4, 0.8 * Softplus(-3) + 0.2 * Softplus(3) + Math.Log(2) }, loss, 1e-6);
        T.Finite(T.Grad(x => F.gan_minimax_loss(x, f, label_smoothing: 0.2), r), "grad real");
        T.Finite(T.Grad(x => F.gan_minimax_loss(r, x), f), "grad fake");
        var g = F.gan_minimax_loss(null, f, GanRole.Generator, reduction: Reduction.None);
        T.Close(new[] { 0.0, -1e4, -Math.Log(2) }, g, 1e-6);
        T.Finite(T.Grad(x => F.gan_minimax_loss(null, x, GanRole.Generator), f), "grad generator");
    }

    [Fact]
    public void ModuleAndRegistryAgreeWithTheFunction()
    {
        var r = T.F64(Real);
        var f = T.F64(Fake);
        T.Close(T.Scalar(F.gan_minimax_loss(r, f, label_smoothing: 0.1)), new GanMinimaxLoss(label_smoothing: 0.1).forward(r, f));
        var spec = LossCatalog.Create("gan_minimax:role=generator,reduction=sum");
        T.Close(Fake.Sum(Log1mD), spec.Forward(new Dictionary<string, Tensor> { ["fake_logits"] = f }));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var f = T.F64(Fake);
        var e1 = Assert.Throws<ArgumentNullException>(() => F.gan_minimax_loss(null, f));
        Assert.Contains("real_logits", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.gan_minimax_loss(T.F64(Real), T.F64(new[] { 1.0, 2.0 }), reduction: Reduction.None));
        Assert.Contains("fake_logits", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.gan_minimax_loss(T.F64(Real), torch.zeros(4, dtype: ScalarType.Int64)));
        Assert.Contains("fake_logits", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => F.gan_minimax_loss(T.F64(Real), f, label_smoothing: 1.0));
        Assert.Contains("label_smoothing", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => F.gan_minimax_loss(T.F64(Real), torch.zeros(0, dtype: ScalarType.Float64)));
        Assert.Contains("fake_logits", e5.Message);
        Assert.Throws<ArgumentException>(() => F.gan_minimax_loss(T.F64(Real), f, reduction: Reduction.BatchMean));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.gan_minimax_loss(T.F64(Real), f, (GanRole)7));
    }
}
