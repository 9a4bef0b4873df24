using System.Text.Json;
using LossLab.Cli.Commands;
using LossLab.Reports.Io;
using LossLab.Tests.Metrics;
using LossLab.Tests.Reports;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Cli;

public sealed class EvaluateCommandTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "losslab-evaluate-" + Guid.NewGuid().ToString("N"));

    public EvaluateCommandTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string P(string name) => Path.Combine(dir, name);

    private (int code, string output, string errors) Run(EvaluateCommand.Request request)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        int code = EvaluateCommand.Run(request, output, errors);
        return (code, output.ToString(), errors.ToString());
    }

    [Fact]
    public void EndToEndOnSmallFiles()
    {
        var (z, y) = TemperatureScalingTests.Overconfident(11, 300, 5, 3.0);
        var (vz, vy) = TemperatureScalingTests.Overconfident(12, 300, 5, 3.0);
        Npy.Write(P("logits.npy"), z.to_type(ScalarType.Float32));
        Npy.Write(P("labels.npy"), y);
        Npy.Write(P("ood.npy"), torch.randn(new long[] { 200, 5 }, generator: new torch.Generator(13)));
        Csv.Write(P("val_logits.csv"), vz);
        Csv.Write(P("val_labels.csv"), vy);
        var (code, output, errors) = Run(new EvaluateCommand.Request(P("logits.npy"), P("labels.npy"), P("ood.npy"), P("val_logits.csv"), P("val_labels.csv"), P("out")));
        Assert.True(code == 0, errors);
        Assert.Contains("AdaECE", output);
        Assert.Contains("AUROC", output);
        Assert.Contains("after T =", output);
        Assert.Contains(Path.GetFullPath(P("out")), output);
        foreach (var f in new[] { "reliability", "confidence_histogram", "roc" })
        {
            Assert.True(File.Exists(P($"out/{f}.svg")), f);
            Assert.Contains(Path.Combine(P("out"), f + ".png"), output);
        }
        ChartsTests.AssertPicture(P("out/reliability.png"), 1440, 600);
        ChartsTests.AssertPicture(P("out/roc.png"), 800, 650);
        ChartsTests.AssertPicture(P("out/confidence_histogram.png"), 800, 600);
        var ev = Evaluation.FromJson(File.ReadAllText(P("out/evaluation.json")));
        Assert.Equal(300, ev.Samples);
        Assert.Equal(200, ev.OodSamples);
        Assert.InRange(ev.Temperature!.Temperature, 1.5, 6);
        Assert.Equal(T(LossLab.Metrics.accuracy(z.to_type(ScalarType.Float32), y)), ev.Accuracy);
        Assert.Empty(Directory.GetFiles(P("out"), "*.tmp"));
        using var doc = JsonDocument.Parse(File.ReadAllText(P("out/evaluation.json")));
        Assert.True(doc.RootElement.TryGetProperty("calibration", out _));
    }

    private static double T(Tensor t) => t.item<double>();

    [Fact]
    public void CsvInputsWithoutOptionalSets()
    {
        File.WriteAllText(P("l.csv"), "2,1,0\n0,3,1\n1,0,0\n");
        File.WriteAllText(P("y.csv"), "0\n1\n2\n");
        var (code, output, errors) = Run(new EvaluateCommand.Request(P("l.csv"), P("y.csv"), null, null, null, P("o")));
        Assert.True(code == 0, errors);
        Assert.True(File.Exists(P("o/evaluation.json")));
        Assert.False(File.Exists(P("o/roc.png")));
        Assert.Contains("0.6667", output);   // 2 of 3 right
    }

    [Fact]
    public void ClearErrors()
    {
        File.WriteAllText(P("l.csv"), "2,1,0\n0,3,1\n");
        File.WriteAllText(P("y.csv"), "0\n1\n2\n");
        var (code, _, errors) = Run(new EvaluateCommand.Request(P("missing.npy"), P("y.csv"), null, null, null, P("o")));
        Assert.Equal(2, code);
        Assert.Contains("--logits", errors);
        Assert.Contains("no such file", errors);

        (code, _, errors) = Run(new EvaluateCommand.Request(P("l.csv"), P("y.csv"), null, null, null, P("o")));
        Assert.Equal(2, code);
        Assert.Contains("3 labels, but the logits have 2 rows", errors);

        Npy.Write(P("float-labels.npy"), torch.zeros(2, dtype: ScalarType.Float64));
        (code, _, errors) = Run(new EvaluateCommand.Request(P("l.csv"), P("float-labels.npy"), null, null, null, P("o")));
        Assert.Equal(2, code);
        Assert.Contains("labels must be integers", errors);

        File.WriteAllText(P("y2.csv"), "0\n7\n");
        (code, _, errors) = Run(new EvaluateCommand.Request(P("l.csv"), P("y2.csv"), null, null, null, P("o")));
        Assert.Equal(2, code);
        Assert.Contains("3 classes", errors);

        (code, _, errors) = Run(new EvaluateCommand.Request(P("l.csv"), P("y2.csv"), null, P("l.csv"), null, P("o")));
        Assert.Equal(2, code);
        Assert.Contains("--val-labels", errors);

        File.WriteAllBytes(P("bad.npy"), [1, 2, 3]);
        (code, _, errors) = Run(new EvaluateCommand.Request(P("bad.npy"), P("y.csv"), null, null, null, P("o")));
        Assert.Equal(2, code);
        Assert.Contains("not an .npy file", errors);

        File.WriteAllText(P("o4.csv"), "1,2,3,4\n");
        File.WriteAllText(P("y0.csv"), "0\n1\n");
        (code, _, errors) = Run(new EvaluateCommand.Request(P("l.csv"), P("y0.csv"), P("o4.csv"), null, null, P("o")));
        Assert.Equal(2, code);
        Assert.Contains("--ood-logits", errors);
    }

    [Fact]
    public void TheToolKnowsTheCommand()
    {
        var root = LossLab.Cli.Program.BuildRoot();
        Assert.Contains(root.Subcommands, c => c.Name == "evaluate");
    }
}
