using System.Text.Json;
using LossLab.Cli.Commands;
using Xunit;

namespace LossLab.Tests.Cli;

public class CommandTests
{
    [Fact]
    public void ConformanceEndsWithTheCountLine()
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        string folder = Path.Combine(AppContext.BaseDirectory, "Conformance", "cases");
        int code = ConformanceCommand.Run([Path.Combine(folder, "focal_calibration.json")], false, output, errors);
        var last = output.ToString().TrimEnd().Split('\n')[^1];
        Assert.Equal("conformance: 15 passed, 0 failed", last);
        Assert.Equal(0, code);
    }

    [Fact]
    public void ConformanceOnAMissingPathIsAUsageError()
    {
        var errors = new StringWriter();
        Assert.Equal(2, ConformanceCommand.Run(["/no/such/place"], false, new StringWriter(), errors));
        Assert.Contains("/no/such/place", errors.ToString());
    }

    [Fact]
    public void GradcheckEndsWithTheCountLine()
    {
        var output = new StringWriter();
        int code = GradcheckCommand.Run(["iq"], false, output, new StringWriter());
        Assert.Matches(@"^gradcheck: \d+ passed, 0 failed$", output.ToString().TrimEnd().Split('\n')[^1]);
        Assert.Equal(0, code);
        Assert.Equal(2, GradcheckCommand.Run(["nope"], false, new StringWriter(), new StringWriter()));
    }

    [Fact]
    public void TheJsonCatalogListsParametersWithTypesAndDefaults()
    {
        using var doc = JsonDocument.Parse(LossesCommand.CatalogJson());
        var iq = doc.RootElement.GetProperty("losses").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "iq");
        var div = iq.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "divergence");
        Assert.Equal("choice", div.GetProperty("type").GetString());
        Assert.Equal("chi", div.GetProperty("default").GetString());
        Assert.Contains("js", div.GetProperty("choices").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("phi_prime", iq.GetProperty("held_terms")[0].GetString());
        Assert.Equal("input", iq.GetProperty("inputs")[0].GetProperty("name").GetString());
    }
}
