using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class MulticlassHingeTests
{
    private static readonly double[,] S = { { 2.0, 0.5, -1.0 }, { 0.2, 0.9, 0.1 }, { -1.0, 3.0, 2.5 }, { 0.0, 0.0, 4.0 } };
    private static readonly long[] Y = { 0, 0, 2, 1 };

    // Brute force: max over j of s_j + 1 - [j = y], minus s_y.
    private static double[] Reference()
    {
        var res = new double[Y.Length];
        for (int i = 0; i < Y.Length; i++)
        {
            double m = double.NegativeInfinity;
            for (int j = 0; j < 3; j++) m = Math.Max(m, S[i, j] + 1 - (j == Y[i] ? 1 : 0));
            res[i] = m - S[i, Y[i]];
        }
        return res;
    }

    private static Tensor Scores() => T.F64(S.Cast<double>().ToArray(), 4, 3);

    [Fact]
    public void MatchesTheDefinitionForEachReduction()
    {
        var each = Reference();
        // by hand: 0 (margin 1.5 > 1), 1.7, 1.5, 5
        T.Close(new[] { 0.0, 1.7, 1.5, 5.0 }, T.F64(each));
        T.Close(each, F.multiclass_hinge_loss(Scores(), T.I64(Y), Reduction.None));
        T.Close(each.Sum(), F.multiclass_hinge_loss(Scores(), T.I64(Y), Reduction.Sum));
        T.Close(each.Average(), F.multiclass_hinge_loss(Scores(), T.I64(Y)));
    }

    [Fact]
    public void GradientIsPlusOneAtTheWorstRivalAndMinusOneAtTheTarget()
    {
        var want = new double[] { 0, 0, 0, -1, 1, 0, 0, 1, -1, 0, -1, 1 };
        T.Close(want, T.Grad(v => F.multiclass_hinge_loss(v, T.I64(Y), Reduction.Sum), Scores()));
    }

    [Fact]
    public void Float32ExtremesStayFiniteAndModuleMatches()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 3f }, 2, 3);
        var y = T.I64(1, 1);
        T.Close(new[] { 20001.0, 0.0 }, F.multiclass_hinge_loss(x, y, Reduction.None), rtol: 1e-6);
        T.Finite(T.Grad(v => F.multiclass_hinge_loss(v, y), x), "gradient");
        T.Close(T.Values(F.multiclass_hinge_loss(x, y)), new MulticlassHingeLoss().forward(x, y));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => F.multiclass_hinge_loss(Scores(), T.I64(0, 1, 3, 0)));
        Assert.Contains("target", e1.Message);
        Assert.Contains("[0, 2]", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.multiclass_hinge_loss(Scores(), T.I64(0, 1, 2)));
        Assert.Contains("batch size", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.multiclass_hinge_loss(Scores(), T.F64(new[] { 0.0, 1, 2, 0 })));
        Assert.Contains("integer", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => F.multiclass_hinge_loss(T.F64(new[] { 1.0, 2.0 }), T.I64(0)));
        Assert.Contains("input", e4.Message);
    }
}
