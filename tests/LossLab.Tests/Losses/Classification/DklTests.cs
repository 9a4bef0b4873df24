using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

/// <summary>The decoupled-KL pieces in plain doubles, written from the paper's (N, C, C) logit-difference form.</summary>
internal static class DklRef
{
    public static double[] Softmax(double[] row, double t = 1) => ClassificationRef.LogSoftmax(row.Select(v => v / t).ToArray()).Select(Math.Exp).ToArray();

    // sum_jk w_j w_k ((m_j - m_k) - (n_j - n_k))^2 by the double loop.
    public static double PairSum(double[] w, double[] m, double[] n)
    {
        double s = 0;
        for (int j = 0; j < w.Length; j++)
            for (int k = 0; k < w.Length; k++)
            {
                double diff = (m[j] - m[k]) - (n[j] - n[k]);
                s += w[j] * w[k] * diff * diff;
            }
        return s;
    }

    // -sum_j softmax(target/T)_j log softmax(input/T)_j
    public static double SoftCe(double[] input, double[] target, double t)
    {
        var q = Softmax(target, t);
        var lp = ClassificationRef.LogSoftmax(input.Select(v => v / t).ToArray());
        return -q.Zip(lp, (a, b) => a * b).Sum();
    }

    // Value and gradients (w.r.t. both logits) finite for float32 logits of magnitude 1e4.
    public static void FiniteAtExtremes(Func<Tensor, Tensor, Tensor> loss)
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 3f }, 2, 3).requires_grad_(true);
        var t = T.F32(new[] { -1e4f, 1e4f, 0f, 1e4f, 0f, -1e4f }, 2, 3).requires_grad_(true);
        var value = loss(x, t);
        T.Finite(value, "loss");
        var g = torch.autograd.grad(new List<Tensor> { value }, new List<Tensor> { x, t });
        T.Finite(g[0], "gradient w.r.t. input");
        T.Finite(g[1], "gradient w.r.t. target");
    }
}

public class DklTests
{
    private static readonly double[] In = { 1.0, -0.5, 2.0, 0.2, /**/ 0.3, 0.1, -1.2, 0.9, /**/ -2.0, 3.0, 0.5, 0.0 };
    private static readonly double[] Tg = { 2.5, 0.0, 1.0, -0.4, /**/ -1.0, 2.0, 0.5, 0.3, /**/ 0.0, 4.0, -3.0, 1.0 };
    private static readonly double[] Prior = { 0.7, 0.1, 0.1, 0.1, /**/ 0.2, 0.5, 0.2, 0.1, /**/ 0.1, 0.1, 0.6, 0.2, /**/ 0.25, 0.25, 0.25, 0.25 };
    private static readonly long[] Labels = { 0, 2, 1 };

    private static double[] Reference(double alpha, double beta, double temperature, bool prior)
    {
        var x = ClassificationRef.Rows(In, 4);
        var t = ClassificationRef.Rows(Tg, 4);
        var p = ClassificationRef.Rows(Prior, 4);
        return x.Select((row, i) =>
        {
            var zn = row.Select(v => v / temperature).ToArray();
            var zm = t[i].Select(v => v / temperature).ToArray();
            var w = prior ? p[Labels[i]] : DklRef.Softmax(zm);
            return alpha / 4 * DklRef.PairSum(w, zm, zn) + beta * DklRef.SoftCe(row, t[i], temperature);
        }).ToArray();
    }

    [Theory]
    [InlineData(1.0, 1.0, 1.0, false)]
    [InlineData(3.0, 0.5, 2.0, false)]
    [InlineData(1.0, 2.0, 1.0, true)]
    public void ValueMatchesThePairwiseFormForEachReduction(double alpha, double beta, double temperature, bool prior)
    {
        var want = Reference(alpha, beta, temperature, prior);
        var x = T.F64(In, 3, 4);
        var t = T.F64(Tg, 3, 4);
        Tensor? cp = prior ? T.F64(Prior, 4, 4) : null;
        Tensor? lb = prior ? T.I64(Labels) : null;
        foreach (bool asym in new[] { true, false })
        {
            T.Close(want, F.dkl_loss(x, t, alpha, beta, temperature, asym, cp, lb, Reduction.None));
            T.Close(want.Average(), F.dkl_loss(x, t, alpha, beta, temperature, asym, cp, lb));
            T.Close(want.Sum(), F.dkl_loss(x, t, alpha, beta, temperature, asym, cp, lb, Reduction.Sum));
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    public void WithUnitWeightsAndNoGlobalTermItsGradientsAreThoseOfKl(double temperature)
    {
        // The paper's theorem: grad DKL = grad KL(softmax(target/T) || softmax(input/T)), for both logits.
        var x = T.F64(In, 3, 4).requires_grad_(true);
        var t = T.F64(Tg, 3, 4).requires_grad_(true);
        var dkl = F.dkl_loss(x, t, temperature: temperature, reduction: Reduction.Sum);
        var g = torch.autograd.grad(new List<Tensor> { dkl }, new List<Tensor> { x, t });
        var xr = ClassificationRef.Rows(In, 4);
        var tr = ClassificationRef.Rows(Tg, 4);
        var gx = T.Values(g[0]);
        var gt = T.Values(g[1]);
        for (int i = 0; i < 3; i++)
        {
            var sn = DklRef.Softmax(xr[i], temperature);
            var sm = DklRef.Softmax(tr[i], temperature);
            double kl = 0;
            for (int c = 0; c < 4; c++) kl += sm[c] * (Math.Log(sm[c]) - Math.Log(sn[c]));
            for (int c = 0; c < 4; c++)
            {
                // d KL / d input_c = (sn_c - sm_c) / T;  d KL / d target_c = sm_c (log sm_c - log sn_c - KL) / T
                Assert.Equal((sn[c] - sm[c]) / temperature, gx[i * 4 + c], 12);
                Assert.Equal(sm[c] * (Math.Log(sm[c]) - Math.Log(sn[c]) - kl) / temperature, gt[i * 4 + c], 12);
            }
        }
        // and libtorch's kl_div agrees (batchmean over the same samples)
        var x2 = T.F64(In, 3, 4).requires_grad_(true);
        var t2 = T.F64(Tg, 3, 4).requires_grad_(true);
        var kd = torch.nn.functional.kl_div(torch.nn.functional.log_softmax(x2 / temperature, 1), torch.nn.functional.log_softmax(t2 / temperature, 1), reduction: nn.Reduction.Sum, log_target: true);
        var gk = torch.autograd.grad(new List<Tensor> { kd }, new List<Tensor> { x2, t2 });
        T.Close(T.Values(gk[0]), g[0]);
        T.Close(T.Values(gk[1]), g[1]);
    }

    [Fact]
    public void BreakingTheAsymmetryLetsTheWmseTrainTheInput()
    {
        // Everything held depends on the target only, so the IKL gradient w.r.t. the input is that of the value;
        // the DKL one is that of the cross-entropy alone.
        const double h = 1e-6;
        var t = T.F64(Tg, 3, 4);
        var gIkl = T.Values(T.Grad(v => F.dkl_loss(v, t, 2.0, 0.5, asymmetric: false, reduction: Reduction.Sum), T.F64(In, 3, 4)));
        var gDkl = T.Values(T.Grad(v => F.dkl_loss(v, t, 2.0, 0.5, asymmetric: true, reduction: Reduction.Sum), T.F64(In, 3, 4)));
        var tr = ClassificationRef.Rows(Tg, 4);
        for (int e = 0; e < In.Length; e++)
        {
            double Value(double delta, double alpha)
            {
                var xs = (double[])In.Clone();
                xs[e] += delta;
                return ClassificationRef.Rows(xs, 4).Select((row, i) => alpha / 4 * DklRef.PairSum(DklRef.Softmax(tr[i]), tr[i], row) + 0.5 * DklRef.SoftCe(row, tr[i], 1)).Sum();
            }
            Assert.Equal((Value(h, 2.0) - Value(-h, 2.0)) / (2 * h), gIkl[e], 6);
            Assert.Equal((Value(h, 0.0) - Value(-h, 0.0)) / (2 * h), gDkl[e], 6);
        }
    }

    [Fact]
    public void RegistryEntryTakesTheGlobalInformationAsNamedInputs()
    {
        var want = Reference(1.0, 2.0, 1.0, true);
        var spec = LossCatalog.Create("dkl:beta=2,asymmetric=false");
        var got = spec.Forward(new Dictionary<string, Tensor> { ["input"] = T.F64(In, 3, 4), ["target"] = T.F64(Tg, 3, 4), ["class_prior"] = T.F64(Prior, 4, 4), ["labels"] = T.I64(Labels) });
        T.Close(want.Average(), got);
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        foreach (bool asym in new[] { true, false })
        {
            DklRef.FiniteAtExtremes((x, t) => F.dkl_loss(x, t, asymmetric: asym));
            DklRef.FiniteAtExtremes((x, t) => F.dkl_loss(x, t, asymmetric: asym, temperature: 4));
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = T.F64(In, 3, 4);
        var t = T.F64(Tg, 3, 4);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.dkl_loss(x, torch.zeros(3, 3, dtype: ScalarType.Float64))).Message);
        Assert.Contains("labels", Assert.Throws<ArgumentException>(() => F.dkl_loss(x, t, class_prior: T.F64(Prior, 4, 4))).Message);
        Assert.Contains("class_prior", Assert.Throws<ArgumentException>(() => F.dkl_loss(x, t, class_prior: torch.ones(3, 4, dtype: ScalarType.Float64), labels: T.I64(Labels))).Message);
        Assert.Contains("class_prior", Assert.Throws<ArgumentException>(() => F.dkl_loss(x, t, class_prior: -T.F64(Prior, 4, 4), labels: T.I64(Labels))).Message);
        Assert.Contains("labels", Assert.Throws<ArgumentException>(() => F.dkl_loss(x, t, class_prior: T.F64(Prior, 4, 4), labels: T.I64(0, 4, 1))).Message);
        Assert.Contains("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => F.dkl_loss(x, t, temperature: 0)).Message);
        Assert.Contains("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => F.dkl_loss(x, t, alpha: -1)).Message);
    }
}
