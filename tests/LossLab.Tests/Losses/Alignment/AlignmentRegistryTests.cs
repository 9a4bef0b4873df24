using LossLab.Registry;
using Xunit;

namespace LossLab.Tests.Losses.Alignment;

public class AlignmentRegistryTests
{
    // the spec examples of docs/losses/alignment.md
    [Theory]
    [InlineData("reward_model:center_rewards_coefficient=0.01")]
    [InlineData("dpo:beta=0.1")]
    [InlineData("dpo:loss_type=ipo,beta=0.5")]
    [InlineData("dpo:loss_type=robust,label_smoothing=0.1")]
    [InlineData("kto:beta=0.1,desirable_weight=1.33")]
    [InlineData("grpo:group_size=8,beta=0.04")]
    [InlineData("grpo:group_size=8,loss_type=token,epsilon_high=0.28,beta=0")]
    [InlineData("simpo:beta=2.5,gamma=1.4")]
    [InlineData("orpo:lambda=0.1")]
    [InlineData("kl_estimator:estimator=k2,mode=as_loss")]
    [InlineData("kl_estimator:estimator=k1,mode=in_reward")]
    [InlineData("rlhf_kl_penalty:beta=0.05,estimator=k1")]
    public void DocumentedSpecsParse(string spec)
    {
        var loss = LossCatalog.Create(spec);
        Assert.Equal("alignment", LossCatalog.GetLoss(LossSpec.Parse(spec).Name).Family);
        Assert.NotNull(loss);
    }

    [Fact]
    public void HeldTermsAreDeclared()
    {
        Assert.Equal(new[] { "kl_ref" }, LossCatalog.GetLoss("kto").HeldTerms);
        Assert.Equal(new[] { "old_logps" }, LossCatalog.GetLoss("grpo").HeldTerms);
        Assert.Equal(new[] { "kl_estimate", "is_weight" }, LossCatalog.GetLoss("kl_estimator").HeldTerms);
        Assert.Empty(LossCatalog.GetLoss("dpo").HeldTerms);
    }
}
