using LossLab.Reports.Studies;
using LossLab.Training.Studies;
using LossLab.Training.Training;
using Xunit;

namespace LossLab.Tests.Studies;

[Collection(Support.GlobalRngCollection.Name)]
public sealed class StudyRunnerTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("losslab-study-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private static StudySpec Tiny() => new()
    {
        Name = "tiny",
        Datasets = ["fashion-mnist"],
        Data = new() { ["fashion-mnist"] = LossLab.Cli.Commands.Demo.SampleFolder },
        Models = ["small_cnn"],
        Losses = [new() { Name = "CE", Spec = "cross_entropy" }, new() { Name = "IQ JS", Spec = "iq:divergence=js" }],
        Seeds = [0, 1],
        Training = new TrainConfig { Epochs = 1, BatchSize = 50, Lr = 0.05, TrainLimit = 200, ValidationSize = 100 },
        Evaluation = new StudyEvaluation { Ood = ["noise"], Shifts = ["contrast:2"] },
    };

    [Fact]
    public void ARunWhoseLossDivergesIsRecordedAsFailedAndTheStudyGoesOn()
    {
        var spec = Tiny() with
        {
            Losses = [new() { Name = "CE", Spec = "cross_entropy" }, new() { Name = "Exploding", Spec = "1e38*cross_entropy" }],
            Seeds = [0],
            Evaluation = new StudyEvaluation(),
        };
        var runner = new StudyRunner(spec, dir, RunEvaluator.ForStudy(spec));
        var (trained, skipped) = runner.Run();
        Assert.Equal((1, 0), (trained, skipped));
        Assert.True(File.Exists(runner.Runs[1].FailureFile));
        Assert.Contains("the loss is", File.ReadAllText(runner.Runs[1].FailureFile));
        Assert.Equal((0, 2), new StudyRunner(spec, dir, RunEvaluator.ForStudy(spec)).Run());
        string report = File.ReadAllText(StudyReport.Write(spec, dir, "test", null));
        Assert.Contains("1 failed (below)", report);
        Assert.Contains("- Exploding, fashion-mnist / small_cnn, seed 0:", report);
    }

    [Fact]
    public void RunningAgainSkipsFinishedRunsAndRedoesOnlyTheUnfinishedOne()
    {
        var spec = Tiny();
        var runner = new StudyRunner(spec, dir, RunEvaluator.ForStudy(spec));
        Assert.Equal((4, 0), runner.Run());
        var runs = runner.Runs;
        var stamps = runs.Select(r => File.GetLastWriteTimeUtc(r.EvaluationFile)).ToList();
        // an interrupted run: its evaluation never written, its checkpoint there
        File.Delete(runs[2].EvaluationFile);
        Assert.Equal((1, 3), new StudyRunner(spec, dir, RunEvaluator.ForStudy(spec)).Run());
        Assert.Equal(stamps[0], File.GetLastWriteTimeUtc(runs[0].EvaluationFile));
        var ev = RunEvaluation.FromJson(File.ReadAllText(runs[2].EvaluationFile));
        Assert.Contains("noise", ev.Ood.Keys);
        Assert.Contains("contrast:2", ev.Shifts.Keys);
        Assert.NotNull(ev.Test.Temperature);

        string report = File.ReadAllText(StudyReport.Write(spec, dir, "test", null));
        Assert.Contains("4 of 4 runs finished", report);
        Assert.Contains("| IQ JS | 2 |", report);
        Assert.Contains("Paired comparisons against CE", report);
        Assert.Contains("What the numbers say", report);
        Assert.True(Directory.GetFiles(Path.Combine(dir, "figures"), "*.png").Length >= 4);
    }
}
