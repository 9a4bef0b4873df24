using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Ranking;

public class CosineEmbeddingLossTests
{
    private static readonly double[,] U = { { 1.0, 0.0, 0.0 }, { 1.0, 2.0, 2.0 }, { 0.5, -0.5, 1.0 }, { 0.0, 0.0, 0.0 } };
    private static readonly double[,] V = { { 1.0, 1.0, 0.0 }, { -1.0, 0.5, 3.0 }, { 0.5, -0.5, 1.0 }, { 1.0, 2.0, 3.0 } };
    private static readonly double[] Y = { 1, -1, -1, 1 };

    // PyTorch's cosine: dot / sqrt((|u|^2 + 1e-12)(|v|^2 + 1e-12)).
    private static double Cos(int i)
    {
        double d = 0, a = 0, b = 0;
        for (int j = 0; j < 3; j++) { d += U[i, j] * V[i, j]; a += U[i, j] * U[i, j]; b += V[i, j] * V[i, j]; }
        return d / Math.Sqrt((a + 1e-12) * (b + 1e-12));
    }

    private static Tensor M(double[,] a) => T.F64(a.Cast<double>().ToArray(), a.GetLength(0), a.GetLength(1));

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    [InlineData(-0.5)]
    public void MatchesTheDefinitionForEachReduction(double margin)
    {
        var each = Enumerable.Range(0, 4).Select(i => Y[i] == 1 ? 1 - Cos(i) : Math.Max(0, Cos(i) - margin)).ToArray();
        T.Close(each, F.cosine_embedding_loss(M(U), M(V), T.F64(Y), margin, Reduction.None));
        T.Close(each.Sum(), F.cosine_embedding_loss(M(U), M(V), T.F64(Y), margin, Reduction.Sum));
        T.Close(each.Average(), F.cosine_embedding_loss(M(U), M(V), T.F64(Y), margin));
    }

    [Fact]
    public void HandWorkedValues()
    {
        // Row 0: cos = 1/sqrt(2); row 1: cos = (-1 + 1 + 6) / (3 * sqrt(10.25)); row 2: identical, cos 1; row 3: zero vector, cos 0.
        double c1 = 6 / (3 * Math.Sqrt(10.25));
        T.Close(new[] { 1 - 1 / Math.Sqrt(2), c1 - 0.1, 0.9, 1.0 }, F.cosine_embedding_loss(M(U), M(V), T.F64(Y), 0.1, Reduction.None), rtol: 1e-9, atol: 1e-11);
    }

    [Fact]
    public void IntegerTargetsAndAnUnbatchedPairWork()
    {
        var want = T.Values(F.cosine_embedding_loss(M(U), M(V), T.F64(Y), 0.2, Reduction.None));
        T.Close(want, F.cosine_embedding_loss(M(U), M(V), T.I64(1, -1, -1, 1), 0.2, Reduction.None));
        var single = F.cosine_embedding_loss(T.F64(new[] { 1.0, 2.0, 2.0 }), T.F64(new[] { -1.0, 0.5, 3.0 }), torch.tensor(-1.0, dtype: ScalarType.Float64), 0.2, Reduction.None);
        Assert.Equal(0, single.dim());
        T.Close(want[1], single);
    }

    [Fact]
    public void ZeroVectorsAndFloat32ExtremesStayFiniteAndModuleMatches()
    {
        var u = T.F32(new[] { 0f, 0f, 1e4f, -1e4f }, 2, 2);
        var v = T.F32(new[] { 1e4f, 1e4f, 1e4f, 1e4f }, 2, 2);
        var y = T.F32(new[] { 1f, -1f }, 2);
        T.Finite(F.cosine_embedding_loss(u, v, y), "loss");
        T.Finite(T.Grad(w => F.cosine_embedding_loss(w, v, y), u), "gradient");
        T.Close(T.Values(F.cosine_embedding_loss(M(U), M(V), T.F64(Y), 0.3)), new CosineEmbeddingLoss(0.3).forward(M(U), M(V), T.F64(Y)));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => F.cosine_embedding_loss(M(U), M(V), T.F64(new[] { 1.0, 0.0, -1.0, 1.0 })));
        Assert.Contains("target", e1.Message);
        Assert.Contains("-1 and +1", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.cosine_embedding_loss(M(U), M(V), T.F64(new[] { 1.0, -1.0, 1.0 })));
        Assert.Contains("batch size", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.cosine_embedding_loss(T.F64(new[] { 1.0, 2.0 }), T.F64(new[] { 1.0, 2.0 }), T.F64(new[] { 1.0 })));
        Assert.Contains("input1", e3.Message);
    }
}
