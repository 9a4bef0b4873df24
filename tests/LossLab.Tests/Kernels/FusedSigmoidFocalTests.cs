using LossLab.Kernels;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static LossLab.Tests.Kernels.FusedAgreement;

namespace LossLab.Tests.Kernels;

/// <summary>The fused sigmoid focal loss against its composite form (fused kernels off).</summary>
[Collection(FusedKernelSwitchCollection.Name)]
public class FusedSigmoidFocalTests
{
    public static TheoryData<ScalarType, string, double, double, bool> Cases()
    {
        var d = new TheoryData<ScalarType, string, double, double, bool>();
        foreach (var dt in FloatTypes)
            foreach (var red in Reductions)
                foreach (var (alpha, gamma) in new[] { (0.25, 2.0), (-1.0, 2.0), (0.25, 0.0), (0.9, 1.0), (0.5, 0.7), (-1.0, 3.5) })
                    foreach (var soft in new[] { false, true })
                        d.Add(dt, red, alpha, gamma, soft);
        return d;
    }

    private static Tensor Targets(long[] shape, bool soft) =>
        soft ? Uniform(shape, 0, 1, 9) : Uniform(shape, 0, 1, 9).gt(0.6).to_type(ScalarType.Float64);

    [Theory]
    [MemberData(nameof(Cases))]
    public void AgreesWithTheCompositeForm(ScalarType dtype, string red, double alpha, double gamma, bool soft)
    {
        // (17, 13): rows that are not a whole number of vectors, so the padded tail runs too
        var x = Logits(17, 13, 3, dtype);
        var t = Targets([17, 13], soft).to_type(dtype);
        Assert.True(FusedSigmoidFocal.Applies(x, t));
        Agree(v => LossLab.Losses.sigmoid_focal_loss(v, t, alpha, gamma, ReductionExtensions.Parse(red)), x, $"{dtype} {red} alpha={alpha} gamma={gamma} soft={soft}");
    }

    [Theory]
    [InlineData(new long[] { 5 })]
    [InlineData(new long[] { 1, 3 })]
    [InlineData(new long[] { 2, 3, 4, 5 })]
    [InlineData(new long[] { 300, 257 })]
    public void AnyShape(long[] shape)
    {
        var x = (torch.randn(shape, dtype: ScalarType.Float64, generator: new Generator(3)) * 3).to_type(ScalarType.Float32);
        var t = Targets(shape, soft: false).to_type(ScalarType.Float32);
        Agree(v => LossLab.Losses.sigmoid_focal_loss(v, t, reduction: Reduction.Mean), x, $"[{string.Join(",", shape)}] mean");
        Agree(v => LossLab.Losses.sigmoid_focal_loss(v, t), x, $"[{string.Join(",", shape)}] none");
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = Extreme(4);
        foreach (var soft in new[] { false, true })
        {
            var t = Targets([3, 4], soft).to_type(ScalarType.Float32);
            foreach (var gamma in new[] { 0.0, 0.5, 1.0, 2.0, 3.5 })
            {
                Finite(v => LossLab.Losses.sigmoid_focal_loss(v, t, 0.25, gamma, Reduction.Sum), x, $"gamma={gamma} soft={soft}");
                Agree(v => LossLab.Losses.sigmoid_focal_loss(v, t, 0.25, gamma), x, $"extreme gamma={gamma} soft={soft}", atol: 1e-5);
            }
        }
    }

    /// <summary>The fused kernel checks the targets' range in its own pass: a target outside [0, 1] or NaN, in any
    /// position (the vector body or the tail) and with every reduction, gives the same error as the composite form;
    /// a NaN logit is not an error and gives NaN.</summary>
    [Fact]
    public void TargetsOutsideTheUnitIntervalAreRejected()
    {
        foreach (var dt in FloatTypes)
            foreach (var red in new[] { Reduction.None, Reduction.Mean, Reduction.Sum })
                foreach (var bad in new[] { -0.5, 1.5, double.NaN })
                    foreach (var at in new[] { 0L, 29L, 36L })
                        foreach (var fused in new[] { true, false })
                        {
                            var x = Logits(37, 1, 2, dt).reshape(37);
                            var t = Targets([37], soft: true).to_type(dt);
                            t[at] = torch.tensor(bad, dtype: dt);
                            Assert.Equal(fused, FusedSigmoidFocal.Applies(x, t) && fused);
                            bool was = FusedKernels.Enabled;
                            FusedKernels.Enabled = fused;
                            try
                            {
                                var e = Assert.Throws<ArgumentException>(() => LossLab.Losses.sigmoid_focal_loss(x, t, 0.25, 2.0, red));
                                Assert.Contains("target", e.Message);
                            }
                            finally
                            {
                                FusedKernels.Enabled = was;
                            }
                        }
        // a NaN logit: NaN loss and a NaN gradient at that element only, with and without the modulator
        foreach (var gamma in new[] { 0.0, 2.0 })
        {
            var xs = Logits(5, 3, 2, ScalarType.Float32).detach();
            xs[1, 2] = torch.tensor(float.NaN);
            xs.requires_grad_(true);
            var value = LossLab.Losses.sigmoid_focal_loss(xs, Targets([5, 3], soft: false).to_type(ScalarType.Float32), gamma: gamma, reduction: Reduction.Sum);
            Assert.True(float.IsNaN(value.item<float>()));
            value.backward();
            var g = xs.grad!;
            Assert.True(float.IsNaN(g[1, 2].item<float>()));
            Assert.Equal(14, g.isfinite().sum().item<long>());
        }
    }

    [Fact]
    public void FallsBackWhereItMust()
    {
        var x = Logits(4, 3, 2, ScalarType.Float64);
        var t = Targets([4, 3], soft: true).requires_grad_(true);
        Assert.False(FusedSigmoidFocal.Applies(x, t));
        Assert.False(FusedSigmoidFocal.Applies(torch.tensor(0.5), torch.tensor(1.0)));
        Assert.False(FusedSigmoidFocal.Applies(x.to_type(ScalarType.Float16), t.detach()));
    }
}
