using LossLab.Kernels;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static LossLab.Tests.Kernels.FusedAgreement;

namespace LossLab.Tests.Kernels;

/// <summary>The fused poly-1 cross-entropy against its composite form (fused kernels off).</summary>
[Collection(FusedKernelSwitchCollection.Name)]
public class FusedPoly1CrossEntropyTests
{
    public static TheoryData<ScalarType, string, double, bool> Cases()
    {
        var d = new TheoryData<ScalarType, string, double, bool>();
        foreach (var dt in FloatTypes)
            foreach (var red in Reductions)
                foreach (var eps in new[] { 0.0, 1.0, -1.0, 2.5 })
                    foreach (var probabilities in new[] { false, true })
                        d.Add(dt, red, eps, probabilities);
        return d;
    }

    /// <summary>Seeded class probabilities (rows on the simplex), float64.</summary>
    private static Tensor Simplex(long n, long c) => torch.softmax(Logits(n, c, 2, ScalarType.Float64, 8), 1);

    [Theory]
    [MemberData(nameof(Cases))]
    public void AgreesWithTheCompositeForm(ScalarType dtype, string red, double epsilon, bool probabilities)
    {
        var x = Logits(37, 11, 3, dtype);
        var target = probabilities ? Simplex(37, 11).to_type(dtype) : Labels(37, 11);
        Assert.True(FusedPoly1CrossEntropy.Applies(x, target));
        Agree(t => LossLab.Losses.poly1_cross_entropy(t, target, epsilon, ReductionExtensions.Parse(red)), x, $"{dtype} {red} eps={epsilon} probabilities={probabilities}");
    }

    [Fact]
    public void ProbabilityTargetsThatDoNotSumToOneAndOtherDtypes()
    {
        // optax's form keeps the (1 - sum q) term; a float64 target with float32 logits is converted
        var x = Logits(9, 6, 2, ScalarType.Float32);
        var q = Uniform([9, 6], 0, 0.4);
        Agree(t => LossLab.Losses.poly1_cross_entropy(t, q, 1.5), x, "unnormalised");
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
            Agree(t => LossLab.Losses.poly1_cross_entropy(t, y, 2.0, ReductionExtensions.Parse(red)), x, $"({n},{c}) {red}");
            var q = Simplex(n, c);
            Agree(t => LossLab.Losses.poly1_cross_entropy(t, q, 2.0, ReductionExtensions.Parse(red)), x, $"({n},{c}) {red} probabilities");
        }
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = Extreme(5);
        var y = LossLab.Tests.Support.T.I64(0, 1, 2);
        var q = Simplex(3, 5).to_type(ScalarType.Float32);
        foreach (var eps in new[] { -1.0, 0.0, 2.0 })
        {
            Finite(t => LossLab.Losses.poly1_cross_entropy(t, y, eps), x, $"eps={eps}");
            Finite(t => LossLab.Losses.poly1_cross_entropy(t, q, eps), x, $"eps={eps} probabilities");
            Agree(t => LossLab.Losses.poly1_cross_entropy(t, y, eps, Reduction.None), x, $"extreme eps={eps}");
        }
    }

    [Fact]
    public void TargetsThatWantAGradientUseTheCompositeForm()
    {
        var x = Logits(6, 4, 2, ScalarType.Float64);
        var q = Simplex(6, 4).requires_grad_(true);
        Assert.False(FusedPoly1CrossEntropy.Applies(x, q));
        LossLab.Losses.poly1_cross_entropy(x, q).backward();
        Assert.NotNull(q.grad);
    }
}
