using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class SquaredHingeTests
{
    private static readonly double[] S = { 0.3, -1.5, 2.0, 0.8, -0.2, 1.0 };
    private static readonly double[] Signs = { 1, -1, -1, 1, 1, -1 };

    private static double[] Reference(double[] s, double[] t) => s.Zip(t, (a, b) => Math.Pow(Math.Max(0, 1 - a * b), 2)).ToArray();

    [Fact]
    public void MatchesHandComputedValuesForEachReduction()
    {
        // by hand: (1-0.3)^2, (1-1.5)^+ = 0, (1+2)^2, (1-0.8)^2, (1+0.2)^2, (1+1)^2
        var want = new[] { 0.49, 0.0, 9.0, 0.04, 1.44, 4.0 };
        T.Close(want, F.squared_hinge_loss(T.F64(S, 2, 3), T.F64(Signs, 2, 3), Reduction.None));
        T.Close(want.Average(), F.squared_hinge_loss(T.F64(S), T.F64(Signs)));
        T.Close(want.Sum(), F.squared_hinge_loss(T.F64(S), T.F64(Signs), Reduction.Sum));
    }

    [Fact]
    public void ZeroOneLabelsAreMappedAsKerasDoes()
    {
        var zeroOne = Signs.Select(v => (v + 1) / 2).ToArray();
        T.Close(Reference(S, Signs), F.squared_hinge_loss(T.F64(S), T.F64(zeroOne), Reduction.None));
        T.Close(Reference(S, Signs), F.squared_hinge_loss(T.F64(S), torch.tensor(zeroOne.Select(v => (long)v).ToArray()), Reduction.None));
        // Keras docs: y_true [[0, 1], [0, 0]], y_pred [[0.6, 0.4], [0.4, 0.6]] gives 1.86
        T.Close(1.86, F.squared_hinge_loss(T.F64(new[] { 0.6, 0.4, 0.4, 0.6 }, 2, 2), T.F64(new double[] { 0, 1, 0, 0 }, 2, 2)), rtol: 1e-12);
    }

    [Fact]
    public void IsTheSquareOfTheHingeAndHasAContinuousGradient()
    {
        T.Close(T.Values(F.hinge_loss(T.F64(S), T.F64(Signs), Reduction.None).square()), F.squared_hinge_loss(T.F64(S), T.F64(Signs), Reduction.None));
        // d/ds max(0, 1 - s t)^2 = -2 max(0, 1 - s t) t, which is 0 at the hinge s t = 1
        var g = T.Values(T.Grad(v => F.squared_hinge_loss(v, T.F64(Signs), Reduction.Sum), T.F64(S)));
        for (int i = 0; i < S.Length; i++) Assert.Equal(-2 * Math.Max(0, 1 - S[i] * Signs[i]) * Signs[i], g[i], 12);
    }

    [Fact]
    public void ExtremeScoresStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 1e4f }, 3);
        var t = T.F32(new[] { 1f, 1f, -1f }, 3);
        T.Finite(F.squared_hinge_loss(x, t), "loss");
        T.Finite(T.Grad(v => F.squared_hinge_loss(v, t), x), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.squared_hinge_loss(T.F64(S), T.F64(new double[] { 1, -1, 0, 1, 1, -1 }))).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.squared_hinge_loss(T.F64(S), T.F64(new double[] { 1, 0 }))).Message);
        Assert.Contains("floating-point", Assert.Throws<ArgumentException>(() => F.squared_hinge_loss(T.I64(1, 2), T.I64(1, -1))).Message);
        Assert.Throws<ArgumentException>(() => F.squared_hinge_loss(T.F64(S), T.F64(Signs), Reduction.BatchMean));
    }
}
