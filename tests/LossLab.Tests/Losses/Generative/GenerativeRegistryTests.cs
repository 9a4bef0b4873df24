using LossLab.Registry;
using Xunit;

namespace LossLab.Tests.Losses.Generative;

public class GenerativeRegistryTests
{
    // the spec examples of docs/losses/generative.md
    [Theory]
    [InlineData("gan_minimax:role=discriminator,label_smoothing=0.1")]
    [InlineData("gan_non_saturating:role=generator")]
    [InlineData("wgan:role=discriminator,drift=0.001")]
    [InlineData("hinge_gan:margin=1")]
    [InlineData("lsgan:a=-1,b=1,c=0")]
    [InlineData("gradient_penalty:lambda_gp=10,seed=0")]
    [InlineData("ddpm:reduction=mean")]
    [InlineData("v_prediction")]
    [InlineData("x0_prediction:weighting=min_snr,snr_gamma=5")]
    [InlineData("denoising_score_matching:anneal_power=2")]
    [InlineData("flow_matching:sigma_min=0")]
    [InlineData("icm:beta=0.2,hold_features=true")]
    [InlineData("rnd:reduction=mean")]
    [InlineData("world_model:kl_scale=0.1,kl_balance=0.8,free_bits=1,free_avg=true")]
    public void DocumentedSpecsParse(string spec)
    {
        Assert.NotNull(LossCatalog.Create(spec));
        Assert.Equal("generative", LossCatalog.GetLoss(LossSpec.Parse(spec).Name).Family);
    }

    [Fact]
    public void HeldTermsAreDeclared()
    {
        Assert.Equal(new[] { "interpolates" }, LossCatalog.GetLoss("gradient_penalty").HeldTerms);
        Assert.Equal(new[] { "next_features" }, LossCatalog.GetLoss("icm").HeldTerms);
        Assert.Equal(new[] { "target_features" }, LossCatalog.GetLoss("rnd").HeldTerms);
        Assert.Equal(new[] { "posterior_mean", "posterior_std", "prior_mean", "prior_std" }, LossCatalog.GetLoss("world_model").HeldTerms);
        foreach (var name in new[] { "gan_minimax", "gan_non_saturating", "wgan", "hinge_gan", "lsgan", "ddpm", "v_prediction", "x0_prediction", "denoising_score_matching", "flow_matching" })
            Assert.Empty(LossCatalog.GetLoss(name).HeldTerms);
    }
}
