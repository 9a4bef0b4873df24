using LossLab.Cli.Commands;
using LossLab.Registry;
using Xunit;

namespace LossLab.Tests.Registry;

public class LossGuideTests
{
    public static TheoryData<string> Specs()
    {
        var d = new TheoryData<string>();
        foreach (var s in LossGuide.Entries.SelectMany(e => e.Choices.Select(c => c.Spec).Concat(e.Pitfalls.Select(p => p.Spec))).Distinct()) d.Add(s);
        return d;
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void EverySpecInTheGuideIsAValidSpec(string spec) => Assert.NotNull(LossCatalog.CreateTrainingLoss(spec));

    [Fact]
    public void TheGuideCoversTheProblemsTheDocsPromise()
    {
        Assert.Equal(["regression", "binary", "multiclass", "embeddings", "generation", "rl", "alignment", "continual", "open-endedness"], LossGuide.Problems);
        var output = new StringWriter();
        Assert.Equal(0, LossesCommand.Guide("multiclass", output, new StringWriter()));
        Assert.Contains("MSE for classification", output.ToString());
        Assert.Equal(2, LossesCommand.Guide("cooking", new StringWriter(), new StringWriter()));
    }
}
