using System.Text.RegularExpressions;
using LossLab.Registry;
using Xunit;

namespace LossLab.Tests.Docs;

/// <summary>
/// The exploration, auxiliary-RL, RL-representation and open-endedness objectives are documented on their family pages,
/// recommended by the guide, and every spec those pages give parses.
/// </summary>
public class ObjectiveDocsTests
{
    private static string Read(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(new[] { dir.FullName }.Concat(parts).ToArray()))) dir = dir.Parent;
        Assert.True(dir is not null, $"{string.Join("/", parts)} not found above {AppContext.BaseDirectory}");
        return File.ReadAllText(Path.Combine(new[] { dir!.FullName }.Concat(parts).ToArray()));
    }

    [Theory]
    [InlineData("reinforcement.md", "reinforcement", "count_bonus,reward_prediction,inverse_dynamics,forward_dynamics")]
    [InlineData("contrastive.md", "contrastive", "temporal_contrastive,contrastive_model")]
    [InlineData("population.md", "population", "aurora,fictitious_play")]
    public void EachObjectiveHasASectionOnItsFamilysPage(string page, string family, string names)
    {
        var lines = Read("docs", "losses", page).Split('\n');
        foreach (var name in names.Split(','))
        {
            Assert.Equal(family, LossCatalog.GetLoss(name).Family);
            Assert.Contains(lines, l => l.StartsWith('#') && Regex.IsMatch(l, $@"(^|[\s`]){name}([\s`]|$)"));
        }
    }

    [Theory]
    [InlineData("docs/losses/reinforcement.md")]
    [InlineData("docs/losses/contrastive.md")]
    [InlineData("docs/losses/population.md")]
    [InlineData("docs/choosing-a-loss.md")]
    public void TheSpecsOnThePagesParse(string path)
    {
        var text = Read(path.Split('/'));
        foreach (var spec in Regex.Matches(text, @"`([a-z0-9_]+:[^`\s]+)`").Select(m => m.Groups[1].Value))
        {
            if (LossCatalog.FindLoss(spec[..spec.IndexOf(':')]) is null) continue;   // a formula in backticks
            Assert.NotNull(LossCatalog.Create(spec));
        }
        // Composite specs such as `ppo + 0.1*reward_prediction` (formulas such as `avg + (br - avg)` name no loss).
        foreach (var composite in Regex.Matches(text, @"`([a-z0-9_]+ \+ [^`]+)`").Select(m => m.Groups[1].Value))
        {
            var names = composite.Split('+').Select(t => Regex.Match(t.Split('*')[^1], "[a-z0-9_]+").Value);
            if (names.All(n => LossCatalog.FindLoss(n) is not null)) Assert.NotNull(LossCatalog.CreateTrainingLoss(composite));
        }
    }

    [Theory]
    [InlineData("rl", "count_bonus:beta=0.01")]
    [InlineData("rl", "contrastive_model:mode=spr")]
    [InlineData("rl", "forward_dynamics:hold_features=true")]
    [InlineData("open-endedness", "aurora")]
    [InlineData("open-endedness", "fictitious_play")]
    public void TheGuideRecommendsThem(string problem, string spec)
    {
        var entry = LossGuide.For(problem)!;
        Assert.Contains(spec, entry.Choices.Select(c => c.Spec).Concat(entry.Pitfalls.Select(p => p.Spec)));
        Assert.Contains($"`{spec[..(spec.IndexOf(':') < 0 ? spec.Length : spec.IndexOf(':'))]}", Read("docs", "choosing-a-loss.md"));
    }
}
