using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Generative;

public class GradientPenaltyTests
{
    private static Tensor Batch(ulong seed, params long[] shape) => torch.randn(shape, dtype: ScalarType.Float64, generator: new Generator(seed));

    [Fact]
    public void ALinearCriticsPenaltyIsLambdaTimesItsWeightNormMinusOneSquared()
    {
        // D(x) = x.w has gradient w everywhere, whatever the interpolate.
        double[] w = { 0.6, -1.2, 0.4 };
        double norm = Math.Sqrt(w.Sum(v => v * v));
        var wt = T.F64(w);
        Tensor Critic(Tensor x) => x.matmul(wt);
        using var g = new Generator(3);
        T.Close(10 * (norm - 1) * (norm - 1), F.gradient_penalty(Critic, Batch(1, 5, 3), Batch(2, 5, 3), 10.0, g), 1e-12);
        T.Close(Enumerable.Repeat(2.5 * (norm - 1) * (norm - 1), 5).ToArray(), F.gradient_penalty(Critic, Batch(1, 5, 3), Batch(2, 5, 3), 2.5, reduction: Reduction.None), 1e-12);
        T.Close(5 * 2.5 * (norm - 1) * (norm - 1), F.gradient_penalty(Critic, Batch(1, 5, 3), Batch(2, 5, 3), 2.5, reduction: Reduction.Sum), 1e-12);
        // Its gradient with respect to the critic's weight: 2 lambda (||w|| - 1) w / ||w||, through the double backward.
        T.Close(w.Select(v => 2 * 10 * (norm - 1) * v / norm).ToArray(), T.Grad(wl => F.gradient_penalty(x => x.matmul(wl), Batch(1, 4, 3), Batch(2, 4, 3)), wt), 1e-12);
    }

    [Fact]
    public void AQuadraticCriticIsPenalisedAtTheInterpolates()
    {
        // D(x) = theta/2 ||x||^2 has gradient theta x^, so each sample's penalty is lambda (theta ||x^_i|| - 1)^2, with
        // x^_i = e_i real_i + (1 - e_i) fake_i and e drawn first from the generator, one per sample, uniform in [0, 1).
        var real = Batch(5, 4, 2, 3);
        var fake = Batch(6, 4, 2, 3) * 2;
        const double theta = 0.7, lambda = 3.0;
        var e = T.Values(torch.rand(new long[] { 4, 1, 1 }, dtype: ScalarType.Float64, generator: new Generator(11)));
        var r = GenerativeRef.Rows(T.Values(real), 6);
        var f = GenerativeRef.Rows(T.Values(fake), 6);
        var want = new double[4];
        var dTheta = 0.0;
        for (int i = 0; i < 4; i++)
        {
            double n2 = 0;
            for (int j = 0; j < 6; j++) { double x = e[i] * r[i][j] + (1 - e[i]) * f[i][j]; n2 += x * x; }
            double norm = Math.Sqrt(n2);
            want[i] = lambda * (theta * norm - 1) * (theta * norm - 1);
            dTheta += 2 * lambda * (theta * norm - 1) * norm / 4;
        }
        T.Close(want, F.gradient_penalty(x => x.square().sum(new long[] { 1, 2 }) * (theta / 2), real, fake, lambda, new Generator(11), reduction: Reduction.None), 1e-12);
        var th = T.F64(new[] { theta });
        T.Close(new[] { dTheta }, T.Grad(t => F.gradient_penalty(x => x.square().sum(new long[] { 1, 2 }) * (t / 2), real, fake, lambda, new Generator(11)), th), 1e-10);
    }

    [Fact]
    public void OneSidedAndZeroCentredVariants()
    {
        var small = T.F64(new[] { 0.3, 0.4 });        // norm 0.5
        var big = T.F64(new[] { 1.2, 1.6 });          // norm 2
        var x = Batch(1, 3, 2);
        T.Close(0.0, F.gradient_penalty(v => v.matmul(small), x, x, one_sided: true));
        T.Close(10 * 1.0, F.gradient_penalty(v => v.matmul(big), x, x, one_sided: true));
        T.Close(10 * 0.25, F.gradient_penalty(v => v.matmul(small), x, x));
        T.Close(0.25, F.gradient_penalty(v => v.matmul(small), x, x, lambda_gp: 1, center: 0));
    }

    [Fact]
    public void NoGradientReachesTheSamplesAndItWorksUnderNoGrad()
    {
        var w = T.F64(new[] { 0.5, 0.5 });
        var real = Batch(1, 3, 2).requires_grad_(true);
        var fake = Batch(2, 3, 2).requires_grad_(true);
        var p = F.gradient_penalty(v => torch.tanh(v).matmul(w), real, fake);
        // The interpolates are held: the penalty's graph (through the double backward) never reaches real or fake.
        var grads = torch.autograd.grad(new List<Tensor> { p }, new List<Tensor> { real, fake }, allow_unused: true);
        Assert.All(grads, g => Assert.True(g is null || g.IsInvalid));
        using (torch.no_grad())
        {
            var q = F.gradient_penalty(v => torch.tanh(v).matmul(w), real.detach(), fake.detach(), generator: new Generator(4));
            T.Finite(q);
            Assert.True(T.Scalar(q) > 0);
        }
    }

    [Fact]
    public void Float32LargeScoresStayFinite()
    {
        var w = T.F32(new[] { 1e4f, -1e4f }, 2);
        var x = T.F32(new[] { 1e4f, -1e4f, 3f, 0f }, 2, 2);
        var p = F.gradient_penalty(v => v.matmul(w), x, x * 0.5f);
        T.Close(10 * Math.Pow(Math.Sqrt(2e8) - 1, 2), p, 1e-5);
        T.Finite(T.Grad(wl => F.gradient_penalty(v => v.matmul(wl), x, x * 0.5f), w));
    }

    [Fact]
    public void RegistryEntryAndModuleAgreeWithTheClosedForm()
    {
        double[] w = { 0.6, -1.2, 0.4, 0.1 };
        double norm = Math.Sqrt(w.Sum(v => v * v));
        var spec = LossCatalog.Create("gradient_penalty:lambda_gp=2");
        var inputs = new Dictionary<string, Tensor> { ["real"] = Batch(1, 3, 2, 2), ["fake"] = Batch(2, 3, 2, 2), ["weight"] = T.F64(w) };
        T.Close(2 * (norm - 1) * (norm - 1), spec.Forward(inputs), 1e-12);
        var module = new GradientPenaltyLoss(v => v.reshape(3, -1).matmul(T.F64(w)), lambda_gp: 2);
        T.Close(2 * (norm - 1) * (norm - 1), module.forward(Batch(1, 3, 2, 2), Batch(2, 3, 2, 2)), 1e-12);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var w = T.F64(new[] { 0.5, 0.5 });
        Tensor Critic(Tensor v) => v.matmul(w);
        var e1 = Assert.Throws<ArgumentException>(() => F.gradient_penalty(Critic, Batch(1, 3, 2), Batch(2, 4, 2)));
        Assert.Contains("fake", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.gradient_penalty(v => v, Batch(1, 3, 2), Batch(2, 3, 2)));
        Assert.Contains("critic", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.gradient_penalty(v => torch.ones(3, dtype: ScalarType.Float64), Batch(1, 3, 2), Batch(2, 3, 2)));
        Assert.Contains("depend", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => F.gradient_penalty(Critic, Batch(1, 3, 2), Batch(2, 3, 2), lambda_gp: -1));
        Assert.Contains("lambda_gp", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => F.gradient_penalty(Critic, torch.zeros(new long[] { 3, 2 }, dtype: ScalarType.Int64), Batch(2, 3, 2)));
        Assert.Contains("real", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => LossCatalog.GetLoss("gradient_penalty").Compute(new Dictionary<string, Tensor> { ["real"] = Batch(1, 3, 2), ["fake"] = Batch(2, 3, 2), ["weight"] = T.F64(new[] { 1.0, 2.0, 3.0 }) }));
        Assert.Contains("weight", e6.Message);
        Assert.Throws<ArgumentNullException>(() => F.gradient_penalty(null!, Batch(1, 3, 2), Batch(2, 3, 2)));
    }
}
