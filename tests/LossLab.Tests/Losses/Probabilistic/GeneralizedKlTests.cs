using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Probabilistic;

public class GeneralizedKlTests
{
    private static readonly double[] Q = { 1.0, 2.0, 0.5, 3.0, 0.0, 4.0 };
    private static readonly double[] P = { 2.0, 2.0, 0.0, 1.0, 0.0, 0.5 };

    private static double Term(double p, double q) => (p > 0 ? p * Math.Log(p / q) : 0) - p + q;

    [Fact]
    public void MatchesTheDefinitionForEachReduction()
    {
        // entry 2: p = 0 -> q; entry 4: p = q = 0 -> 0; entry 1: p = q -> 0
        var each = Q.Zip(P, (q, p) => Term(p, q)).ToArray();
        T.Close(each, F.generalized_kl_loss(T.F64(Q, 2, 3), T.F64(P, 2, 3), reduction: Reduction.None));
        T.Close(each.Average(), F.generalized_kl_loss(T.F64(Q), T.F64(P)));
        T.Close(each.Sum(), F.generalized_kl_loss(T.F64(Q), T.F64(P), reduction: Reduction.Sum));
        T.Close(2 * Math.Log(2) - 1, F.generalized_kl_loss(T.F64(new[] { 1.0 }), T.F64(new[] { 2.0 })));
    }

    [Fact]
    public void LogInputGivesTheSameValues()
    {
        var q = Q.Where(v => v > 0).ToArray();
        var p = P.Where((_, i) => Q[i] > 0).ToArray();
        var logq = T.F64(q.Select(v => Math.Log(v)).ToArray());
        T.Close(T.Values(F.generalized_kl_loss(T.F64(q), T.F64(p), reduction: Reduction.None)), F.generalized_kl_loss(logq, T.F64(p), log_input: true, reduction: Reduction.None));
        // an input of -inf (q = 0) against p = 0 is 0, not NaN
        T.Close(0.0, F.generalized_kl_loss(T.F64(new[] { double.NegativeInfinity }), T.F64(new[] { 0.0 }), log_input: true), atol: 1e-15);
    }

    [Fact]
    public void IsPoissonNllPlusATargetOnlyTerm()
    {
        var g = new Generator(9);
        var q = torch.rand(4, 3, dtype: ScalarType.Float64, generator: g) * 5 + 0.1;
        var p = torch.randint(0, 6, new long[] { 4, 3 }, dtype: ScalarType.Float64, generator: g);
        var pv = T.Values(p);
        double targetOnly = pv.Sum(v => (v > 0 ? v * Math.Log(v) : 0) - v);
        var poisson = T.Scalar(F.poisson_nll_loss(q, p, log_input: false, eps: 0, reduction: Reduction.Sum));
        T.Close(poisson + targetOnly, F.generalized_kl_loss(q, p, reduction: Reduction.Sum));
    }

    [Fact]
    public void OnNormalisedMeasuresItIsTheKlDivergence()
    {
        double[] p = { 0.2, 0.5, 0.3 }, q = { 0.4, 0.4, 0.2 };
        T.Close(ProbabilisticRef.Kl(p, q), F.generalized_kl_loss(T.F64(q), T.F64(p), reduction: Reduction.Sum));
    }

    [Fact]
    public void GradientIsOneMinusTheRatioAndFiniteAtZeroMass()
    {
        var g = T.Grad(v => F.generalized_kl_loss(v, T.F64(P), reduction: Reduction.Sum), T.F64(Q));
        // p = q = 0 (entry 4): the term is q, gradient 1
        T.Close(Q.Zip(P, (q, p) => p > 0 ? 1 - p / q : 1.0).ToArray(), g);
        var glog = T.Grad(v => F.generalized_kl_loss(v, T.F64(new[] { 2.0, 0.0 }), log_input: true, reduction: Reduction.Sum), T.F64(new[] { 0.0, 1.0 }));
        T.Close(new[] { 1 - 2.0, Math.E }, glog);
    }

    [Fact]
    public void Float32LargeValuesStayFiniteAndModuleMatches()
    {
        var q = T.F32(new[] { 1e4f, 1e-4f, 0f }, 3);
        var p = T.F32(new[] { 1e-4f, 1e4f, 0f }, 3);
        T.Finite(F.generalized_kl_loss(q, p), "loss");
        T.Finite(T.Grad(v => F.generalized_kl_loss(v, p), q), "gradient");
        T.Close(T.Values(F.generalized_kl_loss(q, p, reduction: Reduction.None)), new GeneralizedKlLoss(reduction: Reduction.None).forward(q, p));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var ok = T.F64(new[] { 1.0, 2.0 });
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.generalized_kl_loss(ok, T.F64(new[] { -1.0, 2.0 }))).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.generalized_kl_loss(T.F64(new[] { -1.0, 2.0 }), ok)).Message);
        F.generalized_kl_loss(T.F64(new[] { -1.0, 2.0 }), ok, log_input: true);   // a negative log-measure is fine
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.generalized_kl_loss(ok, T.F64(new[] { 1.0 }))).Message);
    }
}
