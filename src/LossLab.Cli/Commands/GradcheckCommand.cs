using System.CommandLine;
using LossLab.Diagnostics;
using LossLab.Registry;

namespace LossLab.Cli.Commands;

/// <summary><c>losslab gradcheck [--loss NAME]</c>: autograd against central finite differences for registered losses.</summary>
internal static class GradcheckCommand
{
    public static Command Create()
    {
        var loss = new Option<string[]>("--loss") { Description = "check only these losses or composite specs (repeatable), e.g. focal or \"cross_entropy + 2*focal:gamma=2\"; default: every registered loss", AllowMultipleArgumentsPerToken = true };
        var verbose = new Option<bool>("--verbose") { Description = "print every setting, passed or not" };
        var cmd = new Command("gradcheck", "Check every loss's gradient against central finite differences in float64 (held terms frozen at the point of evaluation).") { loss, verbose };
        cmd.SetAction(r => Run(r.GetValue(loss) ?? Array.Empty<string>(), r.GetValue(verbose), Console.Out, Console.Error));
        return cmd;
    }

    internal static int Run(IReadOnlyCollection<string> names, bool verbose, TextWriter output, TextWriter errors)
    {
        var defs = new List<LossDefinition>();
        if (names.Count == 0) defs.AddRange(LossCatalog.Losses);
        else
        {
            foreach (var n in names)
            {
                LossDefinition? d = LossCatalog.FindLoss(n);
                if (d is null && (n.Contains('+') || n.Contains('*') || n.Contains('(') || n.Contains(':')))
                {
                    try
                    {
                        d = new Registry.Composite.CompositeDefinition(n);
                    }
                    catch (Exception e) when (e is ArgumentException or FormatException)
                    {
                        errors.WriteLine($"losslab gradcheck: {e.Message}");
                        return 2;
                    }
                }
                if (d is null)
                {
                    errors.WriteLine($"losslab gradcheck: unknown loss '{n}' (`losslab losses` lists them)");
                    return 2;
                }
                defs.Add(d);
            }
        }
        int passed = 0, failed = 0;
        foreach (var def in defs)
        {
            foreach (var r in GradCheck.Run(def))
            {
                if (r.Passed) passed++; else failed++;
                if (!r.Passed) output.WriteLine($"FAIL {r.Loss} [{r.Case}]: {r.Message}");
                else if (verbose) output.WriteLine($"ok   {r.Loss} [{r.Case}] ({r.Checked} entries)");
            }
        }
        output.WriteLine($"gradcheck: {passed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }
}
