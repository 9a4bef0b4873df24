using LossLab.Kernels;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static LossLab.Tests.Kernels.FusedAgreement;

namespace LossLab.Tests.Kernels;

/// <summary>The fused multi-class focal loss against its composite form (fused kernels off).</summary>
[Collection(FusedKernelSwitchCollection.Name)]
public class FusedFocalTests
{
    public static TheoryData<ScalarType, string, double, bool, bool> Cases()
    {
        var d = new TheoryData<ScalarType, string, double, bool, bool>();
        foreach (var dt in FloatTypes)
            foreach (var red in Reductions)
                foreach (var gamma in new[] { 0.0, 0.5, 2.0, 3.0 })
                    foreach (var weighted in new[] { false, true })
                        foreach (var ignore in new[] { false, true })
                            d.Add(dt, red, gamma, weighted, ignore);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AgreesWithTheCompositeForm(ScalarType dtype, string red, double gamma, bool weighted, bool ignore)
    {
        var x = Logits(37, 11, 3, dtype);
        var y = Labels(37, 11);
        var w = weighted ? Uniform([11], 0.5, 2) : null;
        long ignoreIndex = ignore ? 4 : -100; // a class value: its rows are skipped
        Assert.True(FusedFocal.Applies(x, w));
        Agree(t => LossLab.Losses.focal_loss(t, y, gamma, w, ignoreIndex, ReductionExtensions.Parse(red)), x, $"{dtype} {red} gamma={gamma} weighted={weighted} ignore={ignore}");
    }

    [Theory]
    [InlineData("mean")]
    [InlineData("none")]
    public void SingleRowAndWideRows(string red)
    {
        foreach (var (n, c) in new[] { (1L, 7L), (64L, 1000L) })
        {
            var x = Logits(n, c, 4, ScalarType.Float32);
            var y = Labels(n, c);
            Agree(t => LossLab.Losses.focal_loss(t, y, 2.0, reduction: ReductionExtensions.Parse(red)), x, $"({n},{c}) {red}");
        }
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = Extreme(5);
        var y = LossLab.Tests.Support.T.I64(0, 1, 2);
        var w = Uniform([5], 0.5, 2).to_type(ScalarType.Float32);
        foreach (var gamma in new[] { 0.0, 0.5, 1.0, 2.0 })
        {
            Finite(t => LossLab.Losses.focal_loss(t, y, gamma, w), x, $"gamma={gamma}");
            Agree(t => LossLab.Losses.focal_loss(t, y, gamma, w, reduction: Reduction.None), x, $"extreme gamma={gamma}");
        }
    }

    [Fact]
    public void EveryTargetIgnoredGivesTheCompositesNaNMeanAndZeroGradient()
    {
        var x = Logits(4, 5, 2, ScalarType.Float64);
        var y = LossLab.Tests.Support.T.I64(-100, -100, -100, -100);
        var (value, grad, _) = Evaluate(t => LossLab.Losses.focal_loss(t, y), x, fused: true, null);
        Assert.True(double.IsNaN(value[0]));
        Assert.All(grad, g => Assert.Equal(0.0, g));
    }

    [Fact]
    public void WeightsThatWantAGradientUseTheCompositeForm()
    {
        var x = Logits(6, 4, 2, ScalarType.Float64);
        var w = Uniform([4], 0.5, 2).requires_grad_(true);
        Assert.False(FusedFocal.Applies(x, w));
        LossLab.Losses.focal_loss(x, Labels(6, 4), 2.0, w).backward();
        Assert.NotNull(w.grad);
    }
}
