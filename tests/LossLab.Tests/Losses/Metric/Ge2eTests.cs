using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;
using R = LossLab.Tests.Losses.Metric.MetricRef;

namespace LossLab.Tests.Losses.Metric;

public class Ge2eTests
{
    // The paper's definitions, looped: e[j][i] utterance i of speaker j.
    private static double[] Reference(double[][][] e, double w, double b, bool softmax)
    {
        int s = e.Length, u = e[0].Length, d = e[0][0].Length;
        double[] Mean(IEnumerable<double[]> rows, int count) => Enumerable.Range(0, d).Select(k => rows.Sum(r => r[k]) / count).ToArray();
        var centroids = e.Select(sp => Mean(sp, u)).ToArray();
        var result = new List<double>();
        for (int j = 0; j < s; j++)
            for (int i = 0; i < u; i++)
            {
                var sim = new double[s];
                for (int k = 0; k < s; k++)
                {
                    var c = k == j ? Mean(e[j].Where((_, m) => m != i), u - 1) : centroids[k];
                    sim[k] = w * R.Cos(e[j][i], c) + b;
                }
                if (softmax) result.Add(-sim[j] + R.LogSumExp(sim));
                else result.Add(1 - R.Sigmoid(sim[j]) + Enumerable.Range(0, s).Where(k => k != j).Max(k => R.Sigmoid(sim[k])));
            }
        return result.ToArray();
    }

    [Theory]
    [InlineData(3, 4, 5, 10.0, -5.0, true)]
    [InlineData(4, 2, 3, 3.0, 1.0, true)]
    [InlineData(3, 4, 5, 10.0, -5.0, false)]
    [InlineData(2, 3, 4, 0.5, 0.2, false)]
    public void MatchesThePapersDefinition(int s, int u, int d, double w, double b, bool softmax)
    {
        var e = R.Nested(41 + s, s, u, d);
        var each = Reference(e, w, b, softmax);
        var method = softmax ? Ge2eMethod.Softmax : Ge2eMethod.Contrast;
        var wt = torch.tensor(w, dtype: ScalarType.Float64);
        var bt = torch.tensor(b, dtype: ScalarType.Float64);
        T.Close(each, F.ge2e_loss(R.M(e), wt, bt, method, Reduction.None), 1e-10, 1e-12);
        T.Close(each.Sum(), F.ge2e_loss(R.M(e), wt, bt, method, Reduction.Sum), 1e-10, 1e-12);
        T.Close(each.Average(), F.ge2e_loss(R.M(e), wt, bt, method), 1e-10, 1e-12);
    }

    [Fact]
    public void DefaultsAreThePapersInitialValues()
    {
        var e = R.Nested(45, 3, 3, 4);
        T.Close(Reference(e, 10, -5, true).Average(), F.ge2e_loss(R.M(e)), 1e-10);
        var module = new Ge2eLoss(dtype: ScalarType.Float64);
        Assert.Equal(2, module.parameters().Count());
        T.Close(Reference(e, 10, -5, true).Average(), module.forward(R.M(e)), 1e-10);
        T.Close(Reference(e, 2, 0.5, false).Average(), LossCatalog.Create("ge2e:method=contrast,init_w=2,init_b=0.5").Forward(new Dictionary<string, Tensor> { ["embeddings"] = R.M(e) }), 1e-10);
    }

    [Fact]
    public void GradientsReachWAndB()
    {
        // For the softmax form, d/db = 0 (b shifts every logit); d/dw is non-zero.
        var e = R.M(R.Nested(46, 3, 3, 4));
        var b = torch.tensor(-1.0, dtype: ScalarType.Float64);
        T.Close(0.0, T.Grad(v => F.ge2e_loss(e, torch.tensor(4.0, dtype: ScalarType.Float64), v), b), 1e-12, 1e-12);
        var gw = T.Scalar(T.Grad(v => F.ge2e_loss(e, v, b), torch.tensor(4.0, dtype: ScalarType.Float64)));
        Assert.NotEqual(0.0, gw);
    }

    [Fact]
    public void ExtremeEmbeddingsStayFiniteInFloat32()
    {
        var e = torch.tensor(new float[] { 1e4f, -1e4f, 1e4f, 1e4f, 0f, 0f, -1e4f, 3f, 1e4f, 0f, 2f, -1e4f }).reshape(2, 3, 2);
        foreach (var method in new[] { Ge2eMethod.Softmax, Ge2eMethod.Contrast })
        {
            T.Finite(F.ge2e_loss(e, method: method), "loss");
            T.Finite(T.Grad(v => F.ge2e_loss(v, method: method), e), "gradient");
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => F.ge2e_loss(torch.zeros(3, 1, 4, dtype: ScalarType.Float64)));
        Assert.Contains("utterances >= 2", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.ge2e_loss(torch.zeros(3, 4, dtype: ScalarType.Float64)));
        Assert.Contains("embeddings", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.ge2e_loss(torch.zeros(2, 2, 2, dtype: ScalarType.Float64), torch.ones(2, dtype: ScalarType.Float64)));
        Assert.Contains("'w'", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => F.ge2e_loss(torch.zeros(2, 2, 2, dtype: ScalarType.Float64), null, torch.tensor(1.0f)));
        Assert.Contains("'b'", e4.Message);
    }
}
