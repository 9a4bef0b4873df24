using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Generative;

public class X0PredictionTests
{
    private static readonly double[] X0 = { 0.5, -1.0, 2.0, 0.3, 0.0, -0.7 };
    private static readonly double[] Pred = { 0.2, 0.2, -0.3, 1.1, 0.4, -0.9 };
    private static readonly double[] Ab = { 0.9, 0.2, 0.6 };

    private static double[] Mse() => GenerativeRef.Rows(Pred.Zip(X0, (p, t) => (p - t) * (p - t)).ToArray(), 2).Select(r => r.Average()).ToArray();

    [Theory]
    [InlineData(SnrWeighting.None, 5.0)]
    [InlineData(SnrWeighting.Snr, 5.0)]
    [InlineData(SnrWeighting.SnrPlusOne, 5.0)]
    [InlineData(SnrWeighting.TruncatedSnr, 5.0)]
    [InlineData(SnrWeighting.MinSnr, 2.0)]
    public void EachWeightingMultipliesThePerSampleError(SnrWeighting weighting, double gamma)
    {
        double Lambda(double a)
        {
            double snr = a / (1 - a);
            return weighting switch
            {
                SnrWeighting.None => 1,
                SnrWeighting.Snr => snr,
                SnrWeighting.SnrPlusOne => snr + 1,
                SnrWeighting.TruncatedSnr => Math.Max(snr, 1),
                _ => Math.Min(snr, gamma),
            };
        }
        var want = Mse().Select((m, i) => m * Lambda(Ab[i])).ToArray();
        var got = F.x0_prediction_loss(T.F64(Pred, 3, 2), T.F64(X0, 3, 2), T.F64(Ab), weighting: weighting, snr_gamma: gamma, reduction: Reduction.None);
        T.Close(want, got, 1e-12);
        double[] w = { 1.0, 2.0, 0.5 };
        T.Close(want.Select((v, i) => v * w[i]).Average(), F.x0_prediction_loss(T.F64(Pred, 3, 2), T.F64(X0, 3, 2), T.F64(Ab), T.F64(w), weighting, gamma), 1e-12);
    }

    [Fact]
    public void WithSnrWeightingItIsTheEpsLossOfTheImpliedNoisePrediction()
    {
        // eps_hat = (x_t - sqrt(abar) x0_hat) / sqrt(1 - abar): ||eps - eps_hat||^2 = SNR ||x0 - x0_hat||^2.
        double[] eps = { 0.1, -0.4, 1.0, 1.3, -0.5, 0.2 };
        var xt = Enumerable.Range(0, 6).Select(k => Math.Sqrt(Ab[k / 2]) * X0[k] + Math.Sqrt(1 - Ab[k / 2]) * eps[k]).ToArray();
        var epsHat = Enumerable.Range(0, 6).Select(k => (xt[k] - Math.Sqrt(Ab[k / 2]) * Pred[k]) / Math.Sqrt(1 - Ab[k / 2])).ToArray();
        var ddpm = F.ddpm_loss(T.F64(epsHat, 3, 2), T.F64(eps, 3, 2), reduction: Reduction.None);
        var x0 = F.x0_prediction_loss(T.F64(Pred, 3, 2), T.F64(X0, 3, 2), T.F64(Ab), weighting: SnrWeighting.Snr, reduction: Reduction.None);
        T.Close(T.Values(ddpm), x0, 1e-12);
    }

    [Fact]
    public void MinSnrCapsTheInfiniteSnrOfACleanSample()
    {
        var got = F.x0_prediction_loss(T.F64(Pred, 3, 2), T.F64(X0, 3, 2), T.F64(new[] { 1.0, 0.0, 0.5 }), weighting: SnrWeighting.MinSnr, snr_gamma: 5, reduction: Reduction.None);
        var m = Mse();
        T.Close(new[] { 5 * m[0], 0, m[2] }, got, 1e-12);
        T.Finite(T.Grad(x => F.x0_prediction_loss(x, T.F64(X0, 3, 2), T.F64(new[] { 1.0, 0.0, 0.5 }), weighting: SnrWeighting.MinSnr), T.F64(Pred, 3, 2)));
    }

    [Fact]
    public void Float32ModuleAndRegistry()
    {
        var big = T.F32(new[] { 1e4f, -1e4f, 0f, 2f }, 2, 2);
        T.Close(new[] { 1e8, 2.0 }, F.x0_prediction_loss(big, torch.zeros(new long[] { 2, 2 }, dtype: ScalarType.Float32), reduction: Reduction.None), 1e-6);
        double want = T.Scalar(F.x0_prediction_loss(T.F64(Pred, 3, 2), T.F64(X0, 3, 2), T.F64(Ab), weighting: SnrWeighting.MinSnr, snr_gamma: 2));
        T.Close(want, new X0PredictionLoss(SnrWeighting.MinSnr, 2).forward(T.F64(Pred, 3, 2), T.F64(X0, 3, 2), T.F64(Ab)));
        T.Close(want, LossCatalog.Create("x0_prediction:weighting=min_snr,snr_gamma=2").Forward(new Dictionary<string, Tensor> { ["input"] = T.F64(Pred, 3, 2), ["target"] = T.F64(X0, 3, 2), ["alpha_bar"] = T.F64(Ab) }));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var p = T.F64(Pred, 3, 2);
        var x = T.F64(X0, 3, 2);
        Assert.Contains("alpha_bar", Assert.Throws<ArgumentNullException>(() => F.x0_prediction_loss(p, x, weighting: SnrWeighting.Snr)).Message);
        Assert.Contains("alpha_bar", Assert.Throws<ArgumentException>(() => F.x0_prediction_loss(p, x, T.F64(new[] { 0.5, 1.0, 0.2 }), weighting: SnrWeighting.Snr)).Message);
        Assert.Contains("snr_gamma", Assert.Throws<ArgumentOutOfRangeException>(() => F.x0_prediction_loss(p, x, T.F64(Ab), weighting: SnrWeighting.MinSnr, snr_gamma: 0)).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.x0_prediction_loss(p, T.F64(X0, 2, 3))).Message);
        Assert.Contains("weighting", Assert.Throws<ArgumentException>(() => LossCatalog.Create("x0_prediction:weighting=p2")).Message);
    }
}
