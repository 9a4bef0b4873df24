using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static LossLab.Tests.Kernels.FusedAgreement;

namespace LossLab.Tests.Kernels;

/// <summary>A backward with <c>create_graph</c> through a fused loss gives the composite form's second derivatives.</summary>
[Collection(FusedKernelSwitchCollection.Name)]
public class FusedSecondDerivativesTests
{
    [Theory]
    [InlineData("mean")]
    [InlineData("none")]
    public void MatchTheCompositeForm(string red)
    {
        var reduction = ReductionExtensions.Parse(red);
        var x = Logits(9, 6, 2, ScalarType.Float64);
        var y = Labels(9, 6);
        var w = Uniform([6], 0.5, 2);
        var q = torch.softmax(Logits(9, 6, 1, ScalarType.Float64, 8), 1);
        var t = Uniform([9, 6], 0, 1, 9);
        AgreeSecondOrder(v => LossLab.Losses.cross_entropy(v, y, w, reduction: reduction, label_smoothing: 0.1), x, "cross_entropy");
        AgreeSecondOrder(v => LossLab.Losses.cross_entropy(v, q, reduction: reduction), x, "cross_entropy probabilities");
        AgreeSecondOrder(v => LossLab.Losses.focal_loss(v, y, 2.0, w, reduction: reduction), x, "focal_loss");
        AgreeSecondOrder(v => LossLab.Losses.poly1_cross_entropy(v, y, 1.5, reduction), x, "poly1_cross_entropy");
        AgreeSecondOrder(v => LossLab.Losses.sigmoid_focal_loss(v, t, 0.25, 2.0, reduction), x, "sigmoid_focal_loss");
        AgreeSecondOrder(v => LossLab.Losses.binary_cross_entropy_with_logits(v, t, w, reduction, w), x, "binary_cross_entropy_with_logits");
        AgreeSecondOrder(v => LossLab.Losses.iq_loss(v, y, LossLab.Divergence.JensenShannon, reduction: reduction), x, "iq_loss js");
        AgreeSecondOrder(v => LossLab.Losses.iq_loss(v, y, LossLab.Divergence.ReverseKl, reduction: reduction, options: new IqOptions { KlForm = KlForm.Fixed }), x, "iq_loss kl fixed");
    }
}
