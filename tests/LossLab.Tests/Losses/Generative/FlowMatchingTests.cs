using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Generative;

public class FlowMatchingTests
{
    private static readonly double[] X0 = { 0.5, -1.0, 2.0, 0.3, 0.0, -0.7 };
    private static readonly double[] X1 = { 0.1, -0.4, 1.0, 1.3, -0.5, 0.2 };
    private static readonly double[] V = { 0.2, 0.2, -0.3, 1.1, 0.4, -0.9 };

    private static double[] Reference(double sigmaMin) =>
        GenerativeRef.Rows(V.Select((v, k) => Math.Pow(v - (X1[k] - (1 - sigmaMin) * X0[k]), 2)).ToArray(), 3).Select(r => r.Average()).ToArray();

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void RegressesTheVelocityOfTheStraightPath(double sigmaMin)
    {
        var want = Reference(sigmaMin);
        var args = (T.F64(V, 2, 3), T.F64(X0, 2, 3), T.F64(X1, 2, 3));
        T.Close(want, F.flow_matching_loss(args.Item1, args.Item2, args.Item3, sigmaMin, reduction: Reduction.None), 1e-13);
        T.Close(want.Average(), F.flow_matching_loss(args.Item1, args.Item2, args.Item3, sigmaMin), 1e-13);
        T.Close(want[0] * 0.5 + want[1] * 2, F.flow_matching_loss(args.Item1, args.Item2, args.Item3, sigmaMin, T.F64(new[] { 0.5, 2.0 }), Reduction.Sum), 1e-13);
        T.Close(V.Select((v, k) => 2 * (v - (X1[k] - (1 - sigmaMin) * X0[k])) / 3 / 2).ToArray(), T.Grad(x => F.flow_matching_loss(x, args.Item2, args.Item3, sigmaMin), args.Item1), 1e-13);
    }

    [Fact]
    public void ThePathRunsFromX0ToX1AndItsVelocityIsTheTarget()
    {
        var x0 = T.F64(X0, 2, 3);
        var x1 = T.F64(X1, 2, 3);
        T.Close(X0, Diffusion.FlowInterpolate(x0, x1, T.F64(new[] { 0.0, 0.0 })));
        T.Close(X1, Diffusion.FlowInterpolate(x0, x1, T.F64(new[] { 1.0, 1.0 })));
        // sigma_min > 0: x_1 = x1 + sigma_min x0, and d x_t / dt by central differences equals FlowVelocity.
        const double s = 0.1, h = 1e-5;
        T.Close(X1.Select((v, k) => v + s * X0[k]).ToArray(), Diffusion.FlowInterpolate(x0, x1, T.F64(new[] { 1.0, 1.0 }), s), 1e-14);
        var plus = T.Values(Diffusion.FlowInterpolate(x0, x1, T.F64(new[] { 0.3 + h, 0.7 + h }), s));
        var minus = T.Values(Diffusion.FlowInterpolate(x0, x1, T.F64(new[] { 0.3 - h, 0.7 - h }), s));
        T.Close(plus.Zip(minus, (a, b) => (a - b) / (2 * h)).ToArray(), Diffusion.FlowVelocity(x0, x1, s), 1e-8, 1e-9);
        // A perfect velocity prediction gives zero loss.
        T.Close(0.0, F.flow_matching_loss(Diffusion.FlowVelocity(x0, x1, s), x0, x1, s), 0, 1e-28);
    }

    [Fact]
    public void Float32ModuleAndRegistry()
    {
        var big = T.F32(new[] { 1e4f, -1e4f, 0f, 2f }, 2, 2);
        var zeros = torch.zeros(new long[] { 2, 2 }, dtype: ScalarType.Float32);
        T.Close(new[] { 1e8, 2.0 }, F.flow_matching_loss(big, zeros, zeros, reduction: Reduction.None), 1e-6);
        T.Finite(T.Grad(x => F.flow_matching_loss(x, zeros, zeros), big));
        var args = (T.F64(V, 2, 3), T.F64(X0, 2, 3), T.F64(X1, 2, 3));
        T.Close(Reference(0.1).Average(), new FlowMatchingLoss(0.1).forward(args.Item1, args.Item2, args.Item3), 1e-13);
        T.Close(Reference(0).Average(), LossCatalog.Create("flow_matching").Forward(new Dictionary<string, Tensor> { ["input"] = args.Item1, ["x0"] = args.Item2, ["x1"] = args.Item3 }), 1e-13);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var v = T.F64(V, 2, 3);
        Assert.Contains("x1", Assert.Throws<ArgumentException>(() => F.flow_matching_loss(v, v, T.F64(X1, 3, 2))).Message);
        Assert.Contains("sigma_min", Assert.Throws<ArgumentOutOfRangeException>(() => F.flow_matching_loss(v, v, v, 1.0)).Message);
        Assert.Contains("time t", Assert.Throws<ArgumentException>(() => Diffusion.FlowInterpolate(v, v, T.F64(new[] { 0.5, 1.5 }))).Message + Assert.Throws<ArgumentException>(() => Diffusion.FlowInterpolate(v, v, T.F64(new[] { 0.5 }))).Message);
    }
}
