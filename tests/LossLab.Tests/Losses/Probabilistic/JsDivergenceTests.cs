using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static LossLab.Tests.Losses.Probabilistic.ProbabilisticRef;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Probabilistic;

public class JsDivergenceTests
{
    private static readonly double[] A = { 1.0, -0.5, 2.0, 0.3, 0.0, 0.0, 0.0, 0.0, -3.0, 4.0, 0.5, 1.5 };
    private static readonly double[] B = { 0.2, 0.1, 1.5, -1.0, 2.0, -2.0, 0.5, 0.0, 1.0, 3.0, -0.5, 0.5 };

    [Fact]
    public void MatchesTheDefinitionForEachReduction()
    {
        var each = Enumerable.Range(0, 3).Select(r => Js(Softmax(Row(A, 4, r)), Softmax(Row(B, 4, r)))).ToArray();
        var a = T.F64(A, 3, 4);
        var b = T.F64(B, 3, 4);
        T.Close(each, F.js_divergence_loss(a, b, reduction: Reduction.None));
        T.Close(each.Average(), F.js_divergence_loss(a, b));
        T.Close(each.Sum(), F.js_divergence_loss(a, b, reduction: Reduction.Sum));
        T.Close(each.Sum() / 3, F.js_divergence_loss(a, b, reduction: Reduction.BatchMean));
        var pa = Enumerable.Range(0, 3).SelectMany(r => Softmax(Row(A, 4, r))).ToArray();
        var pb = Enumerable.Range(0, 3).SelectMany(r => Softmax(Row(B, 4, r)).Select(v => 7 * v)).ToArray();   // unnormalised
        T.Close(each, F.js_divergence_loss(T.F64(pa, 3, 4), T.F64(pb, 3, 4), CategoricalInput.Probs, Reduction.None));
    }

    [Fact]
    public void IsSymmetricAndBoundedByLog2()
    {
        var g = new Generator(21);
        for (int k = 0; k < 5; k++)
        {
            var a = torch.randn(8, 6, dtype: ScalarType.Float64, generator: g) * (k + 1) * 3;
            var b = torch.randn(8, 6, dtype: ScalarType.Float64, generator: g) * (k + 1) * 3;
            var ab = F.js_divergence_loss(a, b, reduction: Reduction.None);
            var ba = F.js_divergence_loss(b, a, reduction: Reduction.None);
            T.Close(T.Values(ab), ba, rtol: 1e-12, atol: 1e-15);
            Assert.All(T.Values(ab), v => Assert.InRange(v, 0.0, Math.Log(2) + 1e-15));
        }
        // identical distributions: 0
        var x = T.F64(A, 3, 4);
        T.Close(new double[3], F.js_divergence_loss(x, x, reduction: Reduction.None), atol: 1e-15);
    }

    [Fact]
    public void DisjointSupportsReachLog2Exactly()
    {
        var p = T.F64(new[] { 0.5, 0.5, 0.0, 0.0 });
        var q = T.F64(new[] { 0.0, 0.0, 0.3, 0.7 });
        T.Close(Math.Log(2), F.js_divergence_loss(p, q, CategoricalInput.Probs), rtol: 1e-14);
        T.Finite(T.Grad(v => F.js_divergence_loss(v, q, CategoricalInput.Probs), p), "gradient");
        // float32 logits of magnitude 1e4 put (almost) all mass on different classes
        var a = T.F32(new[] { 1e4f, -1e4f, 0f }, 1, 3);
        var b = T.F32(new[] { -1e4f, 1e4f, 0f }, 1, 3);
        T.Close(Math.Log(2), F.js_divergence_loss(a, b), rtol: 1e-6);
        T.Finite(T.Grad(v => F.js_divergence_loss(v, b), a), "float32 input gradient");
        T.Finite(T.Grad(v => F.js_divergence_loss(a, v), b), "float32 target gradient");
    }

    [Fact]
    public void SharedZerosAndMaskedLogitsGiveFiniteGradients()
    {
        var p = T.F64(new[] { 0.0, 0.4, 0.6 });
        var q = T.F64(new[] { 0.0, 0.9, 0.1 });
        T.Close(Js(new[] { 0.0, 0.4, 0.6 }, new[] { 0.0, 0.9, 0.1 }), F.js_divergence_loss(p, q, CategoricalInput.Probs));
        T.Finite(T.Grad(v => F.js_divergence_loss(v, q, CategoricalInput.Probs), p), "gradient");
        var a = T.F32(new[] { float.NegativeInfinity, 1f, 2f }, 1, 3);
        var b = T.F32(new[] { float.NegativeInfinity, 0f, -1f }, 1, 3);
        T.Finite(F.js_divergence_loss(a, b), "masked loss");
        T.Finite(T.Grad(v => F.js_divergence_loss(v, b), a), "masked gradient");
    }

    [Fact]
    public void GradientMatchesFiniteDifferencesOfTheReference()
    {
        var b = T.F64(B, 3, 4);
        var g = T.Values(T.Grad(v => F.js_divergence_loss(v, b, reduction: Reduction.Sum), T.F64(A, 3, 4)));
        double Total(double[] a) => Enumerable.Range(0, 3).Sum(r => Js(Softmax(Row(a, 4, r)), Softmax(Row(B, 4, r))));
        const double h = 1e-6;
        for (int i = 0; i < A.Length; i++)
        {
            var up = (double[])A.Clone(); up[i] += h;
            var down = (double[])A.Clone(); down[i] -= h;
            double numeric = (Total(up) - Total(down)) / (2 * h);
            Assert.True(Math.Abs(numeric - g[i]) < 1e-7, $"entry {i}: autograd {g[i]}, numeric {numeric}");
        }
    }

    [Fact]
    public void ModuleMatchesAndBadInputGivesClearErrors()
    {
        var a = T.F64(A, 3, 4);
        var b = T.F64(B, 3, 4);
        T.Close(T.Values(F.js_divergence_loss(a, b, reduction: Reduction.Sum)), new JsDivergenceLoss(reduction: Reduction.Sum).forward(a, b));
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.js_divergence_loss(a, T.F64(B, 4, 3))).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => F.js_divergence_loss(T.F64(new[] { double.NaN, 1.0 }), T.F64(new[] { 0.5, 0.5 }), CategoricalInput.Probs)).Message);
    }
}
