using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class MultilabelMarginLossTests
{
    // PyTorch's definition as loops: targets are the entries before the first negative; pairs (target j, non-target k).
    private static double[] Reference(double[][] x, long[][] y)
    {
        return x.Select((row, i) =>
        {
            int c = row.Length;
            var listed = y[i].TakeWhile(v => v >= 0).ToArray();
            var isTarget = new bool[c];
            foreach (var v in listed) isTarget[v] = true;
            double s = 0;
            foreach (var j in listed)
                for (int k = 0; k < c; k++)
                    if (!isTarget[k]) s += Math.Max(0, 1 - (row[j] - row[k]));
            return s / c;
        }).ToArray();
    }

    [Fact]
    public void PyTorchDocumentationExample()
    {
        // torch.nn.MultiLabelMarginLoss docs: x = [[0.1, 0.2, 0.4, 0.8]], y = [[3, 0, -1, 1]] gives 0.85.
        var loss = F.multilabel_margin_loss(T.F64(new[] { 0.1, 0.2, 0.4, 0.8 }, 1, 4), torch.tensor(new long[,] { { 3, 0, -1, 1 } }));
        T.Close(0.85, loss);
    }

    [Fact]
    public void MatchesTheDefinitionForEachReduction()
    {
        var x = new[] { new[] { 0.3, -1.2, 2.0, 0.7, 0.1 }, new[] { 1.5, 0.2, -0.4, 0.9, -2.0 }, new[] { 0.0, 0.5, 0.25, -0.75, 1.0 }, new[] { 2.0, 1.0, 0.0, -1.0, -2.0 } };
        var y = new[] { new long[] { 2, 0, -1, 4, 4 }, new long[] { 1, 1, 3, -1, 0 }, new long[] { -1, 2, 3, 0, 1 }, new long[] { 0, 1, 2, 3, 4 } };
        var want = Reference(x, y);
        Assert.Equal(0.0, want[2]);   // no target class
        Assert.Equal(0.0, want[3]);   // every class a target: no pair
        var xt = T.F64(x.SelectMany(r => r).ToArray(), 4, 5);
        var yt = torch.tensor(y.SelectMany(r => r).ToArray()).reshape(4, 5);
        T.Close(want, F.multilabel_margin_loss(xt, yt, Reduction.None));
        T.Close(want.Average(), F.multilabel_margin_loss(xt, yt));
        T.Close(want.Sum(), F.multilabel_margin_loss(xt, yt, Reduction.Sum));
        // libtorch's own kernel agrees
        T.Close(T.Values(torch.nn.functional.multi_label_margin_loss(xt, yt, nn.Reduction.None)), F.multilabel_margin_loss(xt, yt, Reduction.None));
    }

    [Fact]
    public void UnbatchedInputGivesAScalarEvenWithReductionNone()
    {
        var x = new[] { 0.3, -1.2, 2.0, 0.7 };
        var loss = F.multilabel_margin_loss(T.F64(x), T.I64(3, 1, -1, 2), Reduction.None);
        Assert.Empty(loss.shape);
        T.Close(Reference(new[] { x }, new[] { new long[] { 3, 1, -1, 2 } })[0], loss);
    }

    [Fact]
    public void GradientMatchesCentralDifferencesOfTheDefinition()
    {
        var x = new[] { new[] { 0.3, -1.2, 2.0, 0.7, 0.1 }, new[] { 1.5, 0.2, -0.4, 0.9, -2.1 } };
        var y = new[] { new long[] { 2, 0, -1, 4, 4 }, new long[] { 1, 1, 3, -1, 0 } };
        var g = T.Values(T.Grad(v => F.multilabel_margin_loss(v, torch.tensor(y.SelectMany(r => r).ToArray()).reshape(2, 5), Reduction.Sum), T.F64(x.SelectMany(r => r).ToArray(), 2, 5)));
        const double h = 1e-6;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 5; j++)
            {
                var up = x.Select(r => (double[])r.Clone()).ToArray(); up[i][j] += h;
                var dn = x.Select(r => (double[])r.Clone()).ToArray(); dn[i][j] -= h;
                double numeric = (Reference(up, y).Sum() - Reference(dn, y).Sum()) / (2 * h);
                Assert.True(Math.Abs(numeric - g[i * 5 + j]) < 1e-6, $"({i},{j}): autograd {g[i * 5 + j]}, numeric {numeric}");
            }
    }

    [Fact]
    public void ExtremeScoresStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, 5f, -1e4f, 1e4f, 3f, 0f }, 2, 4);
        var y = torch.tensor(new long[,] { { 0, 2, -1, 0 }, { 0, -1, 0, 0 } });
        var loss = F.multilabel_margin_loss(x, y, Reduction.None);
        T.Finite(loss, "loss");
        T.Finite(T.Grad(v => F.multilabel_margin_loss(v, y), x), "gradient");
        Assert.Equal((20001.0 + 10004 + 10001) / 4, T.Values(loss)[1], 0);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(2, 3, dtype: ScalarType.Float64);
        Assert.Contains("class index 3", Assert.Throws<ArgumentException>(() => F.multilabel_margin_loss(x, torch.tensor(new long[,] { { 0, 3, -1 }, { 1, -1, 0 } }))).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.multilabel_margin_loss(x, T.I64(0, 1, -1))).Message);
        Assert.Contains("integer", Assert.Throws<ArgumentException>(() => F.multilabel_margin_loss(x, torch.zeros(2, 3, dtype: ScalarType.Float64))).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.multilabel_margin_loss(torch.zeros(2, 3, 1, dtype: ScalarType.Float64), torch.zeros(2, 3, 1, dtype: ScalarType.Int64))).Message);
        // entries after the first -1 are not read, as PyTorch
        T.Finite(F.multilabel_margin_loss(x, torch.tensor(new long[,] { { 0, -1, 7 }, { -1, 9, 9 } })), "loss with padding garbage");
    }
}
