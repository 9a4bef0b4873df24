using ScottPlot;
using SkiaSharp;

namespace LossLab.Reports;

/// <summary>
/// The pictures people read when they evaluate a classifier, as ScottPlot plots: reliability diagrams, ROC curves,
/// confidence histograms and training curves; and saving one or several panels to PNG or SVG.
/// </summary>
public static class Charts
{
    private static readonly Color AccuracyColor = Color.FromHex("#1f77b4");
    private static readonly Color GapColor = Color.FromHex("#d62728");
    private static readonly Color[] Palette =
        new[] { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" }
            .Select(Color.FromHex).ToArray();

    /// <summary>
    /// A reliability diagram (Guo et al. 2017, Fig. 1): per bin a bar of accuracy over the bin's confidence interval,
    /// the gap to the bin's mean confidence shaded red, the diagonal of perfect calibration, each bin's sample count
    /// written above it, and the calibration error in the title.
    /// </summary>
    /// <param name="diagram">The bins, from <see cref="LossLab.Metrics.reliability_diagram"/>.</param>
    /// <param name="title">The title; the ECE (or AdaECE) is appended.</param>
    /// <returns>The plot, ready to save.</returns>
    public static Plot ReliabilityDiagram(ReliabilityDiagram diagram, string title = "Reliability diagram")
    {
        ArgumentNullException.ThrowIfNull(diagram);
        var plot = NewPlot();
        bool firstBar = true, firstGap = true;
        for (int b = 0; b < diagram.Bins; b++)
        {
            if (diagram.Count[b] == 0) continue;
            double lo = diagram.Lower[b], hi = diagram.Upper[b];
            var bar = plot.Add.Rectangle(lo, hi, 0, diagram.Accuracy[b]);
            bar.FillColor = AccuracyColor.WithAlpha(0.85);
            bar.LineColor = Colors.Black.WithAlpha(0.6);
            bar.LineWidth = 1;
            if (firstBar) { bar.LegendText = "Accuracy"; firstBar = false; }
            double acc = diagram.Accuracy[b], conf = diagram.MeanConfidence[b];
            if (Math.Abs(conf - acc) > 0)
            {
                var gap = plot.Add.Rectangle(lo, hi, Math.Min(acc, conf), Math.Max(acc, conf));
                gap.FillColor = GapColor.WithAlpha(0.35);
                gap.FillHatch = new ScottPlot.Hatches.Striped();
                gap.FillHatchColor = GapColor.WithAlpha(0.6);
                gap.LineColor = GapColor;
                gap.LineWidth = 1;
                if (firstGap) { gap.LegendText = "Gap (confidence - accuracy)"; firstGap = false; }
            }
        }
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LineColor = Colors.Gray;
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LineWidth = 1.5f;
        diagonal.LegendText = "Perfect calibration";

        // Counts are written sideways when some filled bin is too narrow for them to sit side by side.
        bool narrow = Enumerable.Range(0, diagram.Bins).Any(b => diagram.Count[b] > 0 && diagram.Upper[b] - diagram.Lower[b] < 0.05);
        for (int b = 0; b < diagram.Bins; b++)
        {
            if (diagram.Count[b] == 0) continue;
            double top = Math.Max(diagram.Accuracy[b], diagram.MeanConfidence[b]);
            var text = plot.Add.Text(CountLabel(diagram.Count[b]), (diagram.Lower[b] + diagram.Upper[b]) / 2, top);
            text.LabelFontSize = narrow ? 9 : 11;
            text.LabelFontColor = Colors.Black.WithAlpha(0.8);
            text.LabelAlignment = narrow ? Alignment.MiddleLeft : Alignment.LowerCenter;
            text.LabelRotation = narrow ? -90 : 0;
            text.OffsetY = narrow ? -3 : -2;
        }

        string metric = diagram.Adaptive ? "AdaECE" : "ECE";
        plot.Title($"{title} ({metric} = {diagram.CalibrationError:0.0000})", 15);
        plot.XLabel($"Confidence ({diagram.Bins} {(diagram.Adaptive ? "equal-mass" : "equal-width")} bins; counts above bars)", 13);
        plot.YLabel("Accuracy", 13);
        plot.Axes.SetLimits(0, 1, 0, 1.12);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(0.1);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(0.1);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    /// <summary>
    /// ROC curves of several models or scores on one chart, each named with its AUROC in the legend, and the chance
    /// diagonal.
    /// </summary>
    /// <param name="curves">Per curve: its name, the curve and its AUROC.</param>
    /// <param name="title">The title.</param>
    /// <param name="xLabel">The x axis label.</param>
    /// <param name="yLabel">The y axis label.</param>
    /// <returns>The plot, ready to save.</returns>
    /// <exception cref="ArgumentException">No curve, or a curve whose arrays differ in length.</exception>
    public static Plot RocCurves(IEnumerable<(string Name, RocCurve Roc, double Auroc)> curves, string title = "ROC curves",
        string xLabel = "False positive rate", string yLabel = "True positive rate")
    {
        ArgumentNullException.ThrowIfNull(curves);
        var list = curves.ToList();
        if (list.Count == 0) throw new ArgumentException("RocCurves: no curve given", nameof(curves));
        var plot = NewPlot();
        var chance = plot.Add.Line(0, 0, 1, 1);
        chance.LineColor = Colors.Gray;
        chance.LinePattern = LinePattern.Dashed;
        chance.LegendText = "Chance (AUROC 0.5)";
        for (int i = 0; i < list.Count; i++)
        {
            var (name, roc, auroc) = list[i];
            if (roc.Fpr.Length != roc.Tpr.Length || roc.Fpr.Length == 0)
                throw new ArgumentException($"RocCurves: curve '{name}' has {roc.Fpr.Length} FPR and {roc.Tpr.Length} TPR values", nameof(curves));
            var line = plot.Add.ScatterLine(roc.Fpr, roc.Tpr, Palette[i % Palette.Length]);
            line.LineWidth = 2;
            line.LegendText = $"{name} (AUROC {auroc:0.0000})";
        }
        plot.Title(title, 15);
        plot.XLabel(xLabel, 13);
        plot.YLabel(yLabel, 13);
        plot.Axes.SetLimits(-0.01, 1.01, -0.01, 1.01);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(0.1);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(0.1);
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    /// <summary>
    /// Histograms of the top-class confidence (maximum softmax probability) of in-distribution and OOD samples on one
    /// chart, each normalised to fractions of its own set so that sets of different sizes compare.
    /// </summary>
    /// <param name="inConfidence">Confidences of in-distribution samples, in [0, 1].</param>
    /// <param name="outConfidence">Confidences of OOD samples, in [0, 1], or null for none.</param>
    /// <param name="bins">Equal-width bins over [0, 1], at least 1.</param>
    /// <param name="title">The title.</param>
    /// <returns>The plot, ready to save.</returns>
    /// <exception cref="ArgumentException">No in-distribution confidence, values outside [0, 1] or NaN, or bins below 1.</exception>
    public static Plot ConfidenceHistogram(double[] inConfidence, double[]? outConfidence, int bins = 20, string title = "Confidence histogram")
    {
        ArgumentNullException.ThrowIfNull(inConfidence);
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "ConfidenceHistogram: 'bins' must be >= 1");
        if (inConfidence.Length == 0) throw new ArgumentException("ConfidenceHistogram: 'inConfidence' is empty", nameof(inConfidence));
        var plot = NewPlot();
        double width = 1.0 / bins;
        double top = 0;
        var sets = new List<(string Name, double[] Values, Color Color)> { ("In-distribution", inConfidence, Palette[0]) };
        if (outConfidence is { Length: > 0 }) sets.Add(("Out-of-distribution", outConfidence, Palette[1]));
        foreach (var (name, values, color) in sets)
        {
            var fractions = Fractions(values, bins, name);
            top = Math.Max(top, fractions.Max());
            var bars = new List<Bar>();
            for (int b = 0; b < bins; b++)
                bars.Add(new Bar { Position = (b + 0.5) * width, Value = fractions[b], Size = width, FillColor = color.WithAlpha(0.5), LineColor = color, LineWidth = 1 });
            var barPlot = plot.Add.Bars(bars);
            barPlot.LegendText = $"{name} (n = {values.Length})";
        }
        plot.Title(title, 15);
        plot.XLabel("Confidence (maximum softmax probability)", 13);
        plot.YLabel("Fraction of samples", 13);
        plot.Axes.SetLimits(0, 1, 0, Math.Max(top * 1.15, 1e-3));
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(0.1);
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    /// <summary>
    /// Training curves: one line per run of one quantity (loss, validation loss, validation error) over epochs.
    /// </summary>
    /// <param name="curves">The runs' series.</param>
    /// <param name="yLabel">What the values are (the y axis label).</param>
    /// <param name="title">The title.</param>
    /// <param name="logY">Plot the values on a log scale (for losses spanning decades); non-positive values are left out.</param>
    /// <returns>The plot, ready to save.</returns>
    /// <exception cref="ArgumentException">No curve, or a malformed one.</exception>
    public static Plot TrainingCurves(IEnumerable<TrainingCurve> curves, string yLabel, string title = "Training curves", bool logY = false)
    {
        ArgumentNullException.ThrowIfNull(curves);
        var list = curves.ToList();
        if (list.Count == 0) throw new ArgumentException("TrainingCurves: no curve given", nameof(curves));
        var plot = NewPlot();
        (double min, double max) span = (double.PositiveInfinity, double.NegativeInfinity);
        for (int i = 0; i < list.Count; i++)
        {
            var c = list[i];
            c.Validate();
            var keep = Enumerable.Range(0, c.Values.Length).Where(j => double.IsFinite(c.Values[j]) && double.IsFinite(c.Epochs[j]) && (!logY || c.Values[j] > 0)).ToArray();
            var xs = keep.Select(j => c.Epochs[j]).ToArray();
            var ys = keep.Select(j => logY ? Math.Log10(c.Values[j]) : c.Values[j]).ToArray();
            if (ys.Length > 0) span = (Math.Min(span.min, ys.Min()), Math.Max(span.max, ys.Max()));
            var line = plot.Add.ScatterLine(xs, ys, Palette[i % Palette.Length]);
            line.LineWidth = 2;
            line.MarkerSize = xs.Length <= 40 ? 5 : 0;
            line.LegendText = c.Name;
        }
        if (logY && span.max > span.min)
        {
            var minor = new ScottPlot.TickGenerators.LogMinorTickGenerator();
            var ticks = new ScottPlot.TickGenerators.NumericAutomatic { MinorTickGenerator = minor, LabelFormatter = y => $"{Math.Pow(10, y):G3}", IntegerTicksOnly = span.max - span.min >= 2 };
            plot.Axes.Left.TickGenerator = ticks;
        }
        plot.Title(title, 15);
        plot.XLabel("Epoch", 13);
        plot.YLabel(logY ? yLabel + " (log scale)" : yLabel, 13);
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>
    /// Saves a plot as PNG or SVG, chosen by the file's extension (<c>.png</c> or <c>.svg</c>).
    /// </summary>
    /// <param name="plot">The plot.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <exception cref="ArgumentException">An extension other than .png or .svg, or a size below 50 pixels.</exception>
    public static void Save(Plot plot, string path, int width = 800, int height = 600)
    {
        ArgumentNullException.ThrowIfNull(plot);
        SavePanels([plot], path, width, height);
    }

    /// <summary>
    /// Saves several plots side by side (one row of panels, each <paramref name="panelWidth"/> wide) as one PNG or SVG,
    /// chosen by the file's extension.
    /// </summary>
    /// <param name="panels">The plots, left to right.</param>
    /// <param name="path">The file to write (.png or .svg).</param>
    /// <param name="panelWidth">Each panel's width in pixels.</param>
    /// <param name="height">The height in pixels.</param>
    /// <exception cref="ArgumentException">No panel, an extension other than .png or .svg, or a size below 50 pixels.</exception>
    public static void SavePanels(IReadOnlyList<Plot> panels, string path, int panelWidth = 800, int height = 600)
    {
        ArgumentNullException.ThrowIfNull(panels);
        ArgumentNullException.ThrowIfNull(path);
        if (panels.Count == 0) throw new ArgumentException("SavePanels: no panel given", nameof(panels));
        if (panelWidth < 50 || height < 50) throw new ArgumentException($"SavePanels: the size must be at least 50 x 50 pixels, got {panelWidth} x {height}", nameof(panelWidth));
        string ext = Path.GetExtension(path).ToLowerInvariant();
        if (ext != ".png" && ext != ".svg") throw new ArgumentException($"SavePanels: '{path}' must end in .png or .svg", nameof(path));
        int width = panelWidth * panels.Count;
        var rect = new SKRect(0, 0, width, height);
        if (ext == ".png")
        {
            using var surface = SKSurface.Create(new SKImageInfo(width, height)) ?? throw new InvalidOperationException("SavePanels: cannot create a drawing surface");
            Draw(surface.Canvas, panels, panelWidth, height);
            using var image = surface.Snapshot();
            using var data = image.Encode(SKEncodedImageFormat.Png, 100);
            Io.AtomicFile.Write(path, s => data.SaveTo(s));
        }
        else
        {
            Io.AtomicFile.Write(path, s =>
            {
                using var managed = new SKManagedWStream(s);
                using (var canvas = SKSvgCanvas.Create(rect, managed))
                {
                    Draw(canvas, panels, panelWidth, height);
                }
                managed.Flush();
            });
        }
    }

    private static void Draw(SKCanvas canvas, IReadOnlyList<Plot> panels, int panelWidth, int height)
    {
        canvas.Clear(SKColors.White);
        for (int i = 0; i < panels.Count; i++)
        {
            // A plot clears its figure background: clip it to its own panel so it leaves the others alone.
            canvas.Save();
            canvas.ClipRect(new SKRect(i * panelWidth, 0, (i + 1) * panelWidth, height));
            panels[i].Render(canvas, new PixelRect(i * panelWidth, (i + 1) * panelWidth, height, 0));
            canvas.Restore();
        }
        canvas.Flush();
    }

    private static Plot NewPlot()
    {
        ReportFonts.Register();
        var plot = new Plot();
        plot.Font.Set(ReportFonts.Family);
        plot.Legend.FontName = ReportFonts.Family;
        plot.Legend.FontSize = 12;
        plot.Legend.SetBestFontOnEachRender = false;
        return plot;
    }

    private static string CountLabel(long n) => n >= 10_000 ? $"{n / 1000.0:0}k" : n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static double[] Fractions(double[] values, int bins, string name)
    {
        var counts = new double[bins];
        foreach (double v in values)
        {
            if (!(v >= 0 && v <= 1)) throw new ArgumentException($"ConfidenceHistogram: {name} confidences must be in [0, 1], got {v}", nameof(values));
            int b = v >= 1 ? bins - 1 : (int)(v * bins);
            counts[b]++;
        }
        for (int b = 0; b < bins; b++) counts[b] /= values.Length;
        return counts;
    }
}
