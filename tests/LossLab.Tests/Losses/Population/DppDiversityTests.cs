using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Population;

public class DppDiversityTests
{
    [Fact]
    public void TwoMembersGiveTheHandComputedLogDeterminant()
    {
        // b0 = (0, 0), b1 = (1, 1): squared distance 2, lengthscale 1.5 -> k = exp(-2 / (2 * 2.25))
        double k = Math.Exp(-2 / 4.5), j = 1e-3;
        double want = Math.Log((1 + j) * (1 + j) - k * k);
        var x = T.F64(new[] { 0.0, 0, 1, 1 }, 2, 2);
        T.Close(want, LossLab.Losses.dpp_diversity(x, DppKernel.Rbf, 1.5, j));
        // a precomputed 2x2 kernel [[2, 0.5], [0.5, 1]]: log(2 - 0.25) with no jitter
        T.Close(Math.Log(1.75), LossLab.Losses.dpp_diversity(T.F64(new[] { 2.0, 0.5, 0.5, 1 }, 2, 2), DppKernel.Precomputed, jitter: 0));
        // a non-symmetric one is symmetrised: [[2, 0.2], [0.8, 1]] -> off-diagonal 0.5
        T.Close(Math.Log(1.75), LossLab.Losses.dpp_diversity(T.F64(new[] { 2.0, 0.2, 0.8, 1 }, 2, 2), DppKernel.Precomputed, jitter: 0));
        // cosine: orthogonal members give the identity (log det 0), at 60 degrees log(1 - 1/4)
        T.Close(0.0, LossLab.Losses.dpp_diversity(T.F64(new[] { 2.0, 0, 0, 3 }, 2, 2), DppKernel.Cosine, jitter: 0), 0, 1e-14);
        T.Close(Math.Log(0.75), LossLab.Losses.dpp_diversity(T.F64(new[] { 1.0, 0, 0.5, Math.Sqrt(3) / 2 }, 2, 2), DppKernel.Cosine, jitter: 0));
    }

    [Fact]
    public void GradientOfTheTwoByTwoIsTheClosedForm()
    {
        // f = log((1+j)^2 - k^2), k = exp(-d^2/(2 l^2)); df/db1 = -2k dk/db1 / det, dk/db1 = -k (b1 - b0) / l^2
        double l = 1.5, j = 1e-3, k = Math.Exp(-2 / (2 * l * l)), det = (1 + j) * (1 + j) - k * k;
        double dkdb1 = -k * 1 / (l * l);
        double dfdb1 = -2 * k * dkdb1 / det;
        var g = T.Grad(x => LossLab.Losses.dpp_diversity(x, DppKernel.Rbf, l, j), T.F64(new[] { 0.0, 0, 1, 1 }, 2, 2));
        T.Close(new[] { -dfdb1, -dfdb1, dfdb1, dfdb1 }, g, 1e-8, 1e-12);
    }

    [Fact]
    public void BatchesDuplicatesAndExtremes()
    {
        var a = T.F64(new[] { 0.0, 0, 1, 1 }, 2, 2);
        var b = T.F64(new[] { 0.0, 0, 3, 0 }, 2, 2);
        var both = LossLab.Losses.dpp_diversity(torch.stack(new[] { a, b }), reduction: Reduction.None);
        T.Close(new[] { T.Scalar(LossLab.Losses.dpp_diversity(a)), T.Scalar(LossLab.Losses.dpp_diversity(b)) }, both);
        // duplicate members: the jitter keeps it finite, and far smaller than for distinct members
        var dup = T.F64(new[] { 1.0, 2, 1, 2, 0, 0 }, 3, 2);
        var v = LossLab.Losses.dpp_diversity(dup, jitter: 1e-4);
        T.Finite(v, "value");
        T.Finite(T.Grad(x => LossLab.Losses.dpp_diversity(x, jitter: 1e-4), dup), "gradient");
        Assert.True(T.Scalar(v) < T.Scalar(LossLab.Losses.dpp_diversity(T.F64(new[] { 1.0, 2, 3, 2, 0, 0 }, 3, 2), jitter: 1e-4)));
        var big = T.F32(new float[] { 1e4f, -1e4f, -1e4f, 1e4f, 0f, 0f }, 3, 2);
        T.Finite(LossLab.Losses.dpp_diversity(big), "value");
        T.Finite(T.Grad(x => LossLab.Losses.dpp_diversity(x), big), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => LossLab.Losses.dpp_diversity(T.F64(new[] { 1.0, 2, 2, 1 }, 2, 2), DppKernel.Precomputed, jitter: 0));
        Assert.Contains("positive definite", e.Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => LossLab.Losses.dpp_diversity(T.F64(new double[6], 2, 3), DppKernel.Precomputed)).Message);
        Assert.Contains("lengthscale", Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.dpp_diversity(T.F64(new double[6], 3, 2), lengthscale: 0)).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => LossLab.Losses.dpp_diversity(T.F64(new double[6]))).Message);
        T.Close(Math.Log(1.75), new LossLab.DppDiversityLoss(DppKernel.Precomputed, jitter: 0).forward(T.F64(new[] { 2.0, 0.5, 0.5, 1 }, 2, 2)));
    }
}
