using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Generative;

public class VPredictionTests
{
    private static readonly double[] X0 = { 0.5, -1.0, 2.0, 0.3, 0.0, -0.7 };
    private static readonly double[] Eps = { 0.1, -0.4, 1.0, 1.3, -0.5, 0.2 };
    private static readonly double[] Pred = { 0.2, 0.2, -0.3, 1.1, 0.4, -0.9 };
    private static readonly double[] Ab = { 0.9, 0.25 };

    private static double[] VRef(double[] x0, double[] eps, double[] ab, int per) =>
        x0.Select((x, k) => Math.Sqrt(ab[k / per]) * eps[k] - Math.Sqrt(1 - ab[k / per]) * x).ToArray();

    [Fact]
    public void RegressesVEqualsSqrtAbarEpsMinusSqrt1MinusAbarX0()
    {
        var v = VRef(X0, Eps, Ab, 3);
        var ps = GenerativeRef.Rows(Pred.Zip(v, (p, t) => (p - t) * (p - t)).ToArray(), 3).Select(r => r.Average()).ToArray();
        var args = (T.F64(Pred, 2, 3), T.F64(X0, 2, 3), T.F64(Eps, 2, 3), T.F64(Ab));
        T.Close(ps, F.v_prediction_loss(args.Item1, args.Item2, args.Item3, args.Item4, reduction: Reduction.None));
        T.Close(ps.Average(), F.v_prediction_loss(args.Item1, args.Item2, args.Item3, args.Item4));
        T.Close(ps[0] * 3 + ps[1] * 0.5, F.v_prediction_loss(args.Item1, args.Item2, args.Item3, args.Item4, T.F64(new[] { 3.0, 0.5 }), Reduction.Sum));
        T.Close(v, Diffusion.VTarget(args.Item2, args.Item3, args.Item4));
        T.Close(Pred.Select((p, k) => 2 * (p - v[k]) / 3 / 2).ToArray(), T.Grad(x => F.v_prediction_loss(x, args.Item2, args.Item3, args.Item4), args.Item1));
    }

    [Fact]
    public void AtTheEndsVIsTheNoiseOrMinusTheSample()
    {
        var x0 = T.F64(X0, 2, 3);
        var eps = T.F64(Eps, 2, 3);
        T.Close(Eps.Take(3).Concat(X0.Skip(3).Select(x => -x)).ToArray(), Diffusion.VTarget(x0, eps, T.F64(new[] { 1.0, 0.0 })));
    }

    [Fact]
    public void TheVLossIsTheX0LossWeightedBySnrPlusOne()
    {
        // x0_hat = sqrt(abar) x_t - sqrt(1 - abar) v_hat, so (v_hat - v)^2 = (x0_hat - x0)^2 / (1 - abar).
        var xt = Enumerable.Range(0, 6).Select(k => Math.Sqrt(Ab[k / 3]) * X0[k] + Math.Sqrt(1 - Ab[k / 3]) * Eps[k]).ToArray();
        var x0Hat = Enumerable.Range(0, 6).Select(k => Math.Sqrt(Ab[k / 3]) * xt[k] - Math.Sqrt(1 - Ab[k / 3]) * Pred[k]).ToArray();
        var vLoss = F.v_prediction_loss(T.F64(Pred, 2, 3), T.F64(X0, 2, 3), T.F64(Eps, 2, 3), T.F64(Ab), reduction: Reduction.None);
        var x0Loss = F.x0_prediction_loss(T.F64(x0Hat, 2, 3), T.F64(X0, 2, 3), T.F64(Ab), weighting: SnrWeighting.SnrPlusOne, reduction: Reduction.None);
        T.Close(T.Values(x0Loss), vLoss, 1e-12);
    }

    [Fact]
    public void Float32AndModuleAndRegistry()
    {
        var big = T.F32(new[] { 1e4f, -1e4f, 0f, 2f }, 2, 2);
        var zeros = torch.zeros(new long[] { 2, 2 }, dtype: ScalarType.Float32);
        T.Finite(F.v_prediction_loss(big, big, zeros, T.F32(new[] { 0.5f, 0.5f }, 2)));
        T.Finite(T.Grad(x => F.v_prediction_loss(x, big, zeros, T.F32(new[] { 0.5f, 0.5f }, 2)), big));
        var args = (T.F64(Pred, 2, 3), T.F64(X0, 2, 3), T.F64(Eps, 2, 3), T.F64(Ab));
        double want = T.Scalar(F.v_prediction_loss(args.Item1, args.Item2, args.Item3, args.Item4));
        T.Close(want, new VPredictionLoss().forward(args.Item1, args.Item2, args.Item3, args.Item4));
        T.Close(want, LossCatalog.Create("v_prediction").Forward(new Dictionary<string, Tensor> { ["input"] = args.Item1, ["x0"] = args.Item2, ["noise"] = args.Item3, ["alpha_bar"] = args.Item4 }));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var p = T.F64(Pred, 2, 3);
        Assert.Contains("alpha_bar", Assert.Throws<ArgumentException>(() => F.v_prediction_loss(p, p, p, T.F64(new[] { 0.5, 1.5 }))).Message);
        Assert.Contains("alpha_bar", Assert.Throws<ArgumentException>(() => F.v_prediction_loss(p, p, p, T.F64(new[] { 0.5 }))).Message);
        Assert.Contains("noise", Assert.Throws<ArgumentException>(() => F.v_prediction_loss(p, p, T.F64(Eps, 3, 2), T.F64(Ab))).Message);
        Assert.Contains("x0", Assert.Throws<ArgumentException>(() => F.v_prediction_loss(p, T.F64(X0), p, T.F64(Ab))).Message);
    }
}
