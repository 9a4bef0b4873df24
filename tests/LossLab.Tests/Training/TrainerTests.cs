using System.Diagnostics;
using LossLab.Training.Data;
using LossLab.Training.Models;
using LossLab.Training.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Training;

[Collection(Support.GlobalRngCollection.Name)]
public sealed class TrainerTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("losslab-train-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    // A small learnable problem: class k images are noise plus a bright k-th row band.
    private static TrainingData Synthetic(int n = 192, int seed = 0)
    {
        var g = new Generator((ulong)seed + 1);
        ImageSet Make(int count)
        {
            var labels = torch.randint(0, 4, new long[] { count }, generator: g);
            var images = torch.randint(0, 60, new long[] { count, 1, 8, 8 }, generator: g, dtype: ScalarType.Int64);
            var rows = torch.arange(8).reshape(1, 1, 8, 1);
            var band = rows.eq((labels * 2).reshape(-1, 1, 1, 1)).to_type(ScalarType.Int64) * 180;
            return new ImageSet((images + band).to_type(ScalarType.Byte), labels, "synthetic");
        }
        return new TrainingData("synthetic", Make(n), Make(64), Make(64), new Normalization([0.3], [0.3]), 4);
    }

    private static TrainConfig Config(int epochs = 3, string loss = "cross_entropy") => new()
    {
        Dataset = "synthetic", Model = "small_cnn", Loss = loss, Epochs = epochs, BatchSize = 32, Lr = 0.05, Schedule = "cosine", Seed = 7,
    };

    [Fact]
    public void ThePapersScheduleStepsAt150And250Of350()
    {
        Assert.Equal(0.1, LrSchedule.At("paper", 0.1, 149, 350), 12);
        Assert.Equal(0.01, LrSchedule.At("paper", 0.1, 150, 350), 12);
        Assert.Equal(0.01, LrSchedule.At("paper", 0.1, 249, 350), 12);
        Assert.Equal(0.001, LrSchedule.At("paper", 0.1, 250, 350), 12);
        Assert.Equal(0.1, LrSchedule.At("paper", 0.1, 0, 1), 12);
        Assert.Equal(0.1, LrSchedule.At("cosine", 0.1, 0, 10), 12);
        Assert.Equal(0.05, LrSchedule.At("cosine", 0.1, 5, 10), 12);
        Assert.Throws<ArgumentException>(() => LrSchedule.At("step", 0.1, 0, 10));
    }

    [Fact]
    public void SameSeedGivesIdenticalMetrics()
    {
        using var data = Synthetic();
        var a = new Trainer(Config(2), data, Path.Combine(dir, "a")).Run();
        var b = new Trainer(Config(2), data, Path.Combine(dir, "b")).Run();
        Assert.Equal(a.Select(m => (m.TrainLoss, m.ValLoss, m.ValError, m.ValEce)), b.Select(m => (m.TrainLoss, m.ValLoss, m.ValError, m.ValEce)));
        Assert.True(a[^1].ValError < 0.5, $"the synthetic problem should be learned, validation error {a[^1].ValError}");
    }

    [Fact]
    public void AResumedRunEndsWithTheSameMetricsAsAnUninterruptedOne()
    {
        using var data = Synthetic();
        var full = new Trainer(Config(3, "iq:divergence=js"), data, Path.Combine(dir, "full")).Run();

        string run = Path.Combine(dir, "cut");
        using var cts = new CancellationTokenSource();
        var stopInEpoch2 = new Stopper(p => { if (p.Epoch == 2 && p.Step == 3) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => new Trainer(Config(3, "iq:divergence=js"), data, run).Run(progress: stopInEpoch2, cancel: cts.Token));
        Assert.True(File.Exists(Path.Combine(run, "last.ckpt")));
        Assert.Throws<InvalidOperationException>(() => new Trainer(Config(3, "iq:divergence=js"), data, run).Run(resume: false));
        var resumed = new Trainer(Config(3, "iq:divergence=js"), data, run).Run(resume: true);
        Assert.Equal(full.Select(m => (m.TrainLoss, m.ValLoss, m.ValError)), resumed.Select(m => (m.TrainLoss, m.ValLoss, m.ValError)));
        Assert.Contains("soft_q", resumed[0].Terms.Keys);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Length);
        Assert.True(File.Exists(Path.Combine(run, "done")));
    }

    private sealed class Stopper(Action<TrainProgress> act) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => act(value);
    }

    [Fact]
    public void CheckpointsRoundTripAndTruncationIsAClearError()
    {
        using var model = ModelCatalog.Create("small_cnn", 1, 8, 4);
        using var opt = torch.optim.SGD(model.parameters(), 0.1, momentum: 0.9);
        string path = Path.Combine(dir, "x.ckpt");
        var state = new TrainerState(3, 0.25, 2, new List<EpochMetrics>());
        Checkpoint.Save(path, state, model, opt);
        using var copy = ModelCatalog.Create("small_cnn", 1, 8, 4);
        using var opt2 = torch.optim.SGD(copy.parameters(), 0.1, momentum: 0.9);
        var loaded = Checkpoint.Load(path, copy, opt2);
        Assert.Equal(3, loaded.EpochsDone);
        foreach (var (a, b) in model.parameters().Zip(copy.parameters())) Assert.True(a.eq(b).all().item<bool>());
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, copy, opt2));
        Assert.Contains("x.ckpt", e.Message);
    }

    [Fact]
    public void NativeMemoryStaysFlatOverHundredsOfSteps()
    {
        using var data = Synthetic(n: 640);
        var config = Config(1) with { BatchSize = 8 };
        long? afterWarmup = null;
        long last = 0;
        var probe = new Stopper(p =>
        {
            if (p.Step == 20) { GC.Collect(); afterWarmup = Process.GetCurrentProcess().WorkingSet64; }
            if (p.Step == p.Steps) { GC.Collect(); last = Process.GetCurrentProcess().WorkingSet64; }
        });
        var trainer = new Trainer(config with { Epochs = 1 }, data, Path.Combine(dir, "mem"));
        trainer.Run(progress: probe);
        Assert.NotNull(afterWarmup);
        long growth = last - afterWarmup!.Value;
        Assert.True(growth < 64L << 20, $"resident memory grew by {growth >> 20} MiB over {640 / 8 - 20} steps");
    }

    [Fact]
    public void KillDashNineThenResumeFinishesWithTheSameMetrics()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "LossLab.Cli.dll");
        string sample = LossLab.Cli.Commands.Demo.SampleFolder;
        string[] Args(string outDir) => ["train", "--data", sample, "--epochs", "4", "--train-limit", "600", "--batch-size", "50", "--lr", "0.05", "--seed", "3", "--out", outDir];
        string full = Path.Combine(dir, "full"), cut = Path.Combine(dir, "cut");
        Assert.Equal(0, RunCli(cli, Args(full)));

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(cli);
        foreach (var a in Args(cut)) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!)
        {
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (!File.Exists(Path.Combine(cut, "last.ckpt")) && !p.HasExited && clock.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(20);
            Thread.Sleep(150);
            if (!p.HasExited) Process.Start("kill", ["-9", p.Id.ToString()])!.WaitForExit();
            p.WaitForExit();
        }
        Assert.False(File.Exists(Path.Combine(cut, "done")), "the run finished before it could be killed; the test needs a slower run");
        Assert.Equal(0, RunCli(cli, [.. Args(cut), "--resume"]));
        static IEnumerable<string> WithoutSeconds(string file) => File.ReadAllLines(file).Select(l => string.Join(",", l.Split(',').Where((_, i) => i != 8)));
        Assert.Equal(WithoutSeconds(Path.Combine(full, "metrics.csv")), WithoutSeconds(Path.Combine(cut, "metrics.csv")));
    }

    private static int RunCli(string cli, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(cli);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
        return p.ExitCode;
    }
}
