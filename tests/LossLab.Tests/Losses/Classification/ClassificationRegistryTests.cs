using LossLab.Registry;
using Xunit;

namespace LossLab.Tests.Losses.Classification;

public class ClassificationRegistryTests
{
    // the spec examples of docs/losses/classification.md
    [Theory]
    [InlineData("cross_entropy:label_smoothing=0.1,ignore_index=255")]
    [InlineData("nll_loss:ignore_index=0,reduction=sum")]
    [InlineData("binary_cross_entropy:reduction=mean")]
    [InlineData("binary_cross_entropy_with_logits:reduction=sum")]
    [InlineData("poly1_cross_entropy:epsilon=2")]
    [InlineData("poly_loss:epsilons=2;-0.5;0.3,label_smoothing=0.1")]
    [InlineData("brier_score:from_logits=false")]
    [InlineData("mmce:weighted=true,lambda=2")]
    [InlineData("knowledge_distillation:temperature=4,alpha=0.9")]
    [InlineData("teacher_student:alpha=0.3,temperature=2")]
    [InlineData("dkl:asymmetric=false,alpha=1,beta=1,temperature=4")]
    [InlineData("gkl:alpha=20,beta=4,gamma=1")]
    [InlineData("sampled_softmax:n_samples=64,seed=1,replacement=false")]
    [InlineData("value_function:epsilon=0.1,seed=0")]
    [InlineData("policy_gradient:entropy_weight=0.01,baseline=true,seed=0")]
    [InlineData("focal:gamma=3")]
    [InlineData("focal_adaptive:gamma_low=3")]
    [InlineData("focal_adaptive:schedule=0.2;5;0.5;4,gamma_high=3")]
    [InlineData("sigmoid_focal_loss:alpha=0.25,gamma=2,reduction=mean")]
    [InlineData("binary_focal:from_logits=true,apply_class_balancing=true,gamma=2,label_smoothing=0.1")]
    [InlineData("hinge:reduction=sum")]
    [InlineData("squared_hinge:reduction=mean")]
    [InlineData("multiclass_hinge")]
    [InlineData("multi_margin_loss:p=2,margin=0.5")]
    [InlineData("multilabel_margin_loss:reduction=sum")]
    [InlineData("soft_margin_loss")]
    [InlineData("multilabel_soft_margin_loss")]
    [InlineData("hinge_embedding_loss:margin=2")]
    [InlineData("dice:include_background=false,smooth=1e-5")]
    [InlineData("tversky:alpha=0.3,beta=0.7,gamma=1.33")]
    public void DocumentedSpecsParse(string spec)
    {
        Assert.NotNull(LossCatalog.Create(spec));
        Assert.Equal("classification", LossCatalog.GetLoss(LossSpec.Parse(spec).Name).Family);
    }

    [Fact]
    public void HeldTermsAreDeclared()
    {
        Assert.Equal(new[] { "teacher" }, LossCatalog.GetLoss("knowledge_distillation").HeldTerms);
        Assert.Equal(new[] { "teacher" }, LossCatalog.GetLoss("teacher_student").HeldTerms);
        Assert.Equal(new[] { "soft_labels", "input_logits" }, LossCatalog.GetLoss("dkl").HeldTerms);
        Assert.Equal(new[] { "weights", "soft_labels" }, LossCatalog.GetLoss("gkl").HeldTerms);
        Assert.Equal(new[] { "baseline", "advantage" }, LossCatalog.GetLoss("policy_gradient").HeldTerms);
        foreach (var name in new[] { "focal_adaptive", "binary_focal", "poly_loss", "squared_hinge", "multilabel_margin_loss", "brier_score", "mmce", "dice", "tversky", "sampled_softmax", "value_function" })
            Assert.Empty(LossCatalog.GetLoss(name).HeldTerms);
    }
}
