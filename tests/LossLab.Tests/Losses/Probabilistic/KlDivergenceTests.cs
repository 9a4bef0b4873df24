using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static LossLab.Tests.Losses.Probabilistic.ProbabilisticRef;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Probabilistic;

public class KlDivergenceTests
{
    // (3, 4) logits of the model (input) and of the reference (target)
    private static readonly double[] Q = { 1.0, -0.5, 2.0, 0.3, 0.0, 0.0, 0.0, 0.0, -3.0, 4.0, 0.5, 1.5 };
    private static readonly double[] P = { 0.2, 0.1, 1.5, -1.0, 2.0, -2.0, 0.5, 0.0, 1.0, 3.0, -0.5, 0.5 };

    private static double[] PerRow(double[] input, double[] target, bool reverse) =>
        Enumerable.Range(0, 3).Select(r =>
        {
            var q = Softmax(Row(input, 4, r));
            var p = Softmax(Row(target, 4, r));
            return reverse ? Kl(q, p) : Kl(p, q);
        }).ToArray();

    [Theory]
    [InlineData(KlDirection.Forward)]
    [InlineData(KlDirection.Reverse)]
    public void LogitsMatchTheDefinitionForEachReduction(KlDirection direction)
    {
        var each = PerRow(Q, P, direction == KlDirection.Reverse);
        var q = T.F64(Q, 3, 4);
        var p = T.F64(P, 3, 4);
        T.Close(each, F.kl_divergence_loss(q, p, direction: direction, reduction: Reduction.None));
        T.Close(each.Average(), F.kl_divergence_loss(q, p, direction: direction));
        T.Close(each.Sum(), F.kl_divergence_loss(q, p, direction: direction, reduction: Reduction.Sum));
        T.Close(each.Sum() / 3, F.kl_divergence_loss(q, p, direction: direction, reduction: Reduction.BatchMean));
    }

    [Fact]
    public void ProbabilitiesAreNormalisedAndGiveTheSameValuesAsLogits()
    {
        var qp = Enumerable.Range(0, 3).SelectMany(r => Softmax(Row(Q, 4, r)).Select(v => 3 * v)).ToArray();   // rows sum to 3
        var pp = Enumerable.Range(0, 3).SelectMany(r => Softmax(Row(P, 4, r))).ToArray();
        T.Close(PerRow(Q, P, false), F.kl_divergence_loss(T.F64(qp, 3, 4), T.F64(pp, 3, 4), CategoricalInput.Probs, reduction: Reduction.None));
        T.Close(PerRow(Q, P, true), F.kl_divergence_loss(T.F64(qp, 3, 4), T.F64(pp, 3, 4), CategoricalInput.Probs, KlDirection.Reverse, Reduction.None));
    }

    [Fact]
    public void ForwardBatchmeanIsPyTorchsKlDivOnLogSoftmax()
    {
        var q = T.F64(Q, 3, 4);
        var p = T.F64(P, 3, 4);
        var viaKlDiv = F.kl_div(torch.nn.functional.log_softmax(q, 1), torch.softmax(p, 1), Reduction.BatchMean);
        T.Close(T.Scalar(viaKlDiv), F.kl_divergence_loss(q, p, reduction: Reduction.BatchMean));
    }

    [Fact]
    public void ZerosInTheProbabilities()
    {
        // p has a zero where q has mass: that term is 0 and the gradient is finite.
        var q = T.F64(new[] { 0.25, 0.25, 0.5 });
        var p = T.F64(new[] { 0.0, 0.5, 0.5 });
        T.Close(0.5 * Math.Log(2), F.kl_divergence_loss(q, p, CategoricalInput.Probs));
        T.Finite(T.Grad(v => F.kl_divergence_loss(v, p, CategoricalInput.Probs), q), "input gradient");
        T.Finite(T.Grad(v => F.kl_divergence_loss(q, v, CategoricalInput.Probs), p), "target gradient");
        // both zero in a class: finite gradients both ways
        var q0 = T.F64(new[] { 0.0, 0.5, 0.5 });
        T.Close(0.0, F.kl_divergence_loss(q0, p, CategoricalInput.Probs), atol: 1e-15);
        T.Finite(T.Grad(v => F.kl_divergence_loss(v, p, CategoricalInput.Probs, KlDirection.Reverse), q0), "gradient with a shared zero");
        // p has mass where q has none: +inf
        Assert.True(double.IsPositiveInfinity(T.Scalar(F.kl_divergence_loss(q0, q, CategoricalInput.Probs))));
    }

    [Fact]
    public void KDimensionalAndUnbatchedShapes()
    {
        // (2, 3, 2): distributions over dimension 1 at each of 2 positions
        var g = new Generator(11);
        var q = torch.randn(2, 3, 2, dtype: ScalarType.Float64, generator: g);
        var p = torch.randn(2, 3, 2, dtype: ScalarType.Float64, generator: g);
        double[] qv = T.Values(q), pv = T.Values(p);
        var want = new double[4];
        for (int n = 0; n < 2; n++)
            for (int d = 0; d < 2; d++)
            {
                var qs = Softmax(Enumerable.Range(0, 3).Select(c => qv[n * 6 + c * 2 + d]).ToArray());
                var ps = Softmax(Enumerable.Range(0, 3).Select(c => pv[n * 6 + c * 2 + d]).ToArray());
                want[n * 2 + d] = Kl(ps, qs);
            }
        var none = F.kl_divergence_loss(q, p, reduction: Reduction.None);
        Assert.Equal(new long[] { 2, 2 }, none.shape);
        T.Close(want, none);
        T.Close(want.Average(), F.kl_divergence_loss(q, p));
        T.Close(want.Sum() / 2, F.kl_divergence_loss(q, p, reduction: Reduction.BatchMean));
        // unbatched (C)
        T.Close(Kl(Softmax(Row(P, 4, 0)), Softmax(Row(Q, 4, 0))), F.kl_divergence_loss(T.F64(Row(Q, 4, 0)), T.F64(Row(P, 4, 0)), reduction: Reduction.BatchMean));
    }

    [Fact]
    public void GradientOfForwardKlIsSoftmaxMinusTarget()
    {
        var p = T.F64(P, 3, 4);
        var g = T.Grad(v => F.kl_divergence_loss(v, p, reduction: Reduction.Sum), T.F64(Q, 3, 4));
        var want = Enumerable.Range(0, 3).SelectMany(r => Softmax(Row(Q, 4, r)).Zip(Softmax(Row(P, 4, r)), (a, b) => a - b)).ToArray();
        T.Close(want, g);
    }

    [Fact]
    public void Float32ExtremeLogitsAndMaskedClassesStayFinite()
    {
        var q = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 0f }, 2, 3);
        var p = T.F32(new[] { -1e4f, 1e4f, 0f, 1e4f, 0f, -1e4f }, 2, 3);
        foreach (var dir in new[] { KlDirection.Forward, KlDirection.Reverse })
        {
            T.Finite(F.kl_divergence_loss(q, p, direction: dir), "loss");
            T.Finite(T.Grad(v => F.kl_divergence_loss(v, p, direction: dir), q), "input gradient");
            T.Finite(T.Grad(v => F.kl_divergence_loss(q, v, direction: dir), p), "target gradient");
        }
        // a class masked out with -inf in both
        var qm = T.F32(new[] { 1f, float.NegativeInfinity, 0.5f }, 1, 3);
        var pm = T.F32(new[] { 0f, float.NegativeInfinity, 2f }, 1, 3);
        T.Finite(F.kl_divergence_loss(qm, pm), "masked loss");
        T.Finite(T.Grad(v => F.kl_divergence_loss(v, pm), qm), "masked gradient");
        T.Close(T.Values(F.kl_divergence_loss(q, p, direction: KlDirection.Reverse, reduction: Reduction.None)),
            new KlDivergenceLoss(direction: KlDirection.Reverse, reduction: Reduction.None).forward(q, p));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.rand(3, 4, dtype: ScalarType.Float64);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.kl_divergence_loss(x, torch.rand(3, 5, dtype: ScalarType.Float64))).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.kl_divergence_loss(x, x.to_type(ScalarType.Float32))).Message);
        var negative = T.F64(new[] { 0.5, -0.1, 0.6 });
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.kl_divergence_loss(negative, T.F64(new[] { 0.3, 0.3, 0.4 }), CategoricalInput.Probs)).Message);
        var zeroRow = T.F64(new[] { 0.0, 0.0, 0.0 });
        Assert.Contains("positive total", Assert.Throws<ArgumentException>(() => F.kl_divergence_loss(T.F64(new[] { 0.3, 0.3, 0.4 }), zeroRow, CategoricalInput.Probs)).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.kl_divergence_loss(torch.zeros(3, 4, dtype: ScalarType.Int64), x)).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.kl_divergence_loss(torch.tensor(1.0), torch.tensor(1.0))).Message);
        Assert.Throws<ArgumentException>(() => LossCatalog.Create("kl_divergence:direction=backward"));
        Assert.Equal(LossLab.Reduction.BatchMean, LossCatalog.Create("kl_divergence:reduction=batchmean").Parameters.Reduction);
    }
}
