using LossLab.Diagnostics;
using Xunit;

namespace LossLab.Tests.Conformance;

/// <summary>Runs every public conformance case (reference values from PyTorch, scikit-learn and the papers' code).</summary>
public class ConformanceTests
{
    private static string CaseFolder => Path.Combine(AppContext.BaseDirectory, "Conformance", "cases");

    public static TheoryData<string> CaseFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(CaseFolder, "*.json").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(f));
        return data;
    }

    [Fact]
    public void TheCaseFilesAreThere() => Assert.True(CaseFiles().Count >= 7, "the public case files were not copied next to the tests");

    [Theory]
    [MemberData(nameof(CaseFiles))]
    public void EveryCasePasses(string file)
    {
        var report = LossLab.Diagnostics.Conformance.Run(File.ReadAllText(Path.Combine(CaseFolder, file)), file);
        Assert.True(report.Failed == 0, $"{report.Failed} failed, {report.Passed} passed:\n" + string.Join("\n", report.Failures.Take(20).Select(f => $"{f.Id}: {f.Reason}")));
        Assert.True(report.Passed > 0);
    }

    [Fact]
    public void AWrongExpectedValueFails()
    {
        const string json = """
        {"source": "test", "cases": [
          {"id": "focal/wrong", "loss": "focal", "params": {"gamma": 0.0},
           "inputs": {"input": {"shape": [1, 2], "dtype": "float64", "data": [0.0, 0.0]},
                      "target": {"shape": [1], "dtype": "int64", "data": [0]}},
           "expected": {"shape": [], "dtype": "float64", "data": [0.7]}, "rtol": 1e-7, "atol": 1e-9},
          {"id": "focal/right", "loss": "focal", "params": {"gamma": 0.0},
           "inputs": {"input": {"shape": [1, 2], "dtype": "float64", "data": [0.0, 0.0]},
                      "target": {"shape": [1], "dtype": "int64", "data": [0]}},
           "expected": {"shape": [], "dtype": "float64", "data": [0.6931471805599453]},
           "grad": {"input": {"shape": [1, 2], "dtype": "float64", "data": [-0.5, 0.5]}}, "rtol": 1e-7, "atol": 1e-9},
          {"id": "nope", "loss": "no_such_loss", "params": {}, "inputs": {}, "expected": {"shape": [], "dtype": "float64", "data": [0]}}
        ]}
        """;
        var report = LossLab.Diagnostics.Conformance.Run(json, "inline");
        Assert.Equal(1, report.Passed);
        Assert.Equal(2, report.Failed);
        Assert.Contains(report.Failures, f => f.Id == "focal/wrong" && f.Reason.Contains("expected 0.7"));
        Assert.Contains(report.Failures, f => f.Id == "nope" && f.Reason.StartsWith("unsupported"));
    }
}
