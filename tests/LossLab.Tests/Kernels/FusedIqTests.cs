using LossLab.Autograd;
using LossLab.Kernels;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static LossLab.Tests.Kernels.FusedAgreement;

namespace LossLab.Tests.Kernels;

/// <summary>The fused IQ Loss against its composite form (fused kernels off), every divergence and option.</summary>
[Collection(FusedKernelSwitchCollection.Name)]
public class FusedIqTests
{
    public static TheoryData<ScalarType, string, string, double> Divergences()
    {
        var d = new TheoryData<ScalarType, string, string, double>();
        foreach (var dt in FloatTypes)
            foreach (var red in Reductions)
                foreach (var div in LossLab.DivergenceNames.All)
                    foreach (var tau in new[] { 1.0, 0.5 })
                        d.Add(dt, red, div, tau);
        return d;
    }

    private static void AgreeIq(ScalarType dtype, string red, LossLab.Divergence div, double alpha, IqOptions options, string label, long n = 37, long c = 11)
    {
        var x = Logits(n, c, 2, dtype);
        var y = Labels(n, c);
        Assert.True(FusedIq.Applies(x));
        Agree(t => LossLab.Losses.iq_loss(t, y, div, alpha, ReductionExtensions.Parse(red), options), x, label);
    }

    [Theory]
    [MemberData(nameof(Divergences))]
    public void AgreesWithTheCompositeForm(ScalarType dtype, string red, string div, double tau) =>
        AgreeIq(dtype, red, LossLab.DivergenceNames.Parse(div), 0.7, new IqOptions { Temperature = tau }, $"{dtype} {red} {div} tau={tau}");

    public static TheoryData<ScalarType, string, double, string, string> ChiOptions()
    {
        var d = new TheoryData<ScalarType, string, double, string, string>();
        foreach (var dt in FloatTypes)
            foreach (var red in new[] { "mean", "none" })
                foreach (var alpha in new[] { 0.0, 0.5, 2.0 })
                    foreach (var coefficient in new[] { "paper", "iq_learn" })
                        foreach (var scope in new[] { "all", "target" })
                            if (alpha > 0 || coefficient == "paper")
                                d.Add(dt, red, alpha, coefficient, scope);
        return d;
    }

    [Theory]
    [MemberData(nameof(ChiOptions))]
    public void ChiCoefficientsAndScopes(ScalarType dtype, string red, double alpha, string coefficient, string scope)
    {
        var options = new IqOptions
        {
            Chi2Coefficient = coefficient == "paper" ? Chi2Coefficient.Paper : Chi2Coefficient.IqLearn,
            Chi2Scope = scope == "all" ? Chi2Scope.AllLogits : Chi2Scope.Target,
        };
        AgreeIq(dtype, red, LossLab.Divergence.Chi2, alpha, options, $"{dtype} {red} alpha={alpha} {coefficient} {scope}");
    }

    public static TheoryData<ScalarType, string, string> KlForms()
    {
        var d = new TheoryData<ScalarType, string, string>();
        foreach (var dt in FloatTypes)
            foreach (var red in Reductions)
                foreach (var form in new[] { "original", "batch_biased", "fixed" })
                    d.Add(dt, red, form);
        return d;
    }

    [Theory]
    [MemberData(nameof(KlForms))]
    public void ReverseKlForms(ScalarType dtype, string red, string form)
    {
        var options = new IqOptions { KlForm = form switch { "original" => KlForm.Original, "batch_biased" => KlForm.BatchBiased, _ => KlForm.Fixed } };
        AgreeIq(dtype, red, LossLab.Divergence.ReverseKl, 0.5, options, $"{dtype} {red} {form}");
    }

    [Theory]
    [InlineData("hellinger")]
    [InlineData("neyman_chi2")]
    public void ShiftedHellingerActivation(string div)
    {
        foreach (var dt in FloatTypes)
            foreach (var red in Reductions)
                AgreeIq(dt, red, LossLab.DivergenceNames.Parse(div), 0.5, new IqOptions { ShiftedHellinger = true, Temperature = 0.8 }, $"{dt} {red} {div} shifted");
    }

    /// <summary>The softplus rewards at temperature 1 take a path of their own (exp(softplus(z)) = 1 + e^z, scaled by
    /// the row's max(max z, 0)): rows whose largest logit is far below 0, near it, and far above it.</summary>
    [Theory]
    [InlineData("js")]
    [InlineData("hellinger")]
    [InlineData("forward_kl")]
    [InlineData("neyman_chi2")]
    public void SoftplusRewardsAtEveryScaleOfTheRowMaximum(string div)
    {
        var d = LossLab.DivergenceNames.Parse(div);
        foreach (var dt in FloatTypes)
            foreach (var shift in new[] { -30.0, -3.0, 0.0, 3.0, 40.0 })
                foreach (var shifted in new[] { false, true })
                {
                    var x = Logits(9, 13, 2, dt) + shift;
                    var y = Labels(9, 13);
                    var options = new IqOptions { ShiftedHellinger = shifted };
                    Agree(t => LossLab.Losses.iq_loss(t, y, d, 0.5, LossLab.Reduction.None, options), x, $"{dt} {div} shift={shift} shifted={shifted}");
                    Agree(t => LossLab.Losses.iq_loss(t, y, d, 0.5, LossLab.Reduction.Mean, options), x, $"{dt} {div} shift={shift} shifted={shifted} mean");
                }
    }

    /// <summary>The fused kernel's held weights come from scalar forms (no libtorch call); they must be the composite's
    /// tensor forms, value for value: every divergence, every reverse-KL form, both Hellinger activations, rewards
    /// from logits far below to far above 0.</summary>
    [Fact]
    public void ScalarHeldWeightsAreTheCompositesTensorForms()
    {
        var logits = Enumerable.Range(0, 161).Select(i => -40.0 + i * 0.5).Concat(new[] { -1e4, 1e4, 0.1234 }).ToArray();
        foreach (var div in LossLab.DivergenceNames.All)
            foreach (var form in new[] { KlForm.Appendix, KlForm.Original, KlForm.BatchBiased, KlForm.Fixed })
                foreach (var shifted in new[] { false, true })
                    foreach (var dtype in FloatTypes)
                    {
                        var f = FDivergence.Of(LossLab.DivergenceNames.Parse(div));
                        var o = new IqOptions { KlForm = form, ShiftedHellinger = shifted };
                        var x = torch.tensor(logits, dtype: ScalarType.Float64);
                        var rTensor = f.Reward(x, shifted);
                        var phiTensor = LossLab.Losses.IqPhiPrime(f, rTensor, o, dtype);
                        var r = logits.Select(v => f.RewardOf(v, shifted)).ToArray();
                        var phi = LossLab.Losses.IqPhiPrime(f, r, o, dtype);
                        string label = $"{div} {form} shifted={shifted} {dtype}";
                        Same(LossLab.Tests.Support.T.Values(rTensor), r, label + " reward");
                        Same(LossLab.Tests.Support.T.Values(phiTensor), phi, label + " phi'");
                    }
    }

    private static void Same(double[] want, double[] got, string label)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= 1e-9 * Math.Abs(want[i]) + 1e-12, $"{label} at {i}: got {got[i]:R}, want {want[i]:R}");
    }

    [Fact]
    public void SingleRowAndWideRows()
    {
        foreach (var div in LossLab.DivergenceNames.All)
        {
            var d = LossLab.DivergenceNames.Parse(div);
            AgreeIq(ScalarType.Float32, "mean", d, 0.5, IqOptions.Default, $"(1,7) {div}", 1, 7);
            AgreeIq(ScalarType.Float32, "none", d, 0.5, IqOptions.Default, $"(48,1000) {div}", 48, 1000);
        }
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = Extreme(5);
        var y = LossLab.Tests.Support.T.I64(0, 1, 2);
        foreach (var div in LossLab.DivergenceNames.All)
            Finite(t => LossLab.Losses.iq_loss(t, y, LossLab.DivergenceNames.Parse(div)), x, div);
        foreach (var form in new[] { KlForm.Original, KlForm.BatchBiased, KlForm.Fixed })
            Finite(t => LossLab.Losses.iq_loss(t, y, LossLab.Divergence.ReverseKl, options: new IqOptions { KlForm = form }), x, form.ToString());
    }

    [Fact]
    public void FallsBackWhereItMust()
    {
        var x = Logits(6, 4, 2, ScalarType.Float64);
        Assert.False(FusedIq.Applies(x.reshape(2, 4, 3))); // K-dimensional (N, C, d1)
        using (HeldTermRecorder.Start())
            Assert.False(FusedIq.Applies(x)); // a gradient check's recorder must see phi' held
        Assert.True(FusedIq.Applies(x));
        // the terms come from the composite form, and its loss is the fused one's
        var y = Labels(6, 4);
        var (loss, terms) = LossLab.Losses.iq_loss_terms(x, y, LossLab.Divergence.JensenShannon);
        LossLab.Tests.Support.T.Close(LossLab.Tests.Support.T.Scalar(LossLab.Losses.iq_loss(x, y, LossLab.Divergence.JensenShannon)), loss, 1e-12);
        Assert.Equal(LossLab.Tests.Support.T.Scalar(loss), terms.Total, 12);
    }
}
