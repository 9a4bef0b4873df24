using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Generative;

public class NoiseScheduleTests
{
    [Fact]
    public void LinearScheduleIsHoEtAlsAndItsCumulativeProductIsTheProduct()
    {
        var betas = NoiseSchedule.LinearBetas(1000);
        var b = T.Values(betas);
        Assert.Equal(1000, b.Length);
        Assert.Equal(1e-4, b[0], 15);
        Assert.Equal(0.02, b[999], 15);
        Assert.Equal(1e-4 + (0.02 - 1e-4) * 500 / 999, b[500], 15);
        var ab = T.Values(NoiseSchedule.AlphasCumprod(betas));
        double prod = 1;
        for (int i = 0; i < 1000; i++)
        {
            prod *= 1 - b[i];
            Assert.True(Math.Abs(ab[i] - prod) <= 1e-13 * prod + 1e-300, $"alpha_bar[{i}]");
        }
        // DDPM's schedule leaves almost no signal at T: alpha_bar_T ~ 4e-5.
        Assert.InRange(ab[999], 3e-5, 5e-5);
    }

    [Fact]
    public void CosineScheduleFollowsTheSquaredCosineUntilTheClip()
    {
        const int T0 = 100;
        const double s = 0.008;
        double Fn(double t) => Math.Pow(Math.Cos((t / T0 + s) / (1 + s) * Math.PI / 2), 2);
        var b = T.Values(NoiseSchedule.CosineBetas(T0));
        var ab = T.Values(NoiseSchedule.AlphasCumprod(NoiseSchedule.CosineBetas(T0)));
        for (int i = 0; i < T0 - 1; i++)
        {
            Assert.True(b[i] < 0.999);
            Assert.True(Math.Abs(ab[i] - Fn(i + 1) / Fn(0)) < 1e-12, $"alpha_bar[{i}] = {ab[i]}, want {Fn(i + 1) / Fn(0)}");
        }
        Assert.Equal(0.999, b[T0 - 1], 15);   // f(T) = cos^2(pi/2) = 0 would make beta 1: clipped
        Assert.True(b.Zip(b.Skip(1), (x, y) => y >= x).All(v => v), "cosine betas increase");
    }

    [Fact]
    public void GeometricSigmasHaveAConstantRatio()
    {
        var s = T.Values(NoiseSchedule.GeometricSigmas(50, 0.01, 5));
        Assert.Equal(50, s[0], 12);
        Assert.Equal(0.01, s[4], 14);
        double r = Math.Pow(0.01 / 50, 0.25);
        for (int i = 1; i < 5; i++) Assert.Equal(r, s[i] / s[i - 1], 12);
    }

    [Fact]
    public void QSampleIsVariancePreserving()
    {
        // x0 and eps independent with unit variance: x_t = sqrt(abar) x0 + sqrt(1 - abar) eps has variance 1 at every t,
        // and with x0 held fixed its variance over eps is 1 - abar with mean sqrt(abar) x0.
        const int n = 20000;
        var g = new Generator(7);
        var x0 = torch.randn(new long[] { n, 1 }, dtype: ScalarType.Float64, generator: g);
        var eps = torch.randn(new long[] { n, 1 }, dtype: ScalarType.Float64, generator: g);
        foreach (double a in new[] { 0.999, 0.7, 0.2, 0.001 })
        {
            var xt = T.Values(Diffusion.QSample(x0, eps, torch.full(n, a, dtype: ScalarType.Float64)));
            double mean = xt.Average(), var = xt.Sum(v => (v - mean) * (v - mean)) / (n - 1);
            Assert.True(Math.Abs(var - 1) < 0.05, $"abar {a}: variance {var}");
            var fixedX0 = torch.full(new long[] { n, 1 }, 1.5, dtype: ScalarType.Float64);
            var xf = T.Values(Diffusion.QSample(fixedX0, eps, torch.full(n, a, dtype: ScalarType.Float64)));
            double mf = xf.Average(), vf = xf.Sum(v => (v - mf) * (v - mf)) / (n - 1);
            Assert.True(Math.Abs(mf - Math.Sqrt(a) * 1.5) < 4 * Math.Sqrt((1 - a) / n) + 1e-12, $"abar {a}: mean {mf}");
            Assert.True(Math.Abs(vf - (1 - a)) < 0.05 * (1 - a) + 1e-12, $"abar {a}: conditional variance {vf}");
        }
    }

    [Fact]
    public void HelpersCheckTheirArguments()
    {
        Assert.Contains("timesteps", Assert.Throws<ArgumentOutOfRangeException>(() => NoiseSchedule.LinearBetas(0)).Message);
        Assert.Contains("beta_end", Assert.Throws<ArgumentOutOfRangeException>(() => NoiseSchedule.LinearBetas(10, 0.1, 0.05)).Message);
        Assert.Contains("max_beta", Assert.Throws<ArgumentOutOfRangeException>(() => NoiseSchedule.CosineBetas(10, max_beta: 1)).Message);
        Assert.Contains("betas", Assert.Throws<ArgumentException>(() => NoiseSchedule.AlphasCumprod(T.F64(new[] { 0.5, 1.5 }))).Message);
        Assert.Contains("timesteps", Assert.Throws<ArgumentException>(() => Diffusion.AlphaBarAt(T.F64(new[] { 0.9, 0.5 }), T.I64(0, 2))).Message);
        var x = T.F64(new[] { 1.0, 2.0 }, 2, 1);
        Assert.Contains("alpha_bar", Assert.Throws<ArgumentException>(() => Diffusion.QSample(x, x, T.F64(new[] { 0.5, 1.2 }))).Message);
        Assert.Contains("alpha_bar", Assert.Throws<ArgumentException>(() => Diffusion.QSample(x, x, T.F64(new[] { 0.5 }))).Message);
        Assert.Contains("sigma_max", Assert.Throws<ArgumentOutOfRangeException>(() => NoiseSchedule.GeometricSigmas(1, 2, 3)).Message);
    }
}
