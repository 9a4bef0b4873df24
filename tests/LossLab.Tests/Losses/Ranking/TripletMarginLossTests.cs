using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Ranking;

public class TripletMarginLossTests
{
    private static readonly double[,] Anc = { { 0.0, 1.0, 2.0 }, { 1.0, -1.0, 0.5 }, { 0.3, 0.3, 0.3 } };
    private static readonly double[,] Pos = { { 0.5, 1.0, 1.0 }, { 0.0, 0.0, 0.0 }, { 0.3, 0.3, 0.3 } };
    private static readonly double[,] Neg = { { 1.0, 1.5, 2.0 }, { 3.0, -1.0, 2.0 }, { -1.0, 0.5, 0.0 } };

    // PyTorch's pairwise_distance: || x - y + eps ||_p over the last dimension.
    private static double Dist(double[,] x, double[,] y, int i, double p, double eps)
    {
        double s = 0;
        for (int j = 0; j < x.GetLength(1); j++) s += Math.Pow(Math.Abs(x[i, j] - y[i, j] + eps), p);
        return Math.Pow(s, 1 / p);
    }

    private static double[] Reference(double margin, double p, double eps, bool swap)
    {
        var res = new double[Anc.GetLength(0)];
        for (int i = 0; i < res.Length; i++)
        {
            double dn = Dist(Anc, Neg, i, p, eps);
            if (swap) dn = Math.Min(dn, Dist(Pos, Neg, i, p, eps));
            res[i] = Math.Max(0, margin + Dist(Anc, Pos, i, p, eps) - dn);
        }
        return res;
    }

    private static Tensor M(double[,] a) => T.F64(a.Cast<double>().ToArray(), a.GetLength(0), a.GetLength(1));

    [Theory]
    [InlineData(1.0, 2.0, 1e-6, false)]
    [InlineData(1.0, 1.0, 1e-6, false)]
    [InlineData(2.0, 2.0, 1e-6, true)]
    [InlineData(0.5, 3.0, 0.01, true)]
    [InlineData(3.0, 1.5, 0.0, false)]
    public void MatchesTheDefinitionForEachReduction(double margin, double p, double eps, bool swap)
    {
        var each = Reference(margin, p, eps, swap);
        T.Close(each, F.triplet_margin_loss(M(Anc), M(Pos), M(Neg), margin, p, eps, swap, Reduction.None));
        T.Close(each.Sum(), F.triplet_margin_loss(M(Anc), M(Pos), M(Neg), margin, p, eps, swap, Reduction.Sum));
        T.Close(each.Average(), F.triplet_margin_loss(M(Anc), M(Pos), M(Neg), margin, p, eps, swap));
    }

    [Fact]
    public void SwapUsesThePositiveToNegativeDistanceWhenSmaller()
    {
        // With eps 0 and margin 2: row 0 has d(a, p) = sqrt(1.25), d(a, n) = sqrt(1.25), d(p, n) = sqrt(1.5) (no swap);
        // row 1 has d(a, p) = 1.5, d(a, n) = 2.5, d(p, n) = sqrt(14) (no swap); row 2 has anchor == positive and
        // d(a, n) = d(p, n) = sqrt(1.82). Swapping never lowers the loss.
        var plain = T.Values(F.triplet_margin_loss(M(Anc), M(Pos), M(Neg), 2.0, eps: 0, reduction: Reduction.None));
        var swapped = T.Values(F.triplet_margin_loss(M(Anc), M(Pos), M(Neg), 2.0, eps: 0, swap: true, reduction: Reduction.None));
        for (int i = 0; i < 3; i++) Assert.True(swapped[i] >= plain[i] - 1e-15);
        T.Close(new[] { 2.0, 2 + 1.5 - 2.5, 2 - Math.Sqrt(1.82) }, F.triplet_margin_loss(M(Anc), M(Pos), M(Neg), 2.0, eps: 0, swap: true, reduction: Reduction.None));
        // A negative closer to the positive than to the anchor: the swap takes d(p, n).
        var a = T.F64(new[] { 0.0, 0.0 }, 1, 2);
        var p = T.F64(new[] { 1.0, 0.0 }, 1, 2);
        var n = T.F64(new[] { 1.5, 0.0 }, 1, 2);
        T.Close(1 + 1 - 0.5, F.triplet_margin_loss(a, p, n, 1.0, eps: 0, swap: true));
        T.Close(1 + 1 - 1.5, F.triplet_margin_loss(a, p, n, 1.0, eps: 0));
    }

    [Fact]
    public void UnbatchedTripletGivesAScalarAndCoincidentEmbeddingsHaveFiniteGradients()
    {
        var a = T.F64(new[] { 0.3, 0.3, 0.3 });
        var loss = F.triplet_margin_loss(a, a, T.F64(new[] { 1.0, 0.0, 0.0 }), reduction: Reduction.None);
        Assert.Equal(0, loss.dim());
        var g = T.Grad(v => F.triplet_margin_loss(v, v.detach(), T.F64(new[] { 1.0, 0.0, 0.0 })), a);
        T.Finite(g, "gradient");
    }

    [Fact]
    public void Float32ExtremesStayFiniteAndModuleMatches()
    {
        var a = T.F32(new[] { 1e4f, -1e4f, 0f, 0f }, 2, 2);
        var p = T.F32(new[] { -1e4f, 1e4f, 0f, 0f }, 2, 2);
        var n = T.F32(new[] { 1e4f, -1e4f, 1e4f, 1e4f }, 2, 2);
        T.Finite(F.triplet_margin_loss(a, p, n, swap: true), "loss");
        T.Finite(T.Grad(v => F.triplet_margin_loss(v, p, n, swap: true), a), "gradient");
        T.Close(T.Values(F.triplet_margin_loss(M(Anc), M(Pos), M(Neg), 0.7, 1.0)), new TripletMarginLoss(0.7, 1.0).forward(M(Anc), M(Pos), M(Neg)));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(3, 4, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => F.triplet_margin_loss(x, x, torch.zeros(3, 5, dtype: ScalarType.Float64)));
        Assert.Contains("negative", e1.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => F.triplet_margin_loss(x, x, x, p: 0));
        Assert.Contains("'p'", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.triplet_margin_loss(x, torch.zeros(3, 4, dtype: ScalarType.Int64), x));
        Assert.Contains("positive", e3.Message);
    }
}
