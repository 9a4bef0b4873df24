using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Generative;

public class ClassifierFreeGuidanceTests
{
    private static readonly double[] Cond = { 0.5, -1.0, 2.0, 0.3 };
    private static readonly double[] Uncond = { 0.1, -0.4, 1.0, 1.3 };

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(7.5)]
    [InlineData(-0.5)]
    public void ExtrapolatesFromTheUnconditionalThroughTheConditionalPrediction(double scale)
    {
        var want = Cond.Zip(Uncond, (c, u) => u + scale * (c - u)).ToArray();
        T.Close(want, ClassifierFreeGuidance.Combine(T.F64(Cond, 2, 2), T.F64(Uncond, 2, 2), scale), 1e-15, 1e-15);
    }

    [Fact]
    public void ScaleOneIsTheConditionalPredictionAndHoSalimansWeightWIsScaleOnePlusW()
    {
        T.Close(Cond, ClassifierFreeGuidance.Combine(T.F64(Cond), T.F64(Uncond), 1.0), 1e-15, 1e-15);
        T.Close(Uncond, ClassifierFreeGuidance.Combine(T.F64(Cond), T.F64(Uncond), 0.0), 0, 0);
        const double w = 3.0;   // (1 + w) eps_cond - w eps_uncond
        T.Close(Cond.Zip(Uncond, (c, u) => (1 + w) * c - w * u).ToArray(), ClassifierFreeGuidance.Combine(T.F64(Cond), T.F64(Uncond), 1 + w), 1e-14, 1e-14);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        Assert.Contains("uncond", Assert.Throws<ArgumentException>(() => ClassifierFreeGuidance.Combine(T.F64(Cond), T.F64(Uncond, 2, 2), 2)).Message);
        Assert.Contains("scale", Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierFreeGuidance.Combine(T.F64(Cond), T.F64(Uncond), double.NaN)).Message);
        Assert.Contains("cond", Assert.Throws<ArgumentException>(() => ClassifierFreeGuidance.Combine(torch.zeros(4, dtype: ScalarType.Int64), T.F64(Uncond), 2)).Message);
    }
}
