using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Generative;

public class DdpmTests
{
    private static readonly double[] Pred = { 0.5, -1.0, 2.0, 0.3, 0.0, -0.7 };
    private static readonly double[] Noise = { 0.1, -0.4, 1.0, 1.3, -0.5, 0.2 };

    private static double[] PerSample(int n) =>
        GenerativeRef.Rows(Pred.Zip(Noise, (a, b) => (a - b) * (a - b)).ToArray(), Pred.Length / n).Select(r => r.Average()).ToArray();

    [Fact]
    public void PerSampleMeanOfSquaredNoiseErrorsForEachReduction()
    {
        var ps = PerSample(2);
        var x = T.F64(Pred, 2, 3);
        var y = T.F64(Noise, 2, 3);
        T.Close(ps, F.ddpm_loss(x, y, reduction: Reduction.None));
        T.Close(ps.Average(), F.ddpm_loss(x, y));
        T.Close(ps.Sum(), F.ddpm_loss(x, y, reduction: Reduction.Sum));
        // (N, C, H, W)-like: still one value per sample.
        T.Close(PerSample(3), F.ddpm_loss(T.F64(Pred, 3, 1, 2, 1), T.F64(Noise, 3, 1, 2, 1), reduction: Reduction.None));
        // (N): every element is a sample.
        T.Close(PerSample(6), F.ddpm_loss(T.F64(Pred), T.F64(Noise), reduction: Reduction.None));
    }

    [Fact]
    public void PerSampleWeightsMultiplyEachSample()
    {
        var ps = PerSample(3);
        double[] w = { 2.0, 0.5, 0.0 };
        T.Close(ps.Zip(w, (a, b) => a * b).Average(), F.ddpm_loss(T.F64(Pred, 3, 2), T.F64(Noise, 3, 2), T.F64(w)));
        // Gradient: 2 w_i (pred - noise) / (elements per sample) / N.
        var grad = Pred.Select((p, k) => 2 * w[k / 2] * (p - Noise[k]) / 2 / 3).ToArray();
        T.Close(grad, T.Grad(x => F.ddpm_loss(x, T.F64(Noise, 3, 2), T.F64(w)), T.F64(Pred, 3, 2)));
    }

    [Fact]
    public void TheTrainingStepRecoversTheNoiseExactlyWhenThePredictionIsPerfect()
    {
        var alphaBar = NoiseSchedule.AlphasCumprod(NoiseSchedule.LinearBetas(50));
        var t = T.I64(0, 17, 49);
        var x0 = torch.randn(new long[] { 3, 4 }, dtype: ScalarType.Float64, generator: new Generator(2));
        var eps = torch.randn(new long[] { 3, 4 }, dtype: ScalarType.Float64, generator: new Generator(3));
        var ab = Diffusion.AlphaBarAt(alphaBar, t);
        var xt = Diffusion.QSample(x0, eps, ab);
        // eps = (x_t - sqrt(abar) x0) / sqrt(1 - abar), elementwise, in plain doubles.
        var a = T.Values(ab);
        var xv = T.Values(x0);
        var xtv = T.Values(xt);
        var recovered = xtv.Select((v, k) => (v - Math.Sqrt(a[k / 4]) * xv[k]) / Math.Sqrt(1 - a[k / 4])).ToArray();
        T.Close(0.0, F.ddpm_loss(T.F64(recovered, 3, 4), eps), 0, 1e-24);
    }

    [Fact]
    public void Float32LargeValuesStayFiniteAndModuleAndRegistryMatch()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, 1f }, 2, 2);
        var y = T.F32(new[] { -1e4f, 1e4f, 0f, 0f }, 2, 2);
        T.Close(new[] { 4e8, 0.5 }, F.ddpm_loss(x, y, reduction: Reduction.None), 1e-6);
        T.Finite(T.Grad(v => F.ddpm_loss(v, y), x));
        T.Close(T.Scalar(F.ddpm_loss(T.F64(Pred, 2, 3), T.F64(Noise, 2, 3))), new DdpmLoss().forward(T.F64(Pred, 2, 3), T.F64(Noise, 2, 3)));
        T.Close(PerSample(2).Sum(), LossCatalog.Create("ddpm:reduction=sum").forward(T.F64(Pred, 2, 3), T.F64(Noise, 2, 3)));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => F.ddpm_loss(T.F64(Pred, 2, 3), T.F64(Noise, 3, 2)));
        Assert.Contains("target", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.ddpm_loss(T.F64(Pred, 2, 3), T.F64(Noise, 2, 3), T.F64(new[] { 1.0, 1.0, 1.0 })));
        Assert.Contains("weight", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.ddpm_loss(torch.zeros(new long[] { 0, 3 }, dtype: ScalarType.Float64), torch.zeros(new long[] { 0, 3 }, dtype: ScalarType.Float64)));
        Assert.Contains("input", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => F.ddpm_loss(T.F64(Pred, 2, 3), T.F64(Noise, 2, 3), T.I64(1, 1)));
        Assert.Contains("weight", e4.Message);
    }
}
