using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Ranking;

public class MarginRankingLossTests
{
    private static readonly double[] A = { 1.0, 0.2, -0.5, 2.0, 0.0 };
    private static readonly double[] B = { 0.5, 0.9, -0.5, -1.0, 0.3 };
    private static readonly double[] Y = { 1, 1, -1, -1, 1 };

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(-0.2)]
    public void MatchesTheDefinitionForEachReduction(double margin)
    {
        var each = Enumerable.Range(0, 5).Select(i => Math.Max(0, -Y[i] * (A[i] - B[i]) + margin)).ToArray();
        T.Close(each, F.margin_ranking_loss(T.F64(A), T.F64(B), T.F64(Y), margin, Reduction.None));
        T.Close(each.Sum(), F.margin_ranking_loss(T.F64(A), T.F64(B), T.F64(Y), margin, Reduction.Sum));
        T.Close(each.Average(), F.margin_ranking_loss(T.F64(A), T.F64(B), T.F64(Y), margin));
    }

    [Fact]
    public void HandWorkedValuesAndGradients()
    {
        // margin 0.25: -y (a - b) + 0.25 = -0.25, 0.95, 0.25, 3.25, 0.55; the first pair is ranked right with room to spare.
        T.Close(new[] { 0.0, 0.95, 0.25, 3.25, 0.55 }, F.margin_ranking_loss(T.F64(A), T.F64(B), T.F64(Y), 0.25, Reduction.None));
        var a = T.F64(A).requires_grad_(true);
        var b = T.F64(B).requires_grad_(true);
        var g = torch.autograd.grad(new List<Tensor> { F.margin_ranking_loss(a, b, T.F64(Y), 0.25, Reduction.Sum) }, new List<Tensor> { a, b });
        T.Close(new[] { 0.0, -1.0, 1.0, 1.0, -1.0 }, g[0]);
        T.Close(new[] { 0.0, 1.0, -1.0, -1.0, 1.0 }, g[1]);
    }

    [Fact]
    public void Float32ExtremesStayFiniteAndModuleMatches()
    {
        var a = T.F32(new[] { 1e4f, -1e4f }, 2);
        var b = T.F32(new[] { -1e4f, 1e4f }, 2);
        var y = T.F32(new[] { -1f, -1f }, 2);
        T.Close(new[] { 2e4, 0.0 }, F.margin_ranking_loss(a, b, y, reduction: Reduction.None), rtol: 1e-6);
        T.Finite(T.Grad(v => F.margin_ranking_loss(v, b, y), a), "gradient");
        T.Close(T.Values(F.margin_ranking_loss(a, b, y, 0.3)), new MarginRankingLoss(0.3).forward(a, b, y));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(4, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => F.margin_ranking_loss(x, torch.zeros(3, dtype: ScalarType.Float64), x));
        Assert.Contains("input2", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.margin_ranking_loss(x, x, torch.ones(4, 1, dtype: ScalarType.Float64)));
        Assert.Contains("target", e2.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => F.margin_ranking_loss(x, x, x, double.NaN));
    }
}
