using LossLab.Distances;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using R = LossLab.Tests.Losses.Metric.MetricRef;

namespace LossLab.Tests.Losses.Metric.Distances;

public class DistanceTests
{
    [Theory]
    [InlineData("euclidean", true)]
    [InlineData("euclidean", false)]
    [InlineData("squared_euclidean", true)]
    [InlineData("squared_euclidean", false)]
    [InlineData("cosine", true)]
    [InlineData("cosine_similarity", true)]
    public void MatrixMatchesTheDefinition(string name, bool normalize)
    {
        var q = R.Rows(1, 5, 4, 2);
        var r = R.Rows(2, 3, 4, 2);
        var d = DistanceNames.Parse(name, normalize);
        var want = q.SelectMany(a => r.Select(b => R.Distance(name, a, b, normalize))).ToArray();
        T.Close(want, d.Matrix(R.M(q), R.M(r)), 1e-10, 1e-12);
        Assert.Equal(name == "cosine_similarity", d.IsSimilarity);
        Assert.Equal(name, d.Name);
    }

    [Theory]
    [InlineData("euclidean")]
    [InlineData("squared_euclidean")]
    [InlineData("cosine")]
    public void ChunkedMatrixIsTheSame(string name)
    {
        var x = R.M(R.Rows(3, 7, 3));
        var d = (Distance)DistanceNames.Parse(name, false);
        var whole = d.Matrix(x, x);
        foreach (long chunk in new long[] { 1, 2, 3, 7, 100 })
            T.Close(T.Values(whole), d.Matrix(x, x, chunk), 1e-12, 1e-14);
    }

    [Fact]
    public void DistanceToItselfIsZeroWithAFiniteGradient()
    {
        // The diagonal of the Euclidean matrix is sqrt(0): its gradient must be 0, not NaN.
        var x = T.F64(new[] { 1.0, 2.0, 1.0, 2.0, -1.0, 0.5 }, 3, 2);   // rows 0 and 1 coincide
        var g = T.Grad(v => new Euclidean(false).Matrix(v, v), x);
        T.Finite(g, "gradient");
        var m = new Euclidean(false).Matrix(x, x);
        Assert.Equal(0.0, T.Values(m)[0]);
        Assert.Equal(0.0, T.Values(m)[1]);
    }

    [Fact]
    public void ExtremeEmbeddingsStayFiniteInFloat32()
    {
        var x = T.F32(new float[] { 1e4f, -1e4f, 3f, 0f, 0f, 0f, -1e4f, 1e4f, 1e4f }, 3, 3);
        foreach (var d in new IDistance[] { new Euclidean(), new Euclidean(false), new SquaredEuclidean(false), new Cosine(), new Cosine(true) })
        {
            T.Finite(d.Matrix(x, x), d.Name);
            T.Finite(T.Grad(v => d.Matrix(v, v), x), d.Name + " gradient");
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var d = new Euclidean();
        var e1 = Assert.Throws<ArgumentException>(() => d.Matrix(torch.zeros(3, 2, dtype: ScalarType.Float64), torch.zeros(3, 4, dtype: ScalarType.Float64)));
        Assert.Contains("reference", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => d.Matrix(torch.zeros(3, dtype: ScalarType.Float64), torch.zeros(3, 4, dtype: ScalarType.Float64)));
        Assert.Contains("query", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => DistanceNames.Parse("manhattan"));
        Assert.Contains("euclidean", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => d.Matrix(torch.zeros(3, 2), torch.zeros(3, 2), -1));
        Assert.Contains("chunkSize", e4.Message);
    }
}
