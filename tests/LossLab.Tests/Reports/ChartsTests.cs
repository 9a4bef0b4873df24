using System.Buffers.Binary;
using LossLab.Reports;
using LossLab.Tests.Support;
using SkiaSharp;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using LM = LossLab.Metrics;

namespace LossLab.Tests.Reports;

public sealed class ChartsTests : IDisposable
{
    // LOSSLAB_KEEP_PICTURES=DIR keeps the pictures there, to look at them.
    private static readonly string? Keep = Environment.GetEnvironmentVariable("LOSSLAB_KEEP_PICTURES");
    private readonly string dir = Keep ?? Path.Combine(Path.GetTempPath(), "losslab-charts-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Keep is null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    /// <summary>A PNG of the expected size that is not blank: several distinct colours, and dark pixels (text, lines).</summary>
    internal static void AssertPicture(string path, int width, int height)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 5000, $"{path} is only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        using var bitmap = SKBitmap.Decode(bytes);
        var colours = new HashSet<uint>();
        int dark = 0;
        for (int y = 0; y < bitmap.Height; y += 2)
            for (int x = 0; x < bitmap.Width; x += 2)
            {
                var c = bitmap.GetPixel(x, y);
                colours.Add((uint)c);
                if (c.Red + c.Green + c.Blue < 200) dark++;
            }
        Assert.True(colours.Count > 20, $"{path} has only {colours.Count} colours");
        Assert.True(dark > 200, $"{path} has only {dark} dark pixels (no text or lines?)");
    }

    internal static void AssertSvg(string path)
    {
        var text = File.ReadAllText(path);
        Assert.Contains("<svg", text);
        Assert.True(text.Length > 2000);
    }

    private static ReliabilityDiagram Diagram(bool adaptive)
    {
        var g = new torch.Generator(3);
        var z = torch.randn(new long[] { 500, 5 }, dtype: ScalarType.Float64, generator: g) * 3;
        var y = torch.randint(0, 5, new long[] { 500 }, dtype: ScalarType.Int64, generator: g);
        return LM.reliability_diagram(torch.softmax(z, 1), y, 15, adaptive);
    }

    [Fact]
    public void ReliabilityDiagramsBeforeAndAfter()
    {
        string png = Path.Combine(dir, "reliability.png");
        Charts.SavePanels([Charts.ReliabilityDiagram(Diagram(false), "Before"), Charts.ReliabilityDiagram(Diagram(true), "Adaptive")], png, 600, 500);
        AssertPicture(png, 1200, 500);
        string svg = Path.Combine(dir, "reliability.svg");
        Charts.Save(Charts.ReliabilityDiagram(Diagram(false)), svg, 600, 500);
        AssertSvg(svg);
        // the left and right halves both hold a chart (the second panel must not wipe the first)
        using var bitmap = SKBitmap.Decode(png);
        int DarkIn(int x0, int x1)
        {
            int n = 0;
            for (int y = 0; y < bitmap.Height; y += 2) for (int x = x0; x < x1; x += 2) { var c = bitmap.GetPixel(x, y); if (c.Red + c.Green + c.Blue < 200) n++; }
            return n;
        }
        Assert.True(DarkIn(0, 600) > 100);
        Assert.True(DarkIn(600, 1200) > 100);
    }

    [Fact]
    public void RocCurvesWithAurocInTheLegend()
    {
        var rng = new System.Random(1);
        var curves = new List<(string, RocCurve, double)>();
        foreach (var shift in new[] { 0.2, 0.8 })
        {
            var a = Enumerable.Range(0, 200).Select(_ => rng.NextDouble() + shift).ToArray();
            var b = Enumerable.Range(0, 200).Select(_ => rng.NextDouble()).ToArray();
            curves.Add(($"shift {shift}", OodDetection.roc_curve(T.F64(a), T.F64(b)), OodDetection.auroc(T.F64(a), T.F64(b))));
        }
        string png = Path.Combine(dir, "roc.png");
        Charts.Save(Charts.RocCurves(curves), png, 700, 600);
        AssertPicture(png, 700, 600);
        string svg = Path.Combine(dir, "roc.svg");
        Charts.Save(Charts.RocCurves(curves), svg, 700, 600);
        AssertSvg(svg);
        Assert.Contains("AUROC", File.ReadAllText(svg));
    }

    [Fact]
    public void ConfidenceHistograms()
    {
        var rng = new System.Random(2);
        var inConf = Enumerable.Range(0, 300).Select(_ => 0.5 + 0.5 * rng.NextDouble()).ToArray();
        var outConf = Enumerable.Range(0, 100).Select(_ => rng.NextDouble()).ToArray();
        string png = Path.Combine(dir, "hist.png");
        Charts.Save(Charts.ConfidenceHistogram(inConf, outConf), png, 640, 480);
        AssertPicture(png, 640, 480);
        Charts.Save(Charts.ConfidenceHistogram(inConf, null), Path.Combine(dir, "hist-in.svg"), 640, 480);
        AssertSvg(Path.Combine(dir, "hist-in.svg"));
        Assert.Throws<ArgumentException>(() => Charts.ConfidenceHistogram([1.5], null));
    }

    [Fact]
    public void TrainingCurvesOfSeveralRuns()
    {
        var epochs = Enumerable.Range(1, 20).Select(e => (double)e).ToArray();
        var runs = new[]
        {
            new TrainingCurve("cross-entropy", epochs, epochs.Select(e => 2.0 / e + 0.1).ToArray()),
            new TrainingCurve("focal", epochs, epochs.Select(e => 1.5 / e + 0.2).ToArray()),
            new TrainingCurve("iq:js", epochs, epochs.Select(e => 1.0 / Math.Sqrt(e)).ToArray()),
        };
        var valError = runs.Select(r => r with { Values = r.Values.Select(v => v / 3).ToArray() });
        string png = Path.Combine(dir, "training.png");
        Charts.SavePanels(
        [
            Charts.TrainingCurves(runs, "Training loss", "Loss", logY: true),
            Charts.TrainingCurves(runs, "Validation loss", "Validation loss"),
            Charts.TrainingCurves(valError, "Validation error", "Validation error"),
        ], png, 500, 400);
        AssertPicture(png, 1500, 400);
        Assert.Throws<ArgumentException>(() => Charts.TrainingCurves([new TrainingCurve("bad", [1, 2], [1])], "y"));
    }

    [Fact]
    public void OnlyPngAndSvg()
    {
        var plot = Charts.ReliabilityDiagram(Diagram(false));
        Assert.Contains(".png or .svg", Assert.Throws<ArgumentException>(() => Charts.Save(plot, Path.Combine(dir, "x.jpg"))).Message);
    }
}
