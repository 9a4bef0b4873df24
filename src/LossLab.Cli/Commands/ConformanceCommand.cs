using System.CommandLine;
using LossLab.Diagnostics;

namespace LossLab.Cli.Commands;

/// <summary><c>losslab conformance PATH...</c>: runs reference cases computed by independent implementations.</summary>
internal static class ConformanceCommand
{
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = "case files (.json) or folders of them", Arity = ArgumentArity.OneOrMore };
        var verbose = new Option<bool>("--verbose") { Description = "print every file's counts" };
        var cmd = new Command("conformance", "Run conformance cases (reference values from PyTorch, scikit-learn, the papers' code) and report failures.") { paths, verbose };
        cmd.SetAction(r => Run(r.GetValue(paths)!, r.GetValue(verbose), Console.Out, Console.Error));
        return cmd;
    }

    internal static int Run(IEnumerable<string> paths, bool verbose, TextWriter output, TextWriter errors)
    {
        var files = new List<string>();
        foreach (var p in paths)
        {
            if (Directory.Exists(p)) files.AddRange(Directory.GetFiles(p, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            else if (File.Exists(p)) files.Add(p);
            else
            {
                errors.WriteLine($"losslab conformance: no file or folder '{p}'");
                return 2;
            }
        }
        if (files.Count == 0)
        {
            errors.WriteLine("losslab conformance: no .json case files found");
            return 2;
        }
        var total = new ConformanceReport();
        foreach (var f in files)
        {
            ConformanceReport report;
            try
            {
                report = Conformance.Run(File.ReadAllText(f), Path.GetFileName(f));
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or IOException)
            {
                report = new ConformanceReport();
                report.Failures.Add(new ConformanceFailure(Path.GetFileName(f), "(file)", "cannot read: " + e.Message));
            }
            foreach (var fail in report.Failures) output.WriteLine($"FAIL {fail.Source} {fail.Id}: {fail.Reason}");
            if (verbose) output.WriteLine($"  {Path.GetFileName(f)}: {report.Passed} passed, {report.Failed} failed");
            total.Add(report);
        }
        output.WriteLine($"conformance: {total.Passed} passed, {total.Failed} failed");
        return total.Failed == 0 ? 0 : 1;
    }
}
