using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regularization;

public class L1PenaltyTests
{
    [Fact]
    public void HandWorkedValueAndGradient()
    {
        var w = T.F64(new[] { 1.0, -2.0, 3.0, 0.0 }, 2, 2);
        T.Close(0.5 * 6, F.l1_penalty(w, 0.5));
        T.Close(0.01 * 6, F.l1_penalty(w));
        // sign(w) * l1, 0 at w = 0
        T.Close(new[] { 0.5, -0.5, 0.5, 0.0 }, T.Grad(v => F.l1_penalty(v, 0.5), w));
    }

    [Fact]
    public void OverAModuleSkipsBiasesAndNormalisationLayers()
    {
        var model = RegularizationModels.Build();
        double want = 0.3 * RegularizationModels.Sum(model, RegularizationModels.Kept, Math.Abs);
        T.Close(want, F.l1_penalty(model, 0.3), rtol: 1e-6);
        T.Close(want, new L1Penalty(0.3).forward(model), rtol: 1e-6);
        double all = 0.3 * RegularizationModels.Sum(model, RegularizationModels.AllNames(model), Math.Abs);
        T.Close(all, F.l1_penalty(model, 0.3, exclude: _ => false), rtol: 1e-6);
        var nonBias = RegularizationModels.AllNames(model).Where(n => !n.EndsWith("bias"));
        T.Close(0.3 * RegularizationModels.Sum(model, nonBias, Math.Abs), F.l1_penalty(model.named_parameters(), 0.3), rtol: 1e-6);
    }

    [Fact]
    public void GradientReachesTheSelectedParametersOnly()
    {
        var model = RegularizationModels.Build();
        var ps = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var leaves = new List<Tensor> { ps["fc1.weight"], ps["fc1.bias"] };
        var g = torch.autograd.grad(new List<Tensor> { F.l1_penalty(model, 0.2) }, leaves, allow_unused: true);
        T.Close(RegularizationModels.Values(model, "fc1.weight").Select(v => 0.2 * Math.Sign(v)).ToArray(), g[0], rtol: 1e-6);
        Assert.True(g[1] is null || g[1].IsInvalid || T.Values(g[1]).All(v => v == 0));
    }

    [Fact]
    public void NoSelectedParameterGivesZeroAndModuleMatchesOnTensors()
    {
        T.Close(0.0, F.l1_penalty(nn.LayerNorm(4), 1.0));
        var w = T.F32(new[] { 1e4f, -1e4f, 0.5f }, 3);
        T.Close(T.Values(F.l1_penalty(w, 2)), new L1Penalty(2).forward(w));
        T.Finite(T.Grad(v => F.l1_penalty(v), w), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var w = torch.ones(3, dtype: ScalarType.Float64);
        Assert.Contains("l1", Assert.Throws<ArgumentOutOfRangeException>(() => F.l1_penalty(w, -1)).Message);
        Assert.Contains("weights", Assert.Throws<ArgumentException>(() => F.l1_penalty(torch.ones(3, dtype: ScalarType.Int64))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new L1Penalty(double.NaN));
    }
}
