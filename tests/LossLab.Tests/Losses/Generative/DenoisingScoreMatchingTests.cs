using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Generative;

public class DenoisingScoreMatchingTests
{
    private static readonly double[] Clean = { 0.5, -1.0, 2.0, 0.3, 0.0, -0.7 };
    private static readonly double[] Eps = { 0.1, -0.4, 1.0, 1.3, -0.5, 0.2 };
    private static readonly double[] Score = { 0.2, 0.2, -0.3, 1.1, 0.4, -0.9 };
    private static readonly double[] Sigma = { 0.5, 2.0 };

    private static double[] Perturbed() => Clean.Select((x, k) => x + Sigma[k / 3] * Eps[k]).ToArray();

    private static double[] Reference(double power)
    {
        var xt = Perturbed();
        return Enumerable.Range(0, 2).Select(i =>
        {
            double s2 = Sigma[i] * Sigma[i], sum = 0;
            for (int j = 0; j < 3; j++)
            {
                int k = 3 * i + j;
                double r = Score[k] + (xt[k] - Clean[k]) / s2;
                sum += r * r;
            }
            return 0.5 * Math.Pow(Sigma[i], power) * sum;
        }).ToArray();
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void IsHalfSigmaToThePTimesTheSquaredScoreError(double power)
    {
        var want = Reference(power);
        var args = (T.F64(Score, 2, 3), T.F64(Perturbed(), 2, 3), T.F64(Clean, 2, 3), T.F64(Sigma));
        T.Close(want, F.denoising_score_matching_loss(args.Item1, args.Item2, args.Item3, args.Item4, power, Reduction.None), 1e-12);
        T.Close(want.Average(), F.denoising_score_matching_loss(args.Item1, args.Item2, args.Item3, args.Item4, power), 1e-12);
        T.Close(want.Sum(), F.denoising_score_matching_loss(args.Item1, args.Item2, args.Item3, args.Item4, power, Reduction.Sum), 1e-12);
    }

    [Fact]
    public void WithSigmaSquaredWeightingItIsHalfTheSquaredErrorOfSigmaTimesTheScorePlusTheNoise()
    {
        // x~ = x + sigma eps: sigma^2 ||s + eps / sigma||^2 = ||sigma s + eps||^2.
        var want = Enumerable.Range(0, 2).Select(i => 0.5 * Enumerable.Range(0, 3).Sum(j => Math.Pow(Sigma[i] * Score[3 * i + j] + Eps[3 * i + j], 2))).ToArray();
        T.Close(want, F.denoising_score_matching_loss(T.F64(Score, 2, 3), T.F64(Perturbed(), 2, 3), T.F64(Clean, 2, 3), T.F64(Sigma), reduction: Reduction.None), 1e-12);
        // The kernel's own score -(x~ - x) / sigma^2 gives zero loss.
        var kernelScore = Perturbed().Select((v, k) => -(v - Clean[k]) / (Sigma[k / 3] * Sigma[k / 3])).ToArray();
        T.Close(0.0, F.denoising_score_matching_loss(T.F64(kernelScore, 2, 3), T.F64(Perturbed(), 2, 3), T.F64(Clean, 2, 3), T.F64(Sigma)), 0, 1e-24);
    }

    [Fact]
    public void GradientAndScalarSigma()
    {
        var xt = Perturbed();
        var grad = Score.Select((s, k) => Math.Pow(Sigma[k / 3], 2) * (s + (xt[k] - Clean[k]) / Math.Pow(Sigma[k / 3], 2)) / 2).ToArray();
        T.Close(grad, T.Grad(x => F.denoising_score_matching_loss(x, T.F64(xt, 2, 3), T.F64(Clean, 2, 3), T.F64(Sigma)), T.F64(Score, 2, 3)), 1e-12);
        var one = F.denoising_score_matching_loss(T.F64(Score, 2, 3), T.F64(xt, 2, 3), T.F64(Clean, 2, 3), torch.tensor(0.5, dtype: ScalarType.Float64), reduction: Reduction.None);
        var two = F.denoising_score_matching_loss(T.F64(Score, 2, 3), T.F64(xt, 2, 3), T.F64(Clean, 2, 3), T.F64(new[] { 0.5, 0.5 }), reduction: Reduction.None);
        T.Close(T.Values(two), one, 0, 0);
    }

    [Fact]
    public void Float32ModuleAndRegistry()
    {
        var s = T.F32(new[] { 1e4f, -1e4f, 0f, 1f }, 2, 2);
        var x = torch.zeros(new long[] { 2, 2 }, dtype: ScalarType.Float32);
        T.Finite(F.denoising_score_matching_loss(s, x + 1e-3f, x, T.F32(new[] { 1e-2f, 10f }, 2)));
        T.Finite(T.Grad(v => F.denoising_score_matching_loss(v, x + 1e-3f, x, T.F32(new[] { 1e-2f, 10f }, 2)), s));
        var args = (T.F64(Score, 2, 3), T.F64(Perturbed(), 2, 3), T.F64(Clean, 2, 3), T.F64(Sigma));
        T.Close(Reference(1).Average(), new DenoisingScoreMatchingLoss(1).forward(args.Item1, args.Item2, args.Item3, args.Item4), 1e-12);
        T.Close(Reference(2).Sum(), LossCatalog.Create("denoising_score_matching:reduction=sum").Forward(new Dictionary<string, Tensor> { ["input"] = args.Item1, ["perturbed"] = args.Item2, ["clean"] = args.Item3, ["sigma"] = args.Item4 }), 1e-12);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var s = T.F64(Score, 2, 3);
        Assert.Contains("sigma", Assert.Throws<ArgumentException>(() => F.denoising_score_matching_loss(s, s, s, T.F64(new[] { 0.5, 0.0 }))).Message);
        Assert.Contains("sigma", Assert.Throws<ArgumentException>(() => F.denoising_score_matching_loss(s, s, s, T.F64(new[] { 0.5, 1, 2 }))).Message);
        Assert.Contains("clean", Assert.Throws<ArgumentException>(() => F.denoising_score_matching_loss(s, s, T.F64(Clean), T.F64(Sigma))).Message);
        Assert.Contains("anneal_power", Assert.Throws<ArgumentOutOfRangeException>(() => F.denoising_score_matching_loss(s, s, s, T.F64(Sigma), -1)).Message);
    }
}
