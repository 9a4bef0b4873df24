using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class Poly1CrossEntropyTests
{
    private static readonly double[,] X = { { 1.0, -0.5, 2.0 }, { 0.3, 0.1, -1.2 }, { -2.0, 3.0, 0.5 } };
    private static readonly long[] Y = { 2, 0, 0 };

    // Per sample -log p_t + epsilon (1 - p_t), p the softmax, in plain doubles.
    private static double[] Reference(double epsilon)
    {
        var res = new double[3];
        for (int i = 0; i < 3; i++)
        {
            double z = 0;
            for (int j = 0; j < 3; j++) z += Math.Exp(X[i, j]);
            double p = Math.Exp(X[i, Y[i]]) / z;
            res[i] = -Math.Log(p) + epsilon * (1 - p);
        }
        return res;
    }

    private static Tensor Logits() => T.F64(X.Cast<double>().ToArray(), 3, 3);

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    [InlineData(-1.0)]
    [InlineData(0.0)]
    public void MatchesTheDefinitionForEachReduction(double epsilon)
    {
        var each = Reference(epsilon);
        T.Close(each, F.poly1_cross_entropy(Logits(), T.I64(Y), epsilon, Reduction.None));
        T.Close(each.Sum(), F.poly1_cross_entropy(Logits(), T.I64(Y), epsilon, Reduction.Sum));
        T.Close(each.Average(), F.poly1_cross_entropy(Logits(), T.I64(Y), epsilon));
    }

    [Fact]
    public void EpsilonZeroIsCrossEntropyAndTheDefaultIsOne()
    {
        var x = torch.randn(7, 5, dtype: ScalarType.Float64, generator: new Generator(3));
        var y = torch.randint(0, 5, new long[] { 7 }, generator: new Generator(4));
        T.Close(T.Scalar(torch.nn.functional.cross_entropy(x, y)), F.poly1_cross_entropy(x, y, 0.0));
        T.Close(Reference(1.0).Average(), F.poly1_cross_entropy(Logits(), T.I64(Y)));
    }

    [Fact]
    public void OneHotProbabilitiesEqualClassIndicesAndSoftTargetsFollowOptax()
    {
        var onehot = torch.nn.functional.one_hot(T.I64(Y), 3).to_type(ScalarType.Float64);
        T.Close(Reference(1.5), F.poly1_cross_entropy(Logits(), onehot, 1.5, Reduction.None));
        // Soft target q on row 0: -sum q log p + eps (1 - sum q p)
        var q = new[] { 0.2, 0.3, 0.5 };
        double z = Math.Exp(1.0) + Math.Exp(-0.5) + Math.Exp(2.0);
        double[] p = { Math.Exp(1.0) / z, Math.Exp(-0.5) / z, Math.Exp(2.0) / z };
        double want = -(q[0] * Math.Log(p[0]) + q[1] * Math.Log(p[1]) + q[2] * Math.Log(p[2])) + 2.0 * (1 - (q[0] * p[0] + q[1] * p[1] + q[2] * p[2]));
        T.Close(want, F.poly1_cross_entropy(T.F64(new[] { 1.0, -0.5, 2.0 }, 1, 3), T.F64(q, 1, 3), 2.0));
    }

    [Fact]
    public void GradientIsSoftmaxMinusOneHotPlusEpsilonTimesTheGradientOfMinusPt()
    {
        // d/dx_j [-log p_y + eps (1 - p_y)] = (p_j - [j = y]) - eps p_y ([j = y] - p_j)
        const double eps = 2.0;
        var g = T.Values(T.Grad(v => F.poly1_cross_entropy(v, T.I64(Y), eps, Reduction.Sum), Logits()));
        for (int i = 0; i < 3; i++)
        {
            double z = 0;
            for (int j = 0; j < 3; j++) z += Math.Exp(X[i, j]);
            double py = Math.Exp(X[i, Y[i]]) / z;
            for (int j = 0; j < 3; j++)
            {
                double pj = Math.Exp(X[i, j]) / z, ind = j == Y[i] ? 1 : 0;
                Assert.Equal((pj - ind) - eps * py * (ind - pj), g[i * 3 + j], 12);
            }
        }
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32AndModuleMatches()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 3f }, 2, 3);
        var y = T.I64(1, 1);
        foreach (double eps in new[] { 1.0, -1.0, 2.0 })
        {
            T.Finite(F.poly1_cross_entropy(x, y, eps), "loss");
            T.Finite(T.Grad(v => F.poly1_cross_entropy(v, y, eps), x), "gradient");
        }
        T.Close(new[] { 2e4 + 1, 0.0 }, F.poly1_cross_entropy(x, y, 1.0, Reduction.None), rtol: 1e-6);
        T.Close(T.Values(F.poly1_cross_entropy(x, y, 2.0)), new Poly1CrossEntropyLoss(2.0).forward(x, y));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => F.poly1_cross_entropy(Logits(), T.I64(0, 3, 1)));
        Assert.Contains("target", e1.Message);
        Assert.Contains("[0, 2]", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.poly1_cross_entropy(Logits(), torch.zeros(3, 4, dtype: ScalarType.Float64)));
        Assert.Contains("target", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.poly1_cross_entropy(Logits(), T.F64(new[] { 1.2, -0.2, 0, 1, 0, 0, 0, 0, 1 }, 3, 3)));
        Assert.Contains("target", e3.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => F.poly1_cross_entropy(Logits(), T.I64(Y), double.PositiveInfinity));
    }
}
