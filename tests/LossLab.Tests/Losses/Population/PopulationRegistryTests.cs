using LossLab.Registry;
using Xunit;

namespace LossLab.Tests.Losses.Population;

public class PopulationRegistryTests
{
    // the spec examples of docs/losses/population.md
    [Theory]
    [InlineData("exploitability")]
    [InlineData("exploitability:per_player=true")]
    [InlineData("population_conditioned_return")]
    [InlineData("behavioural_diversity:p=2,chunk_size=256")]
    [InlineData("dpp_diversity:kernel=rbf,lengthscale=1,jitter=1e-6")]
    [InlineData("novelty:k=15")]
    [InlineData("dqd_objective")]
    [InlineData("paired_regret:antagonist_value=max")]
    public void DocumentedSpecsParse(string spec)
    {
        Assert.NotNull(LossCatalog.Create(spec));
        Assert.Equal("population", LossCatalog.GetLoss(LossSpec.Parse(spec).Name).Family);
    }
}
