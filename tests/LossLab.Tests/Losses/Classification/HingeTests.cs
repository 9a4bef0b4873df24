using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class HingeTests
{
    private static readonly double[] S = { 2.0, -0.5, 0.3, -3.0, 0.9, 1.5 };
    private static readonly double[] Y = { 1, 1, -1, -1, 1, -1 };

    [Fact]
    public void MatchesHandComputedValuesForEachReduction()
    {
        // 1 - s y: -1, 1.5, 1.3, -2, 0.1, 2.5 -> clamped at 0
        var each = new[] { 0.0, 1.5, 1.3, 0.0, 0.1, 2.5 };
        T.Close(each, F.hinge_loss(T.F64(S, 2, 3), T.F64(Y, 2, 3), Reduction.None));
        T.Close(5.4, F.hinge_loss(T.F64(S), T.F64(Y), Reduction.Sum));
        T.Close(0.9, F.hinge_loss(T.F64(S), T.F64(Y)));
    }

    [Fact]
    public void GradientIsMinusTheLabelWhereTheMarginIsViolated()
    {
        T.Close(new[] { 0.0, -1.0, 1.0, 0.0, -1.0, 1.0 }, T.Grad(v => F.hinge_loss(v, T.F64(Y), Reduction.Sum), T.F64(S)));
    }

    [Fact]
    public void IntegerLabelsWorkAndFloat32ExtremesStayFinite()
    {
        T.Close(T.Values(F.hinge_loss(T.F64(S), T.F64(Y))), F.hinge_loss(T.F64(S), T.I64(1, 1, -1, -1, 1, -1)));
        var x = T.F32(new[] { 1e4f, -1e4f, 1e4f }, 3);
        var y = T.F32(new[] { 1f, 1f, -1f }, 3);
        T.Close(new[] { 0.0, 10001.0, 10001.0 }, F.hinge_loss(x, y, Reduction.None), rtol: 1e-6);
        T.Finite(T.Grad(v => F.hinge_loss(v, y), x), "gradient");
        T.Close(T.Values(F.hinge_loss(x, y, Reduction.Sum)), new HingeLoss(Reduction.Sum).forward(x, y));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => F.hinge_loss(T.F64(S), T.F64(new[] { 1.0, 0.0, 1.0, 0.0, 1.0, 1.0 })));
        Assert.Contains("target", e1.Message);
        Assert.Contains("-1 and +1", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.hinge_loss(T.F64(S), T.F64(Y, 2, 3)));
        Assert.Contains("target", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.hinge_loss(T.I64(1, 2), T.I64(1, -1)));
        Assert.Contains("floating-point", e3.Message);
    }
}
