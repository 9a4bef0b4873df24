using ScottPlot;
using SkiaSharp;

namespace LossLab.Reports;

/// <summary>
/// The font every chart uses: DejaVu Sans, embedded in this assembly and registered with ScottPlot, so that text
/// renders the same on every machine, including one with no font installed.
/// </summary>
public static class ReportFonts
{
    /// <summary>The family name charts ask for.</summary>
    public const string Family = "DejaVu Sans";

    private static readonly object Gate = new();
    private static bool registered;

    /// <summary>
    /// Registers the embedded DejaVu Sans (regular and bold) as the first font resolver of ScottPlot and makes it the
    /// default font. Idempotent and thread-safe; every chart method calls it.
    /// </summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (registered) return;
            Fonts.FontResolvers.Insert(0, new EmbeddedFontResolver());
            Fonts.Default = Family;
            registered = true;
        }
    }

    /// <summary>Serves the embedded typefaces for <see cref="Family"/> (bold for weights of semi-bold and above).</summary>
    private sealed class EmbeddedFontResolver : IFontResolver
    {
        private readonly SKTypeface regular = Load("LossLab.Reports.Fonts.DejaVuSans.ttf");
        private readonly SKTypeface bold = Load("LossLab.Reports.Fonts.DejaVuSans-Bold.ttf");

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            string.Equals(fontName, Family, StringComparison.OrdinalIgnoreCase) ? (bold ? this.bold : regular) : null;

        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
            CreateTypeface(fontName, (int)weight >= (int)FontWeight.SemiBold, slant != FontSlant.Upright);

        private static SKTypeface Load(string resource)
        {
            using var stream = typeof(ReportFonts).Assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"the font resource '{resource}' is missing from {typeof(ReportFonts).Assembly.GetName().Name}");
            using var data = SKData.Create(stream);
            return SKTypeface.FromData(data) ?? throw new InvalidOperationException($"the font resource '{resource}' could not be read");
        }
    }
}
