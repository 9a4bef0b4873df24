using LossLab.Training.Data;
using LossLab.Training.Models;
using LossLab.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Studies;

/// <summary>What a study's evaluator gets for one finished run: the run, its data and its trained model (last checkpoint).</summary>
/// <param name="Run">The run.</param>
/// <param name="Data">Its data.</param>
/// <param name="Model">The model, loaded from the run's last checkpoint, in evaluation mode.</param>
/// <param name="Device">The device the model is on.</param>
public sealed record RunToEvaluate(StudyRun Run, TrainingData Data, nn.Module<Tensor, Tensor> Model, Device Device);

/// <summary>
/// Runs a study: trains every combination that has not finished (resuming interrupted ones from their last
/// checkpoint), evaluates it, and writes its <c>evaluation.json</c> atomically, last, so that a run counts as finished
/// only once everything it produces is on disk. Running the same study again skips finished runs.
/// </summary>
public sealed class StudyRunner
{
    private readonly StudySpec spec;
    private readonly string root;
    private readonly Func<RunToEvaluate, string> evaluate;

    /// <summary>Creates a runner writing under <paramref name="root"/>; <paramref name="evaluate"/> returns a run's evaluation as JSON.</summary>
    public StudyRunner(StudySpec spec, string root, Func<RunToEvaluate, string> evaluate)
    {
        this.spec = spec;
        this.root = root;
        this.evaluate = evaluate;
    }

    /// <summary>Every run of the study.</summary>
    public IReadOnlyList<StudyRun> Runs => spec.Expand(root);

    /// <summary>Runs the study (or one run of it, for a Slurm array task).</summary>
    /// <param name="log">Receives one line per event.</param>
    /// <param name="trainProgress">Receives training progress of the run in flight (null: none).</param>
    /// <param name="onlyIndex">Run only this combination.</param>
    /// <param name="cancel">Stops between steps; finished runs and checkpoints stay valid.</param>
    /// <returns>How many runs were trained now and how many were finished (or failed) before. Runs whose loss diverged
    /// are recorded in a <c>failed</c> file, reported, and not retried (delete the file to retry).</returns>
    public (int Trained, int Skipped) Run(IProgress<string>? log = null, Func<StudyRun, IProgress<TrainProgress>?>? trainProgress = null, int? onlyIndex = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(root);
        RunFiles.WriteAtomically(Path.Combine(root, "study.json"), spec.ToJson());
        var runs = Runs.Where(r => onlyIndex is null || r.Index == onlyIndex).ToList();
        if (onlyIndex is not null && runs.Count == 0) throw new ArgumentException($"the study has {Runs.Count} runs; index {onlyIndex} is not one of them");
        int trained = 0, skipped = 0, failed = 0;
        if (spec.Parallel > 1) torch.set_num_threads(Math.Max(1, Environment.ProcessorCount / spec.Parallel));
        var options = new ParallelOptions { MaxDegreeOfParallelism = spec.Parallel, CancellationToken = cancel };
        Parallel.ForEach(runs, options, run =>
        {
            if (File.Exists(run.EvaluationFile) || File.Exists(run.FailureFile))
            {
                Interlocked.Increment(ref skipped);
                log?.Report($"[{run.Index + 1}/{Runs.Count}] {Describe(run)}: {(File.Exists(run.EvaluationFile) ? "finished" : "failed")} before, skipped");
                return;
            }
            log?.Report($"[{run.Index + 1}/{Runs.Count}] {Describe(run)}: {(File.Exists(Path.Combine(run.Folder, "last.ckpt")) ? "resuming" : "training")}");
            using var data = DatasetCatalog.Load(run.Config.Dataset, run.Config.DataDir, run.Config.ValidationSize, run.Seed, run.Config.TrainLimit);
            var trainer = new Trainer(run.Config, data, run.Folder);
            IReadOnlyList<EpochMetrics> history;
            try
            {
                history = trainer.Run(resume: true, progress: trainProgress?.Invoke(run), cancel: cancel);
            }
            catch (InvalidOperationException e) when (e.Message.Contains("the loss is", StringComparison.Ordinal))
            {
                // a diverged run is a result of the study, not a crash of it: recorded, reported, not retried
                RunFiles.WriteAtomically(run.FailureFile, e.Message + "\n");
                Interlocked.Increment(ref failed);
                log?.Report($"[{run.Index + 1}/{Runs.Count}] {Describe(run)}: FAILED, {e.Message}");
                return;
            }
            var device = torch.device(run.Config.Device);
            using var model = ModelCatalog.Create(run.Config.Model, data.Channels, data.ImageSize, data.NumClasses);
            model.to(device);
            Checkpoint.Load(trainer.Files.LastCheckpoint, model, null);
            model.eval();
            string json = evaluate(new RunToEvaluate(run, data, model, device));
            RunFiles.WriteAtomically(run.EvaluationFile, json);
            Interlocked.Increment(ref trained);
            log?.Report($"[{run.Index + 1}/{Runs.Count}] {Describe(run)}: done, validation error {history[^1].ValError:P2}");
        });
        return (trained, skipped);
    }

    private static string Describe(StudyRun r) => $"{r.Dataset} / {r.Model} / {r.Loss.Name} / seed {r.Seed}";

    /// <summary>
    /// A Slurm job-array script with one array task per combination: each task runs
    /// <c>losslab study SPEC --out ROOT --index $SLURM_ARRAY_TASK_ID</c> on a shared folder; afterwards
    /// <c>losslab study SPEC --out ROOT --aggregate</c> builds the report from whatever finished.
    /// </summary>
    public string SlurmScript(string specPath, string losslabCommand = "losslab", string? partition = null, string time = "24:00:00", int cpus = 4, bool gpu = false)
    {
        int n = Runs.Count;
        var lines = new List<string>
        {
            "#!/usr/bin/env bash",
            $"#SBATCH --job-name=losslab-{StudySpec.Slug(spec.Name)}",
            $"#SBATCH --array=0-{n - 1}",
            $"#SBATCH --cpus-per-task={cpus}",
            $"#SBATCH --time={time}",
            $"#SBATCH --output={Path.Combine(root, "slurm", "%A_%a.out")}",
        };
        if (partition is not null) lines.Add($"#SBATCH --partition={partition}");
        if (gpu) lines.Add("#SBATCH --gres=gpu:1");
        lines.Add("# One array task per combination; results go to the shared folder below. When they have finished:");
        lines.Add($"#   {losslabCommand} study {Quote(specPath)} --out {Quote(root)} --aggregate");
        lines.Add("set -euo pipefail");
        lines.Add($"mkdir -p {Quote(Path.Combine(root, "slurm"))}");
        lines.Add($"export LOSSLAB_THREADS=${{SLURM_CPUS_PER_TASK:-{cpus}}}");
        lines.Add($"{losslabCommand} study {Quote(specPath)} --out {Quote(root)} --index \"$SLURM_ARRAY_TASK_ID\"");
        return string.Join("\n", lines) + "\n";
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
