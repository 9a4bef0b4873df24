using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Divergence;

/// <summary>Every divergence and every variant of IQ Loss against closed forms written out here.</summary>
public class IqVariantTests
{
    private static double Softplus(double v) => v > 0 ? v + Math.Log(1 + Math.Exp(-v)) : Math.Log(1 + Math.Exp(v));
    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    private sealed record Form(Func<double, double> Act, Func<double, double> ActPrime, Func<double, double> PhiPrime);

    private static Form FormOf(string div, bool shifted = false)
    {
        double s = shifted ? Math.Log(Math.E - 1) : 0;
        return div switch
        {
            "chi" => new(x => x, _ => 1, _ => 1),
            "kl" => new(x => x, _ => 1, r => Math.Exp(-r)),
            "js" => new(x => Softplus(x) - Math.Log(2) + 1e-5, Sigmoid, r => Math.Exp(-r) / (2 - Math.Exp(-r))),
            "hellinger" => new(x => Softplus(x + s) - 1 + 1e-5, x => Sigmoid(x + s), r => 1 / ((1 + r) * (1 + r))),
            "total_variation" => new(x => Math.Tanh(x) / 2, x => (1 - Math.Tanh(x) * Math.Tanh(x)) / 2, _ => 1),
            "forward_kl" => new(x => Softplus(x) + 1e-5, Sigmoid, r => 1 / r),
            "pearson_chi2" => new(x => x, _ => 1, r => 1 - r / 2),
            "neyman_chi2" => new(x => Softplus(x + s) - 1 + 1e-5, x => Sigmoid(x + s), r => 1 / Math.Sqrt(1 + r)),
            _ => throw new ArgumentException(div),
        };
    }

    // Per-sample values and the surrogate gradient of the MEAN loss (phi' held), for one form.
    private static (double[] values, double[,] grad) Reference(double[,] x, long[] y, Form f, Func<double[], long, double>? phiOverride = null,
        double chiK = 0, bool chiTargetOnly = false, double tau = 1)
    {
        int n = x.GetLength(0), c = x.GetLength(1);
        var values = new double[n];
        var grad = new double[n, c];
        var ry = new double[n];
        for (int i = 0; i < n; i++) ry[i] = f.Act(x[i, y[i]]);
        for (int i = 0; i < n; i++)
        {
            var r = new double[c];
            for (int j = 0; j < c; j++) r[j] = f.Act(x[i, j]);
            double m = r.Max() / tau, z = r.Sum(v => Math.Exp(v / tau - m)), lse = m + Math.Log(z);
            double pp = phiOverride is null ? f.PhiPrime(ry[i]) : phiOverride(ry, i);
            values[i] = -pp * ry[i] + tau * lse;
            if (chiK != 0) values[i] += chiTargetOnly ? chiK * ry[i] * ry[i] : chiK * r.Sum(v => v * v) / c;
            for (int j = 0; j < c; j++)
            {
                double g = Math.Exp(r[j] / tau - lse) - (j == y[i] ? pp : 0);
                if (chiK != 0) g += chiTargetOnly ? (j == y[i] ? 2 * chiK * r[j] : 0) : 2 * chiK * r[j] / c;
                grad[i, j] = g * f.ActPrime(x[i, j]) / n;
            }
        }
        return (values, grad);
    }

    private static readonly double[,] X = { { 1.2, -0.7, 0.3, 2.1 }, { -1.5, 0.4, 0.9, -0.2 }, { 0.05, -2.2, 1.7, 0.6 }, { 0.5, 0.5, -0.3, -1.1 } };
    private static readonly long[] Y = { 3, 0, 2, 1 };
    private static Tensor Xt => T.F64(X.Cast<double>().ToArray(), 4, 4);

    private static void Expect(double[] values, double[,] grad, Func<Tensor, Tensor> perSample, Func<Tensor, Tensor> mean, double rtol = 1e-10)
    {
        T.Close(values, perSample(Xt), rtol, 1e-12);
        T.Close(values.Average(), mean(Xt), rtol, 1e-12);
        T.Close(grad.Cast<double>().ToArray(), T.Grad(mean, Xt), 1e-9, 1e-12);
    }

    [Theory]
    [InlineData("kl")]
    [InlineData("js")]
    [InlineData("hellinger")]
    [InlineData("total_variation")]
    [InlineData("forward_kl")]
    [InlineData("pearson_chi2")]
    [InlineData("neyman_chi2")]
    public void EveryDivergenceMatchesItsClosedForm(string div)
    {
        var (v, g) = Reference(X, Y, FormOf(div));
        var d = LossLab.DivergenceNames.Parse(div);
        Expect(v, g, x => LossLab.Losses.iq_loss(x, T.I64(Y), d, reduction: LossLab.Reduction.None), x => LossLab.Losses.iq_loss(x, T.I64(Y), d));
    }

    [Theory]
    [InlineData(0.5, false, false)]
    [InlineData(2.0, true, false)]
    [InlineData(0.5, false, true)]
    [InlineData(3.0, true, true)]
    public void ChiCoefficientAndScope(double alpha, bool iqLearn, bool targetOnly)
    {
        double k = iqLearn ? 1 / (4 * alpha) : alpha / 4;
        var (v, g) = Reference(X, Y, FormOf("chi"), chiK: k, chiTargetOnly: targetOnly);
        var o = new LossLab.IqOptions { Chi2Coefficient = iqLearn ? LossLab.Chi2Coefficient.IqLearn : LossLab.Chi2Coefficient.Paper, Chi2Scope = targetOnly ? LossLab.Chi2Scope.Target : LossLab.Chi2Scope.AllLogits };
        Expect(v, g, x => LossLab.Losses.iq_loss(x, T.I64(Y), LossLab.Divergence.Chi2, alpha, LossLab.Reduction.None, o), x => LossLab.Losses.iq_loss(x, T.I64(Y), LossLab.Divergence.Chi2, alpha, options: o));
    }

    [Fact]
    public void ChiOnTheTargetWithAlphaOneHasPearsonsGradient()
    {
        // phi(x) = x - x^2/4: holding phi' = 1 - r/2 (pearson_chi2) and differentiating -r + r^2/4 (chi, target scope,
        // alpha = 1) give the same gradient, though not the same value.
        var o = new LossLab.IqOptions { Chi2Scope = LossLab.Chi2Scope.Target };
        var a = T.Grad(x => LossLab.Losses.iq_loss(x, T.I64(Y), LossLab.Divergence.Chi2, 1.0, options: o), Xt);
        var b = T.Grad(x => LossLab.Losses.iq_loss(x, T.I64(Y), LossLab.Divergence.PearsonChi2), Xt);
        T.Close(T.Values(b), a, 1e-12, 1e-14);
    }

    [Fact]
    public void KlForms()
    {
        var kl = FormOf("kl");
        var y = T.I64(Y);
        var (v1, g1) = Reference(X, Y, kl, (ry, i) => Math.Exp(-ry[i] - 1));
        Expect(v1, g1, x => LossLab.Losses.iq_loss(x, y, LossLab.Divergence.ReverseKl, reduction: LossLab.Reduction.None, options: new() { KlForm = LossLab.KlForm.Original }),
            x => LossLab.Losses.iq_loss(x, y, LossLab.Divergence.ReverseKl, options: new() { KlForm = LossLab.KlForm.Original }));

        double[] Softmax(double[] v) { double m = v.Max(); var e = v.Select(a => Math.Exp(a - m)).ToArray(); double s = e.Sum(); return e.Select(a => a / s).ToArray(); }
        var (v2, g2) = Reference(X, Y, kl, (ry, i) => Softmax(ry.Select(r => -r).ToArray())[i] * ry.Length);
        Expect(v2, g2, x => LossLab.Losses.iq_loss(x, y, LossLab.Divergence.ReverseKl, reduction: LossLab.Reduction.None, options: new() { KlForm = LossLab.KlForm.BatchBiased }),
            x => LossLab.Losses.iq_loss(x, y, LossLab.Divergence.ReverseKl, options: new() { KlForm = LossLab.KlForm.BatchBiased }));

        // fixed: exp(-r), then log(1 + mean); its gradient is the appendix gradient / (1 + mean)
        var (v3, g3) = Reference(X, Y, kl);
        double mean = v3.Average();
        var fixedLoss = LossLab.Losses.iq_loss(Xt, y, LossLab.Divergence.ReverseKl, options: new() { KlForm = LossLab.KlForm.Fixed });
        T.Close(Math.Log(1 + mean), fixedLoss);
        T.Close(g3.Cast<double>().Select(v => v / (1 + mean)).ToArray(), T.Grad(x => LossLab.Losses.iq_loss(x, y, LossLab.Divergence.ReverseKl, options: new() { KlForm = LossLab.KlForm.Fixed }), Xt), 1e-9, 1e-12);
    }

    [Fact]
    public void ShiftedHellinger()
    {
        var (v, g) = Reference(X, Y, FormOf("hellinger", shifted: true));
        var o = new LossLab.IqOptions { ShiftedHellinger = true };
        Expect(v, g, x => LossLab.Losses.iq_loss(x, T.I64(Y), LossLab.Divergence.Hellinger, reduction: LossLab.Reduction.None, options: o), x => LossLab.Losses.iq_loss(x, T.I64(Y), LossLab.Divergence.Hellinger, options: o));
    }

    [Theory]
    [InlineData("chi", 0.5)]
    [InlineData("js", 2.0)]
    public void Temperature(string div, double tau)
    {
        var (v, g) = Reference(X, Y, FormOf(div), tau: tau);
        var d = LossLab.DivergenceNames.Parse(div);
        var o = new LossLab.IqOptions { Temperature = tau };
        Expect(v, g, x => LossLab.Losses.iq_loss(x, T.I64(Y), d, 0, LossLab.Reduction.None, o), x => LossLab.Losses.iq_loss(x, T.I64(Y), d, 0, options: o));
    }

    [Fact]
    public void TemperatureIsAbsorbedForChiButNotForKl()
    {
        const double tau = 0.3;
        var y = T.I64(Y);
        var o = new LossLab.IqOptions { Temperature = tau };
        // chi, alpha 0: loss_tau(x) = tau * loss_1(x / tau), a rescaling of logits and loss that a last layer absorbs
        T.Close(T.Scalar(LossLab.Losses.iq_loss(Xt / tau, y, LossLab.Divergence.Chi2, 0)) * tau, LossLab.Losses.iq_loss(Xt, y, LossLab.Divergence.Chi2, 0, options: o));
        // kl: the same identity fails, because phi is not linear
        double lhs = T.Scalar(LossLab.Losses.iq_loss(Xt / tau, y, LossLab.Divergence.ReverseKl)) * tau;
        double rhs = T.Scalar(LossLab.Losses.iq_loss(Xt, y, LossLab.Divergence.ReverseKl, options: o));
        Assert.True(Math.Abs(lhs - rhs) > 0.1, $"{lhs} vs {rhs}");
    }

    [Fact]
    public void HigherRankInputsAreFlattenedAsTheAppendixDoes()
    {
        var x = torch.randn(new long[] { 2, 3, 2, 2 }, dtype: ScalarType.Float64, generator: new Generator(5));
        var y = torch.randint(0, 3, new long[] { 2, 2, 2 }, generator: new Generator(6));
        var flatX = x.permute(0, 2, 3, 1).reshape(-1, 3);
        var flatY = y.reshape(-1);
        var d = LossLab.Divergence.JensenShannon;
        var none = LossLab.Losses.iq_loss(x, y, d, reduction: LossLab.Reduction.None);
        Assert.Equal(new long[] { 2, 2, 2 }, none.shape);
        T.Close(T.Values(LossLab.Losses.iq_loss(flatX, flatY, d, reduction: LossLab.Reduction.None)), none.reshape(-1), 1e-14, 1e-15);
        T.Close(T.Scalar(LossLab.Losses.iq_loss(flatX, flatY, d)), LossLab.Losses.iq_loss(x, y, d), 1e-14, 1e-15);
    }

    [Fact]
    public void TermsAddUpToTheLoss()
    {
        var (loss, terms) = LossLab.Losses.iq_loss_terms(Xt, T.I64(Y), LossLab.Divergence.Chi2, 0.5);
        Assert.Equal(T.Scalar(loss), terms.Total, 12);
        Assert.Equal(terms.SoftQ + terms.LogZ + terms.Chi2, terms.Total, 12);
        Assert.True(terms.Chi2 > 0);
        var (v, _) = Reference(X, Y, FormOf("chi"));
        Assert.Equal(v.Average(), terms.SoftQ + terms.LogZ, 12);
        var module = new LossLab.IqLoss(LossLab.Divergence.JensenShannon, recordTerms: true);
        module.forward(Xt, T.I64(Y));
        Assert.NotNull(module.LastTerms);
        Assert.Equal(0, module.LastTerms!.Chi2);
    }

    public static TheoryData<string, string> EveryVariant()
    {
        var d = new TheoryData<string, string>();
        foreach (var div in LossLab.DivergenceNames.All) d.Add(div, "");
        d.Add("kl", "original"); d.Add("kl", "batch_biased"); d.Add("kl", "fixed"); d.Add("hellinger", "shifted"); d.Add("chi", "iq_learn");
        return d;
    }

    [Theory]
    [MemberData(nameof(EveryVariant))]
    public void LogitsOfMagnitude1e4StayFiniteInFloat32(string div, string variant)
    {
        var o = variant switch
        {
            "original" => new LossLab.IqOptions { KlForm = LossLab.KlForm.Original },
            "batch_biased" => new LossLab.IqOptions { KlForm = LossLab.KlForm.BatchBiased },
            "fixed" => new LossLab.IqOptions { KlForm = LossLab.KlForm.Fixed },
            "shifted" => new LossLab.IqOptions { ShiftedHellinger = true },
            "iq_learn" => new LossLab.IqOptions { Chi2Coefficient = LossLab.Chi2Coefficient.IqLearn },
            _ => LossLab.IqOptions.Default,
        };
        var x = T.F32(new float[] { 1e4f, -1e4f, 0f, -1e4f, -1e4f, -1e4f, 1e4f, 1e4f, -1e4f, 3f, -1e4f, 1e4f }, 4, 3);
        var y = T.I64(1, 0, 2, 1);
        var d = LossLab.DivergenceNames.Parse(div);
        T.Finite(LossLab.Losses.iq_loss(x, y, d, options: o), "value");
        T.Finite(T.Grad(v => LossLab.Losses.iq_loss(v, y, d, options: o), x), "gradient");
    }

    [Fact]
    public void TheGradientPenaltyTrainsModelsThatSaveTensorsForBackward()
    {
        // tanh saves its output for backward: the penalty's graph must survive the inner autograd.grad
        var w = torch.randn(new long[] { 3, 4 }, dtype: ScalarType.Float64, generator: new Generator(3)).requires_grad_(true);
        var x = torch.randn(new long[] { 5, 3 }, dtype: ScalarType.Float64, generator: new Generator(4));
        var y = T.I64(0, 1, 2, 3, 0);
        var penalty = LossLab.Losses.iq_gradient_penalty(v => v.matmul(w).tanh(), x, y, 1.0, new Generator(5));
        penalty.backward();
        Assert.NotNull(w.grad);
        T.Finite(w.grad!, "gradient");
    }

    [Fact]
    public void TheGradientPenaltyOfALinearModelIsItsClosedForm()
    {
        // f(x) = x W: d r_y / d x = W[:, y] wherever x is, so the penalty is lambda * mean_i (||W[:, y_i]|| - 1)^2.
        var w = torch.tensor(new[] { 0.5, -1.0, 2.0, 0.3, 0.1, -0.4 }, dtype: ScalarType.Float64).reshape(2, 3).requires_grad_(true);
        var x = torch.randn(new long[] { 4, 2 }, dtype: ScalarType.Float64, generator: new Generator(1));
        var y = T.I64(0, 2, 1, 2);
        var wv = new[,] { { 0.5, -1.0, 2.0 }, { 0.3, 0.1, -0.4 } };
        double Norm(int k) => Math.Sqrt(wv[0, k] * wv[0, k] + wv[1, k] * wv[1, k]);
        double want = 10 * new[] { 0, 2, 1, 2 }.Average(k => Math.Pow(Norm(k) - 1, 2));
        var penalty = LossLab.Losses.iq_gradient_penalty(v => v.matmul(w), x, y, 10, new Generator(2));
        T.Close(want, penalty);
        // and it trains W: d/dW_{:,k} of lambda * mean (||W_k|| - 1)^2 = lambda * count_k / N * 2 (||W_k|| - 1) W_k / ||W_k||
        var g = torch.autograd.grad(new List<Tensor> { penalty }, new List<Tensor> { w })[0];
        int[] counts = { 1, 1, 2 };
        var gw = new double[6];
        for (int k = 0; k < 3; k++)
            for (int r = 0; r < 2; r++) gw[r * 3 + k] = 10.0 * counts[k] / 4 * 2 * (Norm(k) - 1) * wv[r, k] / Norm(k);
        T.Close(gw, g);
    }
}
