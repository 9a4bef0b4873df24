using System.CommandLine;
using System.Diagnostics;
using LossLab.Reports.Studies;
using LossLab.Training.Studies;

namespace LossLab.Cli.Commands;

/// <summary><c>losslab study SPEC</c>: runs every combination of a study, skipping finished runs, and writes the report.</summary>
internal static class StudyCommand
{
    public static Command Create()
    {
        var spec = new Argument<string>("spec") { Description = "the study spec (JSON or YAML; see docs/studies.md)" };
        var out_ = new Option<string?>("--out") { Description = "the study folder (default: studies-out/<spec name>)" };
        var aggregate = new Option<bool>("--aggregate") { Description = "only build the report from the runs that have finished" };
        var emit = new Option<string?>("--emit") { Description = "write a job script instead of running: slurm (a job array, one task per combination)" };
        var index = new Option<int?>("--index") { Description = "run only this combination (0-based; what a Slurm array task runs)" };
        var device = DeviceOption.Create();
        var cmd = new Command("study", "Run a study (losses x seeds x datasets x models), resuming and skipping finished runs, then write report.md with confidence intervals and pictures.")
        {
            spec, out_, aggregate, emit, index, device,
        };
        cmd.SetAction(r => Run(r.GetValue(spec)!, r.GetValue(out_), r.GetValue(aggregate), r.GetValue(emit), r.GetValue(index), r.GetValue(device)!, Console.Out, Console.Error));
        return cmd;
    }

    internal static int Run(string specPath, string? outDir, bool aggregateOnly, string? emit, int? index, string device, TextWriter output, TextWriter errors)
    {
        try
        {
            if (!File.Exists(specPath)) throw new FileNotFoundException($"no study spec at '{specPath}'");
            var spec = StudySpec.Parse(File.ReadAllText(specPath), Path.GetFileName(specPath));
            if (device != "cpu") spec = spec with { Training = spec.Training with { Device = device } };
            string root = outDir ?? Path.Combine("studies-out", Path.GetFileNameWithoutExtension(specPath));
            var runner = new StudyRunner(spec, root, RunEvaluator.ForStudy(spec));
            if (emit is not null)
            {
                if (emit != "slurm") throw new ArgumentException($"--emit supports slurm, got '{emit}'");
                Directory.CreateDirectory(root);
                string script = Path.Combine(root, "slurm.sh");
                Training.Training.RunFiles.WriteAtomically(script, runner.SlurmScript(Path.GetFullPath(specPath), "losslab"));
                output.WriteLine($"wrote {script}: {runner.Runs.Count} array tasks. Submit with `sbatch {script}`; afterwards `losslab study {specPath} --out {root} --aggregate`.");
                return 0;
            }
            if (!aggregateOnly)
            {
                output.WriteLine($"study '{spec.Name}': {runner.Runs.Count} runs into {Path.GetFullPath(root)}");
                var (trained, skipped) = runner.Run(new Progress<string>(output.WriteLine), run => new ProgressPrinter(output, quiet: true), index);
                output.WriteLine($"{trained} runs trained now, {skipped} finished before.");
                if (index is not null) return 0;
            }
            string command = "losslab study " + specPath + (outDir is null ? "" : " --out " + outDir);
            string report = StudyReport.Write(spec, root, command, GitCommit());
            output.WriteLine($"report: {Path.GetFullPath(report)}");
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or FileNotFoundException or InvalidDataException or InvalidOperationException)
        {
            errors.WriteLine("losslab study: " + e.Message);
            return 2;
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is ArgumentException or FormatException or FileNotFoundException or InvalidDataException or InvalidOperationException))
        {
            foreach (var i in e.InnerExceptions) errors.WriteLine("losslab study: " + i.Message);
            return 2;
        }
    }

    /// <summary>The commit of the source tree the tool runs from, when it is a git checkout (for the report).</summary>
    internal static string? GitCommit()
    {
        try
        {
            var psi = new ProcessStartInfo("git", "rev-parse --short HEAD") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
            using var p = Process.Start(psi);
            if (p is null) return null;
            string s = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 && s.Length > 0 ? s : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
