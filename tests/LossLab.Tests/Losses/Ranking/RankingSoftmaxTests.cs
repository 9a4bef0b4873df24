using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Ranking;

public class RankingSoftmaxTests
{
    private static readonly double[,] S = { { 0.5, -1.0, 2.0, 0.1 }, { 1.5, 1.2, -0.3, 0.0 }, { -0.4, 0.9, 0.3, 1.1 } };
    private static readonly double[,] Y = { { 2, 0, 1, 0 }, { 1, 0, 0, -1 }, { 0, 0, 0, 0 } };   // list 2: no relevant item

    // -sum_i y_i log softmax over valid items, per list.
    private static double[] Reference(double[,] s, double[,] y, bool[,]? mask, double t)
    {
        int n = s.GetLength(0), l = s.GetLength(1);
        var res = new double[n];
        for (int q = 0; q < n; q++)
        {
            var valid = Enumerable.Range(0, l).Where(i => y[q, i] >= 0 && (mask?[q, i] ?? true)).ToList();
            if (valid.Count == 0) continue;
            double m = valid.Max(i => s[q, i] / t);
            double lse = m + Math.Log(valid.Sum(i => Math.Exp(s[q, i] / t - m)));
            res[q] = -valid.Sum(i => y[q, i] * (s[q, i] / t - lse));
        }
        return res;
    }

    private static Tensor St => T.F64(RankingRef.Flat(S), 3, 4);
    private static Tensor Yt => T.F64(RankingRef.Flat(Y), 3, 4);

    [Theory]
    [InlineData(1.0, false)]
    [InlineData(0.5, false)]
    [InlineData(2.0, true)]
    public void MatchesTheDefinitionForEachReduction(double t, bool masked)
    {
        bool[,]? mask = masked ? new[,] { { true, true, false, true }, { true, true, true, true }, { true, false, true, true } } : null;
        var m = mask is null ? null : torch.tensor(mask.Cast<bool>().ToArray()).reshape(3, 4);
        var each = Reference(S, Y, mask, t);
        T.Close(each, F.ranking_softmax_loss(St, Yt, m, t, Reduction.None), 1e-12, 1e-14);
        T.Close(each.Sum(), F.ranking_softmax_loss(St, Yt, m, t, Reduction.Sum), 1e-12);
        T.Close(each.Sum() / 2, F.ranking_softmax_loss(St, Yt, m, t), 1e-12);   // two lists have relevant items
    }

    [Fact]
    public void TfRankingsDocumentedExample()
    {
        // tfr.keras.losses.SoftmaxLoss: y [[1, 0]], s [[0.6, 0.8]] -> 0.7981389 = log(1 + e^0.2)
        T.Close(0.7981389, F.ranking_softmax_loss(T.F64(new[] { 0.6, 0.8 }, 1, 2), T.F64(new[] { 1.0, 0.0 }, 1, 2)), 1e-6);
    }

    [Fact]
    public void OneRelevantItemIsCrossEntropy()
    {
        var s = torch.randn(5, 6, dtype: ScalarType.Float64, generator: new Generator(61));
        var target = T.I64(0, 5, 2, 2, 1);
        var y = nn.functional.one_hot(target, 6).to_type(ScalarType.Float64);
        T.Close(T.Values(nn.functional.cross_entropy(s, target, reduction: nn.Reduction.None)), F.ranking_softmax_loss(s, y, reduction: Reduction.None), 1e-12);
    }

    [Fact]
    public void PaddingLeavesTheSoftmaxAndEmptyListsCostNothing()
    {
        var s = T.F64(new[] { 3.0, 1e3, -2.0, 7.0, 7.0, 7.0 }, 2, 3);
        var y = T.F64(new[] { 1.0, -1.0, 0.0, -1.0, -1.0, -1.0 }, 2, 3);   // second list: all padding
        double want = -(3 - Math.Log(Math.Exp(3) + Math.Exp(-2)));
        T.Close(new[] { want, 0.0 }, F.ranking_softmax_loss(s, y, reduction: Reduction.None), 1e-12);
        T.Close(new double[6], T.Grad(v => F.ranking_softmax_loss(v, y), s).mul(T.F64(new[] { 0.0, 1, 0, 1, 1, 1 }, 2, 3)));
        T.Finite(T.Grad(v => F.ranking_softmax_loss(v, y), s), "gradient");
        T.Close(0.0, F.ranking_softmax_loss(s, torch.zeros(2, 3, dtype: ScalarType.Float64)));
    }

    [Fact]
    public void ExtremeScoresStayFiniteInFloat32()
    {
        var s = T.F32(new float[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 5f }, 2, 3);
        var y = T.F32(new float[] { 0f, 2f, 1f, 1f, 0f, 2f }, 2, 3);
        T.Finite(F.ranking_softmax_loss(s, y), "loss");
        T.Finite(T.Grad(v => F.ranking_softmax_loss(v, y), s), "gradient");
    }

    [Fact]
    public void ModuleAndRegistryComputeTheSame()
    {
        double want = T.Scalar(F.ranking_softmax_loss(St, Yt, temperature: 0.7));
        T.Close(want, new RankingSoftmaxLoss(0.7).forward(St, Yt), 1e-14);
        T.Close(want, LossCatalog.Create("ranking_softmax:temperature=0.7").forward(St, Yt), 1e-14);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => F.ranking_softmax_loss(St, T.F64(new double[3], 3, 1)));
        Assert.Contains("labels", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.ranking_softmax_loss(St.to_type(ScalarType.Int64), Yt));
        Assert.Contains("scores", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => F.ranking_softmax_loss(St, Yt, temperature: 0));
        Assert.Contains("temperature", e3.Message);
    }
}
