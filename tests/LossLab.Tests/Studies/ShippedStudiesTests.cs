using LossLab.Training.Studies;
using Xunit;

namespace LossLab.Tests.Studies;

public class ShippedStudiesTests
{
    private static string StudiesFolder
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "studies"))) dir = dir.Parent;
            return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("studies/ not found above the test folder"), "studies");
        }
    }

    public static TheoryData<string> Specs()
    {
        var d = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(StudiesFolder, "*.json").Order(StringComparer.Ordinal)) d.Add(Path.GetFileName(f));
        return d;
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void ShippedStudySpecsParseAndNameRegisteredLosses(string file)
    {
        var spec = StudySpec.Parse(File.ReadAllText(Path.Combine(StudiesFolder, file)), file);
        Assert.NotEmpty(spec.Expand("/tmp/x"));
        Assert.True(spec.Seeds.Count >= 3, "the brief asks for at least 3 seeds");
    }

    [Fact]
    public void ThePaperStudiesUseThePapersRecipe()
    {
        foreach (var file in new[] { "paper-cifar10.json", "paper-cifar100.json" })
        {
            var spec = StudySpec.Parse(File.ReadAllText(Path.Combine(StudiesFolder, file)), file);
            Assert.Equal(["resnet50"], spec.Models);
            Assert.Equal(350, spec.Training.Epochs);
            Assert.Equal(0.1, spec.Training.Lr);
            Assert.Equal(5e-4, spec.Training.WeightDecay);
            Assert.Equal("paper", spec.Training.Schedule);
            Assert.Equal(7, spec.Losses.Count);
        }
    }
}
