using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static LossLab.Tests.Losses.Probabilistic.ProbabilisticRef;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regularization;

public class EntropyTests
{
    private static readonly double[] Z = { 1.0, -0.5, 2.0, 0.3, 0.0, 0.0, 0.0, 0.0, -3.0, 4.0, 0.5, 1.5 };   // (3, 4)

    [Fact]
    public void UniformDistributionHasEntropyLogC()
    {
        var z = torch.zeros(2, 5, dtype: ScalarType.Float64);
        T.Close(-Math.Log(5), F.entropy_loss(z));
        T.Close(Math.Log(5), F.entropy_loss(z, sign: EntropySign.Penalty));
        T.Close(Math.Log(5), F.entropy_loss(torch.full(5, 0.2, dtype: ScalarType.Float64), CategoricalInput.Probs, EntropySign.Penalty));
    }

    [Fact]
    public void LogitsMatchTheDefinitionForEachReductionAndSign()
    {
        var h = Enumerable.Range(0, 3).Select(r => Entropy(Softmax(Row(Z, 4, r)))).ToArray();
        var z = T.F64(Z, 3, 4);
        T.Close(h.Select(v => -v).ToArray(), F.entropy_loss(z, reduction: Reduction.None));
        T.Close(h, F.entropy_loss(z, sign: EntropySign.Penalty, reduction: Reduction.None));
        T.Close(-h.Average(), F.entropy_loss(z));
        T.Close(h.Sum(), F.entropy_loss(z, sign: EntropySign.Penalty, reduction: Reduction.Sum));
        // unnormalised probabilities give the same
        var p = Enumerable.Range(0, 3).SelectMany(r => Softmax(Row(Z, 4, r)).Select(v => 4 * v)).ToArray();
        T.Close(h, F.entropy_loss(T.F64(p, 3, 4), CategoricalInput.Probs, EntropySign.Penalty, Reduction.None));
    }

    [Fact]
    public void BonusGradientIsPTimesLogPPlusH()
    {
        // d(-H)/dz_i = p_i (log p_i + H)
        var g = T.Grad(v => F.entropy_loss(v, reduction: Reduction.Sum), T.F64(Z, 3, 4));
        var want = Enumerable.Range(0, 3).SelectMany(r =>
        {
            var p = Softmax(Row(Z, 4, r));
            double h = Entropy(p);
            return p.Select(pi => pi * (Math.Log(pi) + h));
        }).ToArray();
        T.Close(want, g);
    }

    [Fact]
    public void OneHotProbabilitiesHaveZeroEntropyAndFiniteGradient()
    {
        var p = T.F64(new[] { 0.0, 1.0, 0.0 });
        T.Close(0.0, F.entropy_loss(p, CategoricalInput.Probs), atol: 1e-15);
        T.Finite(T.Grad(v => F.entropy_loss(v, CategoricalInput.Probs), p), "gradient");
    }

    [Fact]
    public void KDimensionalInputGivesOneValuePerPosition()
    {
        var z = torch.randn(2, 3, 4, dtype: ScalarType.Float64, generator: new Generator(3));
        var zv = T.Values(z);
        var want = new double[8];
        for (int n = 0; n < 2; n++)
            for (int d = 0; d < 4; d++)
                want[n * 4 + d] = Entropy(Softmax(Enumerable.Range(0, 3).Select(c => zv[n * 12 + c * 4 + d]).ToArray()));
        var none = F.entropy_loss(z, sign: EntropySign.Penalty, reduction: Reduction.None);
        Assert.Equal(new long[] { 2, 4 }, none.shape);
        T.Close(want, none);
    }

    [Fact]
    public void Float32ExtremeLogitsStayFiniteAndModuleMatches()
    {
        var z = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 1e4f }, 2, 3);
        T.Finite(F.entropy_loss(z), "value");
        T.Finite(T.Grad(v => F.entropy_loss(v), z), "gradient");
        // the second row splits its mass evenly between two classes
        T.Close(new[] { 0.0, -Math.Log(2) }, F.entropy_loss(z, reduction: Reduction.None), atol: 1e-6);
        T.Close(T.Values(F.entropy_loss(z, sign: EntropySign.Penalty)), new EntropyLoss(sign: EntropySign.Penalty).forward(z));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.entropy_loss(T.F64(new[] { 0.5, -0.5, 1.0 }), CategoricalInput.Probs)).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.entropy_loss(torch.zeros(2, 3, dtype: ScalarType.Int64))).Message);
        Assert.Contains("batchmean", Assert.Throws<ArgumentException>(() => F.entropy_loss(torch.zeros(2, 3), reduction: Reduction.BatchMean)).Message);
        Assert.Throws<ArgumentException>(() => LossCatalog.Create("entropy:sign=negative"));
    }
}
