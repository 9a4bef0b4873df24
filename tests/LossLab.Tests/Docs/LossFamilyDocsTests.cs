using System.Text.RegularExpressions;
using LossLab.Registry;
using Xunit;

namespace LossLab.Tests.Docs;

/// <summary>The family pages under docs/losses name every entry they cover, and their spec examples parse.</summary>
public class LossFamilyDocsTests
{
    private static string Page(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "docs", "losses", file))) dir = dir.Parent;
        Assert.True(dir is not null, $"docs/losses/{file} not found above {AppContext.BaseDirectory}");
        return File.ReadAllText(Path.Combine(dir!.FullName, "docs", "losses", file));
    }

    [Theory]
    [InlineData("ranking.md", "margin_ranking_loss,cosine_embedding_loss,triplet_margin_loss,pairwise_hinge,pairwise_logistic,soft_pairwise,ranking_softmax")]
    [InlineData("metric-learning.md", "triplet,contrastive,center_loss,arcface,cosface,sphereface,ge2e")]
    [InlineData("contrastive.md", "ntxent,multiple_negatives_ranking,info_nce,supcon,clip,vicreg,barlow_twins,next_token,masked_lm,masked_reconstruction")]
    public void EachPageCoversItsEntries(string file, string names)
    {
        var text = Page(file);
        foreach (var name in names.Split(','))
        {
            Assert.NotNull(LossCatalog.FindLoss(name));
            Assert.Contains(text.Split('\n'), line => line.StartsWith('#') && line.Contains($"`{name}`"));
        }
    }

    [Theory]
    [InlineData("ranking.md")]
    [InlineData("metric-learning.md")]
    [InlineData("contrastive.md")]
    public void SpecExamplesParse(string file)
    {
        var specs = Regex.Matches(Page(file), @"`([a-z0-9_]+:[^`\s]+)`").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(specs);
        foreach (var spec in specs)
        {
            var name = spec[..spec.IndexOf(':')];
            if (LossCatalog.FindLoss(name) is null) continue;   // e.g. a formula in backticks
            LossCatalog.Create(spec);
        }
    }
}
