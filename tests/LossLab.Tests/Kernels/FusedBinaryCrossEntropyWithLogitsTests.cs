using LossLab.Kernels;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static LossLab.Tests.Kernels.FusedAgreement;

namespace LossLab.Tests.Kernels;

/// <summary>The fused binary cross-entropy on logits against its composite form (fused kernels off).</summary>
[Collection(FusedKernelSwitchCollection.Name)]
public class FusedBinaryCrossEntropyWithLogitsTests
{
    /// <summary>Weight shapes for a (N, C) input: none, one value, per column, per row, per element.</summary>
    public static readonly string[] WeightKinds = ["none", "scalar", "column", "row", "full"];

    private static Tensor? Weight(string kind, long n, long c, ulong seed) => kind switch
    {
        "scalar" => torch.tensor(1.7, dtype: ScalarType.Float64),
        "column" => Uniform([c], 0.5, 3, seed),
        "row" => Uniform([n, 1], 0.5, 3, seed),
        "full" => Uniform([n, c], 0.5, 3, seed),
        _ => null,
    };

    public static TheoryData<ScalarType, string, string, string, long> Cases()
    {
        var d = new TheoryData<ScalarType, string, string, string, long>();
        foreach (var dt in FloatTypes)
            foreach (var red in Reductions)
                foreach (var w in WeightKinds)
                    foreach (var pw in new[] { "none", "scalar", "column", "full" })
                        foreach (var c in new[] { 11L, 70L }) // 70: a per-column weight is read as a vector (rows of 2 vectors and a tail)
                            d.Add(dt, red, w, pw, c);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AgreesWithTheCompositeForm(ScalarType dtype, string red, string weightKind, string posWeightKind, long c)
    {
        var x = Logits(13, c, 3, dtype);
        var t = Uniform([13, c], 0, 1, 9).to_type(dtype); // soft targets
        var w = Weight(weightKind, 13, c, 10);
        var pw = Weight(posWeightKind, 13, c, 11);
        Assert.True(FusedBinaryCrossEntropyWithLogits.Applies(x, t, w, pw));
        Agree(v => LossLab.Losses.binary_cross_entropy_with_logits(v, t, w, ReductionExtensions.Parse(red), pw), x, $"{dtype} {red} weight={weightKind} pos_weight={posWeightKind} C={c}");
    }

    [Theory]
    [InlineData(new long[] { 5 })]
    [InlineData(new long[] { 1, 3 })]
    [InlineData(new long[] { 2, 3, 40 })]
    [InlineData(new long[] { 300, 257 })]
    public void AnyShapeWithBinaryTargets(long[] shape)
    {
        var x = (torch.randn(shape, dtype: ScalarType.Float64, generator: new Generator(3)) * 3).to_type(ScalarType.Float32);
        var t = Uniform(shape, 0, 1, 9).gt(0.5).to_type(ScalarType.Float32);
        var pw = Uniform([shape[^1]], 0.5, 3, 4);
        Agree(v => LossLab.Losses.binary_cross_entropy_with_logits(v, t, pos_weight: pw), x, $"[{string.Join(",", shape)}] mean");
        Agree(v => LossLab.Losses.binary_cross_entropy_with_logits(v, t, reduction: Reduction.None), x, $"[{string.Join(",", shape)}] none");
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = Extreme(4);
        var t = Uniform([3, 4], 0, 1, 9).to_type(ScalarType.Float32);
        var pw = Uniform([4], 0.5, 3, 4).to_type(ScalarType.Float32);
        Finite(v => LossLab.Losses.binary_cross_entropy_with_logits(v, t, pos_weight: pw), x, "extreme");
        Agree(v => LossLab.Losses.binary_cross_entropy_with_logits(v, t, reduction: Reduction.None, pos_weight: pw), x, "extreme", atol: 1e-5);
    }

    [Fact]
    public void GradientsForTheTargetOrTheWeightsUseTheCompositeForm()
    {
        var x = Logits(4, 3, 2, ScalarType.Float64);
        var t = Uniform([4, 3], 0, 1, 9);
        var w = Uniform([3], 0.5, 2, 5);
        Assert.False(FusedBinaryCrossEntropyWithLogits.Applies(x, t.requires_grad_(true), null, null));
        Assert.False(FusedBinaryCrossEntropyWithLogits.Applies(x, t.detach(), w.requires_grad_(true), null));
        Assert.False(FusedBinaryCrossEntropyWithLogits.Applies(x, t.detach(), null, w));
        LossLab.Losses.binary_cross_entropy_with_logits(x, t, w).backward();
        Assert.NotNull(t.grad);
        Assert.NotNull(w.grad);
    }
}
