using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Probabilistic;

public class VaeElboTests
{
    // (2, 3) latents
    private static readonly double[] Mu = { 0.5, -1.0, 2.0, 0.0, 0.3, -0.7 };
    private static readonly double[] LogVar = { 0.0, -1.5, 0.8, 0.2, -0.3, 1.1 };
    // (2, 4) data and reconstructions
    private static readonly double[] X = { 0.2, -0.4, 1.0, 0.0, 1.5, -2.0, 0.3, 0.7 };
    private static readonly double[] Xhat = { 0.0, -0.5, 1.5, 0.5, 1.0, -1.0, 0.0, 0.1 };

    /// <summary>KL(N(mu, exp(logvar)) || N(0, 1)) of one latent dimension, written from the Gaussian densities:
    /// E_q[log q - log p] = -0.5 log(2 pi e sigma^2) + 0.5 log(2 pi) + 0.5 (mu^2 + sigma^2).</summary>
    private static double AnalyticKl(double mu, double logvar)
    {
        double s2 = Math.Exp(logvar);
        return -0.5 * (Math.Log(2 * Math.PI * s2) + 1) + 0.5 * Math.Log(2 * Math.PI) + 0.5 * (mu * mu + s2);
    }

    private static double Kl(int sample) => Enumerable.Range(0, 3).Sum(j => AnalyticKl(Mu[sample * 3 + j], LogVar[sample * 3 + j]));

    private static double Sse(int sample) => Enumerable.Range(0, 4).Sum(j => Math.Pow(Xhat[sample * 4 + j] - X[sample * 4 + j], 2));

    private static double BceLogits(double x, double t) => Math.Max(x, 0) - x * t + Math.Log(1 + Math.Exp(-Math.Abs(x)));

    private static Tensor Call(double[] xhat, double[] x, VaeReconstruction rec = VaeReconstruction.Gaussian, double beta = 1, double freeBits = 0, Reduction red = Reduction.Mean) =>
        F.vae_elbo_loss(T.F64(xhat, 2, 4), T.F64(x, 2, 4), T.F64(Mu, 2, 3), T.F64(LogVar, 2, 3), rec, beta, freeBits, red);

    [Fact]
    public void ClosedFormKlMatchesTheAnalyticFormula()
    {
        // input == target makes the Gaussian reconstruction term 0, so the loss is the KL alone
        T.Close(new[] { Kl(0), Kl(1) }, Call(X, X, red: Reduction.None), rtol: 1e-12);
    }

    [Fact]
    public void ClosedFormKlMatchesAMonteCarloEstimate()
    {
        // KL = E_{z ~ q}[log q(z) - log p(z)], z = mu + sigma * e, sampled with a fixed seed (Box-Muller).
        var rng = new Random(12345);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        const int m = 200_000;
        double sum = 0, sumSq = 0;
        for (int s = 0; s < m; s++)
        {
            double v = 0;
            for (int j = 0; j < 3; j++)
            {
                double e = Normal(), z = Mu[j] + Math.Exp(0.5 * LogVar[j]) * e;
                v += -0.5 * LogVar[j] - 0.5 * e * e + 0.5 * z * z;   // log q(z_j) - log p(z_j); the 2 pi terms cancel
            }
            sum += v;
            sumSq += v * v;
        }
        double mean = sum / m, se = Math.Sqrt((sumSq / m - mean * mean) / m);
        double closed = T.Values(Call(X, X, red: Reduction.None))[0];
        Assert.True(Math.Abs(mean - closed) < 4 * se, $"Monte Carlo {mean} +- {se}, closed form {closed}");
        Assert.True(Math.Abs(mean - closed) < 0.01 * closed);
    }

    [Fact]
    public void GaussianReconstructionIsTheSummedSquaredErrorAndBetaWeightsTheKl()
    {
        var each = new[] { Sse(0) + 2.5 * Kl(0), Sse(1) + 2.5 * Kl(1) };
        T.Close(each, Call(Xhat, X, beta: 2.5, red: Reduction.None));
        T.Close(each.Average(), Call(Xhat, X, beta: 2.5));
        T.Close(each.Sum(), Call(Xhat, X, beta: 2.5, red: Reduction.Sum));
        T.Close(new[] { Sse(0), Sse(1) }, Call(Xhat, X, beta: 0, red: Reduction.None));
    }

    [Fact]
    public void BernoulliReconstructionIsTheSummedBceWithLogits()
    {
        var target = X.Select(v => 1 / (1 + Math.Exp(-v))).ToArray();   // in (0, 1)
        var each = Enumerable.Range(0, 2).Select(i => Enumerable.Range(0, 4).Sum(j => BceLogits(Xhat[i * 4 + j], target[i * 4 + j])) + Kl(i)).ToArray();
        T.Close(each, Call(Xhat, target, VaeReconstruction.Bernoulli, red: Reduction.None));
    }

    [Fact]
    public void FreeBitsFloorTheBatchAveragedKlPerDimension()
    {
        const double lambda = 0.4;
        var perDim = new double[3];
        for (int j = 0; j < 3; j++) perDim[j] = 0.5 * (AnalyticKl(Mu[j], LogVar[j]) + AnalyticKl(Mu[3 + j], LogVar[3 + j]));
        // dimension averages: about 0.07 (floored), 0.46 and 1.45 with this data
        Assert.True(perDim[0] < lambda && perDim[1] > lambda && perDim[2] > lambda);
        double klTerm = perDim.Sum(k => Math.Max(lambda, k));
        T.Close((Sse(0) + Sse(1)) / 2 + klTerm, Call(Xhat, X, freeBits: lambda));
        // per sample: the floor lambda in floored dimensions, the sample's own KL elsewhere
        var each = Enumerable.Range(0, 2).Select(i => Sse(i) + lambda + AnalyticKl(Mu[i * 3 + 1], LogVar[i * 3 + 1]) + AnalyticKl(Mu[i * 3 + 2], LogVar[i * 3 + 2])).ToArray();
        T.Close(each, Call(Xhat, X, freeBits: lambda, red: Reduction.None));
        // a floored dimension gets no gradient; the others the usual mu / N
        var g = T.Grad(m => F.vae_elbo_loss(T.F64(Xhat, 2, 4), T.F64(X, 2, 4), m, T.F64(LogVar, 2, 3), free_bits: lambda), T.F64(Mu, 2, 3));
        T.Close(Enumerable.Range(0, 6).Select(k => k % 3 == 0 ? 0.0 : Mu[k] / 2).ToArray(), g);
    }

    [Fact]
    public void GradientsOfTheKlAreTheClosedForm()
    {
        var mu = T.F64(Mu, 2, 3).requires_grad_(true);
        var lv = T.F64(LogVar, 2, 3).requires_grad_(true);
        var g = torch.autograd.grad(new List<Tensor> { F.vae_elbo_loss(T.F64(X, 2, 4), T.F64(X, 2, 4), mu, lv, reduction: Reduction.Sum) }, new List<Tensor> { mu, lv });
        T.Close(Mu, g[0]);
        T.Close(LogVar.Select(v => 0.5 * (Math.Exp(v) - 1)).ToArray(), g[1]);
    }

    [Fact]
    public void Float32ExtremesStayFiniteAndModuleMatches()
    {
        var logits = T.F32(new[] { 1e4f, -1e4f, 0f, 5f, -1e4f, 1e4f }, 2, 3);
        var target = T.F32(new[] { 0f, 1f, 0.5f, 1f, 0f, 1f }, 2, 3);
        var mu = T.F32(new[] { 1e4f, -1e4f, 0f, 0f }, 2, 2);
        var lv = T.F32(new[] { -30f, 20f, 0f, -1f }, 2, 2);
        var loss = F.vae_elbo_loss(logits, target, mu, lv, VaeReconstruction.Bernoulli, beta: 4);
        T.Finite(loss, "loss");
        T.Finite(T.Grad(v => F.vae_elbo_loss(v, target, mu, lv, VaeReconstruction.Bernoulli), logits), "logit gradient");
        T.Finite(T.Grad(v => F.vae_elbo_loss(logits, target, mu, v, VaeReconstruction.Bernoulli), lv), "logvar gradient");
        T.Finite(T.Grad(v => F.vae_elbo_loss(logits, target, v, lv, VaeReconstruction.Bernoulli, free_bits: 1), mu), "mu gradient");
        var module = new VaeElboLoss(VaeReconstruction.Bernoulli, beta: 4);
        T.Close(T.Values(loss), module.forward(logits, target, mu, lv), rtol: 1e-6);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(2, 4, dtype: ScalarType.Float64);
        var mu = torch.zeros(2, 3, dtype: ScalarType.Float64);
        Assert.Contains("logvar", Assert.Throws<ArgumentException>(() => F.vae_elbo_loss(x, x, mu, torch.zeros(2, 2, dtype: ScalarType.Float64))).Message);
        Assert.Contains("mu", Assert.Throws<ArgumentException>(() => F.vae_elbo_loss(x, x, torch.zeros(3, 3, dtype: ScalarType.Float64), torch.zeros(3, 3, dtype: ScalarType.Float64))).Message);
        Assert.Contains("mu", Assert.Throws<ArgumentException>(() => F.vae_elbo_loss(x, x, torch.zeros(2, dtype: ScalarType.Float64), torch.zeros(2, dtype: ScalarType.Float64))).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.vae_elbo_loss(x, x + 2, mu, mu, VaeReconstruction.Bernoulli)).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.vae_elbo_loss(x, torch.zeros(2, 5, dtype: ScalarType.Float64), mu, mu)).Message);
        Assert.Contains("beta", Assert.Throws<ArgumentOutOfRangeException>(() => F.vae_elbo_loss(x, x, mu, mu, beta: -1)).Message);
        Assert.Contains("free_bits", Assert.Throws<ArgumentOutOfRangeException>(() => new VaeElboLoss(free_bits: double.NaN)).Message);
    }
}
