using LossLab.Registry;
using LossLab.Reports.Studies;
using LossLab.Training.Data;
using LossLab.Training.Studies;
using LossLab.Training.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Cli.Commands;

/// <summary>
/// The demo: a softmax-regression classifier is fitted for a few hundred steps on real Fashion-MNIST images, then
/// every headline loss (cross-entropy, focal, IQ with chi2, reverse KL, Jensen-Shannon and Hellinger) is evaluated on
/// one real test batch of its logits, with the norm of its gradient and the cosine between its gradient and
/// cross-entropy's.
/// </summary>
internal static class Demo
{
    /// <summary>The losses the demo compares, as registry specs.</summary>
    public static readonly string[] Specs =
    [
        "cross_entropy",
        "focal:gamma=3",
        "iq:divergence=chi,alpha=0.5",
        "iq:divergence=kl",
        "iq:divergence=js",
        "iq:divergence=hellinger",
    ];

    /// <summary>The folder of the Fashion-MNIST sample copied beside the tool.</summary>
    public static string SampleFolder => Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-sample");

    public static int Run(string? dataFolder, int seed, string deviceName = "cpu", string outDir = "demo-out", bool quick = false)
    {
        torch.Device device;
        try
        {
            device = DeviceOption.Parse(deviceName);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("losslab demo: " + e.Message);
            return 2;
        }
        string folder = dataFolder
            ?? (File.Exists(Path.Combine(FashionMnist.DebianFolder, "t10k-images-idx3-ubyte.gz")) ? FashionMnist.DebianFolder : SampleFolder);
        ImageSet train, test;
        try
        {
            train = FashionMnist.Load(folder, "train");
            test = FashionMnist.Load(folder, "t10k");
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException)
        {
            Console.Error.WriteLine("losslab demo: " + e.Message);
            return 2;
        }
        using (train)
        using (test)
        {
            AnsiConsole.MarkupLine($"[bold]LossLab demo[/]: Fashion-MNIST from {Markup.Escape(folder)} ({train.Count} training, {test.Count} test images)");
            var rows = Evaluate(train, test, seed, device, out double accuracy);
            AnsiConsole.MarkupLine($"Fitted a softmax-regression classifier (784 -> 10) with cross-entropy: test accuracy {accuracy:P1}.");
            AnsiConsole.MarkupLine("Each loss on one test batch of 128 images: its value, the norm of its gradient with respect to the logits and to the weights, and the cosine between its logit gradient and cross-entropy's.");
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("loss").AddColumn(new TableColumn("value").RightAligned()).AddColumn(new TableColumn("|dL/dlogits|").RightAligned())
                .AddColumn(new TableColumn("|dL/dW|").RightAligned()).AddColumn(new TableColumn("cos to CE").RightAligned());
            foreach (var r in rows)
                table.AddRow(Markup.Escape(r.Spec), $"{r.Value:F4}", $"{r.LogitGradNorm:F4}", $"{r.WeightGradNorm:F4}", $"{r.CosineToCe:F3}");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine("IQ with chi2 is cross-entropy plus alpha/4 * mean(logits^2); the other divergences reweight the target term by phi'(r_y), held constant.");
        }
        if (quick) return 0;
        return ShortStudy(folder, deviceName, outDir);
    }

    /// <summary>The demo's study: CE, focal and the four IQ divergences, 2 seeds, the small CNN, 3 epochs.</summary>
    public static StudySpec StudySpecFor(string folder) => new()
    {
        Name = "LossLab demo: cross-entropy, focal and IQ Loss on Fashion-MNIST",
        Datasets = ["fashion-mnist"],
        Data = new() { ["fashion-mnist"] = folder },
        Models = ["small_cnn"],
        Losses =
        [
            new() { Name = "Cross-entropy", Spec = "cross_entropy" },
            new() { Name = "Focal (gamma=3)", Spec = "focal:gamma=3" },
            new() { Name = "IQ chi2", Spec = "iq:divergence=chi" },
            new() { Name = "IQ reverse KL", Spec = "iq:divergence=kl" },
            new() { Name = "IQ Jensen-Shannon", Spec = "iq:divergence=js" },
            new() { Name = "IQ Hellinger", Spec = "iq:divergence=hellinger" },
        ],
        Seeds = [0, 1],
        Training = new TrainConfig { Epochs = 3, BatchSize = 64, Lr = 0.05, Schedule = "cosine", TrainLimit = folder == FashionMnist.DebianFolder ? 5000 : 0, ValidationSize = 500 },
        Evaluation = new StudyEvaluation { Ood = ["noise"], Shifts = ["gaussian_noise:3", "rotation:3"] },
    };

    private static int ShortStudy(string folder, string deviceName, string outDir)
    {
        var spec = StudySpecFor(folder);
        if (deviceName != "cpu") spec = spec with { Training = spec.Training with { Device = deviceName } };
        var runner = new StudyRunner(spec, outDir, RunEvaluator.ForStudy(spec));
        AnsiConsole.WriteLine();
        AnsiConsole.MarkupLine($"[bold]A short study[/]: {spec.Losses.Count} losses x {spec.Seeds.Count} seeds, small CNN, {spec.Training.Epochs} epochs{(spec.Training.TrainLimit > 0 ? $" on {spec.Training.TrainLimit} training images" : "")}; finished runs in {Markup.Escape(outDir)} are reused.");
        runner.Run(new Progress<string>(line => Console.Out.WriteLine(line)));
        string report = StudyReport.Write(spec, outDir, "losslab demo", StudyCommand.GitCommit());
        var runs = StudyReport.Collect(spec, outDir);
        var table = new Table().Border(TableBorder.Rounded).AddColumn("loss")
            .AddColumn(new TableColumn("test error").RightAligned()).AddColumn(new TableColumn("NLL").RightAligned())
            .AddColumn(new TableColumn("ECE").RightAligned()).AddColumn(new TableColumn("ECE after TS").RightAligned())
            .AddColumn(new TableColumn("OOD AUROC (noise)").RightAligned()).AddColumn(new TableColumn("acc. under noise").RightAligned());
        foreach (var loss in spec.Losses)
        {
            var rs = runs.Where(r => r.Run.Loss.Name == loss.Name).ToList();
            if (rs.Count == 0) continue;
            string M(Func<FinishedRun, double> f, string fmt) => Statistics.MeanCi(rs.Select(f).ToList()).Format(fmt);
            table.AddRow(Markup.Escape(loss.Name), M(r => r.Evaluation.Test.Error, "P1"), M(r => r.Evaluation.Test.Calibration.Nll, "F3"),
                M(r => r.Evaluation.Test.Calibration.Ece, "F3"), M(r => r.Evaluation.Test.CalibrationAfterTemperature?.Ece ?? double.NaN, "F3"),
                M(r => r.Evaluation.Ood.GetValueOrDefault("noise")?.FirstOrDefault(o => o.Score == "msp")?.Auroc ?? double.NaN, "F3"),
                M(r => r.Evaluation.Shifts.GetValueOrDefault("gaussian_noise:3")?.Accuracy ?? double.NaN, "P1"));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Mean over {spec.Seeds.Count} seeds ± 95% CI. Two seeds on a small sample are a demonstration, not evidence: `losslab study studies/fashion-mnist.json` runs the real comparison.");
        AnsiConsole.MarkupLine($"Report with paired tests and pictures: [bold]{Markup.Escape(Path.GetFullPath(report))}[/] (figures in {Markup.Escape(Path.GetFullPath(Path.Combine(outDir, "figures")))})");
        return 0;
    }

    /// <summary>One row of the demo's table.</summary>
    public sealed record Row(string Spec, double Value, double LogitGradNorm, double WeightGradNorm, double CosineToCe);

    /// <summary>Fits the classifier and evaluates every spec; returns the rows and the test accuracy.</summary>
    public static List<Row> Evaluate(ImageSet train, ImageSet test, int seed, torch.Device device, out double accuracy)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(seed);
        var gen = new Generator((ulong)seed);
        long n = Math.Min(train.Count, 10_000);
        var x = train.Normalized(FashionMnist.Mean, FashionMnist.Std).reshape(train.Count, -1)[..(int)n].to(device);
        var y = train.Labels[..(int)n].to(device);
        var w = torch.nn.Parameter(torch.zeros(784, 10, dtype: ScalarType.Float32, device: device));
        var b = torch.nn.Parameter(torch.zeros(10, dtype: ScalarType.Float32, device: device));
        var opt = torch.optim.SGD(new[] { w, b }, 0.01, momentum: 0.9);
        const int steps = 300, batch = 128;
        for (int step = 0; step < steps; step++)
        {
            using var inner = NewDisposeScope();
            var idx = torch.randint(0, n, new[] { (long)batch }, generator: gen).to(device);
            opt.zero_grad();
            var loss = torch.nn.functional.cross_entropy(x.index_select(0, idx).matmul(w) + b, y.index_select(0, idx));
            loss.backward();
            opt.step();
        }
        var xt = test.Normalized(FashionMnist.Mean, FashionMnist.Std).reshape(test.Count, -1).to(device);
        var yt = test.Labels.to(device);
        using (torch.no_grad())
            accuracy = (xt.matmul(w) + b).argmax(1).eq(yt).to_type(ScalarType.Float64).mean().item<double>();

        var perm = torch.randperm(test.Count, generator: gen)[..128].to(device);
        var xb = xt.index_select(0, perm);
        var yb = yt.index_select(0, perm);
        var rows = new List<Row>();
        Tensor? ceGrad = null;
        foreach (var spec in Specs)
        {
            using var inner = NewDisposeScope();
            var loss = LossCatalog.Create(spec);
            w.grad?.zero_();
            var logits = (xb.matmul(w) + b);
            logits.retain_grad();
            var value = loss.forward(logits, yb);
            value.backward();
            var g = logits.grad!.detach().reshape(-1);
            if (ceGrad is null)
            {
                ceGrad = g.clone();
                ceGrad.MoveToOuterDisposeScope();
            }
            double cos = (g.dot(ceGrad) / (g.norm() * ceGrad.norm()).clamp_min(1e-30)).item<float>();
            rows.Add(new Row(spec, value.item<float>(), g.norm().item<float>(), w.grad!.norm().item<float>(), cos));
        }
        return rows;
    }
}
