using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regularization;

public class L2PenaltyTests
{
    [Fact]
    public void HandWorkedValueAndGradient()
    {
        var w = T.F64(new[] { 1.0, -2.0, 3.0, 0.0 }, 2, 2);
        T.Close(0.5 * 14, F.l2_penalty(w, 0.5));
        T.Close(0.01 * 14, F.l2_penalty(w));
        T.Close(new[] { 1.0, -2.0, 3.0, 0.0 }, T.Grad(v => F.l2_penalty(v, 0.5), w));
    }

    [Fact]
    public void WithSgdItIsPyTorchsWeightDecayOfTwiceTheCoefficient()
    {
        // one SGD step on the penalty alone: w - lr * 2 * l2 * w == w * (1 - lr * weight_decay) with weight_decay = 2 l2
        const double lr = 0.1, l2 = 0.05;
        var w = T.F64(new[] { 0.5, -1.5, 2.0 });
        var g = T.Grad(v => F.l2_penalty(v, l2), w);
        T.Close(T.Values(w).Select(v => v * (1 - lr * 2 * l2)).ToArray(), w - lr * g);
    }

    [Fact]
    public void OverAModuleSkipsBiasesAndNormalisationLayers()
    {
        var model = RegularizationModels.Build();
        double want = 0.3 * RegularizationModels.Sum(model, RegularizationModels.Kept, v => v * v);
        T.Close(want, F.l2_penalty(model, 0.3), rtol: 1e-6);
        T.Close(want, new L2Penalty(0.3).forward(model), rtol: 1e-6);
        T.Close(0.3 * RegularizationModels.Sum(model, RegularizationModels.AllNames(model), v => v * v), F.l2_penalty(model, 0.3, exclude: _ => false), rtol: 1e-6);
        var nonBias = RegularizationModels.AllNames(model).Where(n => !n.EndsWith("bias"));
        T.Close(0.3 * RegularizationModels.Sum(model, nonBias, v => v * v), F.l2_penalty(model.named_parameters(), 0.3), rtol: 1e-6);
    }

    [Fact]
    public void Float32LargeWeightsStayFiniteAndModuleMatches()
    {
        var w = T.F32(new[] { 1e4f, -1e4f, 0.5f }, 3);
        T.Finite(F.l2_penalty(w), "value");
        T.Finite(T.Grad(v => F.l2_penalty(v), w), "gradient");
        T.Close(T.Values(F.l2_penalty(w, 2)), new L2Penalty(2).forward(w));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var w = torch.ones(3, dtype: ScalarType.Float64);
        Assert.Contains("l2", Assert.Throws<ArgumentOutOfRangeException>(() => F.l2_penalty(w, double.PositiveInfinity)).Message);
        Assert.Contains("weights", Assert.Throws<ArgumentException>(() => F.l2_penalty(torch.ones(3, dtype: ScalarType.Bool))).Message);
    }
}
