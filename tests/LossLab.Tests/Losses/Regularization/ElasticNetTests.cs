using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regularization;

public class ElasticNetTests
{
    private static readonly double[] W = { 1.0, -2.0, 3.0, 0.0 };   // sum |w| = 6, sum w^2 = 14

    [Fact]
    public void HandWorkedValueAndGradient()
    {
        // alpha 2, l1_ratio 0.25: 2 * (0.25 * 6 + 0.5 * 0.75 * 14) = 13.5
        T.Close(13.5, F.elastic_net_penalty(T.F64(W), 2, 0.25));
        var g = T.Grad(v => F.elastic_net_penalty(v, 2, 0.25), T.F64(W));
        T.Close(W.Select(v => 2 * (0.25 * Math.Sign(v) + 0.75 * v)).ToArray(), g);
    }

    [Fact]
    public void EndpointsAreTheL1AndL2Penalties()
    {
        var w = torch.randn(4, 3, dtype: ScalarType.Float64, generator: new Generator(4));
        T.Close(T.Scalar(F.l1_penalty(w, 0.7)), F.elastic_net_penalty(w, 0.7, 1.0));
        T.Close(T.Scalar(F.l2_penalty(w, 0.35)), F.elastic_net_penalty(w, 0.7, 0.0));
        // Keras' L1L2(l1, l2) is alpha = l1 + 2 l2, l1_ratio = l1 / alpha
        double l1 = 0.02, l2 = 0.03, alpha = l1 + 2 * l2;
        T.Close(T.Scalar(F.l1_penalty(w, l1)) + T.Scalar(F.l2_penalty(w, l2)), F.elastic_net_penalty(w, alpha, l1 / alpha));
    }

    [Fact]
    public void OverAModuleSkipsBiasesAndNormalisationLayers()
    {
        var model = RegularizationModels.Build();
        double want = 0.1 * RegularizationModels.Sum(model, RegularizationModels.Kept, v => 0.6 * Math.Abs(v) + 0.5 * 0.4 * v * v);
        T.Close(want, F.elastic_net_penalty(model, 0.1, 0.6), rtol: 1e-6);
        T.Close(want, new ElasticNetPenalty(0.1, 0.6).forward(model), rtol: 1e-6);
        var nonBias = RegularizationModels.AllNames(model).Where(n => !n.EndsWith("bias"));
        T.Close(0.1 * RegularizationModels.Sum(model, nonBias, v => 0.6 * Math.Abs(v) + 0.2 * v * v), F.elastic_net_penalty(model.named_parameters(), 0.1, 0.6), rtol: 1e-6);
    }

    [Fact]
    public void Float32LargeWeightsStayFiniteAndModuleMatches()
    {
        var w = T.F32(new[] { 1e4f, -1e4f, 0.5f }, 3);
        T.Finite(F.elastic_net_penalty(w), "value");
        T.Finite(T.Grad(v => F.elastic_net_penalty(v), w), "gradient");
        T.Close(T.Values(F.elastic_net_penalty(w, 2, 0.3)), new ElasticNetPenalty(2, 0.3).forward(w));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var w = T.F64(W);
        Assert.Contains("l1_ratio", Assert.Throws<ArgumentOutOfRangeException>(() => F.elastic_net_penalty(w, 1, 1.5)).Message);
        Assert.Contains("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new ElasticNetPenalty(-1)).Message);
        Assert.Contains("weights", Assert.Throws<ArgumentException>(() => F.elastic_net_penalty(torch.ones(2, dtype: ScalarType.Int32))).Message);
    }
}
