using System.Diagnostics;
using LossLab.Registry;
using LossLab.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Training;

/// <summary>
/// Trains a classifier with any registry loss: SGD with momentum and weight decay, the paper's step schedule or
/// cosine, optional gradient clipping and IQ-Learn's gradient penalty; after every epoch it measures validation loss,
/// error, NLL and ECE, writes an atomic checkpoint (last and best by validation error), metrics.jsonl / metrics.csv
/// and TensorBoard events. A run killed at any moment resumes from its last checkpoint and ends with the same
/// metrics as an uninterrupted run of the same seed on the same device: each epoch's shuffling and augmentation
/// come from a generator seeded by (seed, epoch), never from state that a crash would lose.
/// </summary>
public sealed class Trainer
{
    private readonly TrainConfig config;
    private readonly TrainingData data;
    private readonly RunFiles files;

    /// <summary>Creates a trainer writing into <paramref name="runFolder"/>.</summary>
    public Trainer(TrainConfig config, TrainingData data, string runFolder)
    {
        config.Validate();
        this.config = config;
        this.data = data;
        files = new RunFiles(runFolder);
    }

    /// <summary>The run's files.</summary>
    public RunFiles Files => files;

    private static readonly object InitLock = new();

    /// <summary>
    /// The model, initialised from the run's seed. Initialisation draws from TorchSharp's global generator, so seeding
    /// and drawing happen under a process-wide lock: runs trained in parallel (a study's parallel option) cannot
    /// interleave their draws. Code elsewhere in the process that draws from the global generator at the same moment
    /// still can; LossLab's own training draws only from explicit generators.
    /// </summary>
    public static nn.Module<Tensor, Tensor> CreateModel(TrainConfig config, TrainingData data)
    {
        lock (InitLock)
        {
            torch.manual_seed(config.Seed);
            return ModelCatalog.Create(config.Model, data.Channels, data.ImageSize, data.NumClasses);
        }
    }

    /// <summary>The seed of an epoch's shuffling and augmentation.</summary>
    public static ulong EpochSeed(int seed, int epoch) => (ulong)((long)seed * 1_000_003L + epoch * 7919L + 12345L);

    /// <summary>
    /// Runs (or, with <paramref name="resume"/>, continues) training to the configured number of epochs.
    /// </summary>
    /// <param name="resume">Continue from last.ckpt when it exists (its config must match).</param>
    /// <param name="progress">Receives progress reports (may be null).</param>
    /// <param name="cancel">Stops between steps; the last checkpoint stays valid.</param>
    /// <returns>The history of every epoch.</returns>
    public IReadOnlyList<EpochMetrics> Run(bool resume = false, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        var device = torch.device(config.Device);
        var lossFn = LossCatalog.CreateTrainingLoss(config.Loss);
        using var model = CreateModel(config, data);
        model.to(device);
        using var optimizer = torch.optim.SGD(model.parameters(), config.Lr, momentum: config.Momentum, weight_decay: config.WeightDecay, nesterov: config.Nesterov);

        var state = new TrainerState(0, double.PositiveInfinity, 0, new List<EpochMetrics>());
        if (File.Exists(files.LastCheckpoint))
        {
            if (!resume) throw new InvalidOperationException($"{files.Folder} already holds a run (last.ckpt); use --resume to continue it or another --out");
            var saved = File.Exists(files.Config) ? TrainConfig.FromJson(File.ReadAllText(files.Config)) : null;
            if (saved is not null && saved with { Epochs = config.Epochs, Device = config.Device } != config with { Epochs = config.Epochs, Device = config.Device })
                throw new InvalidOperationException($"{files.Folder} was started with another configuration ({files.Config}); resume with the same options");
            state = Checkpoint.Load(files.LastCheckpoint, model, optimizer);
        }
        RunFiles.WriteAtomically(files.Config, config.ToJson());

        var writer = torch.utils.tensorboard.SummaryWriter(files.TensorBoard, createRunName: false);
        long n = data.Train.Count;
        int steps = (int)((n + config.BatchSize - 1) / config.BatchSize);
        for (int epoch = state.EpochsDone; epoch < config.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            double lr = LrSchedule.At(config.Schedule, config.Lr, epoch, config.Epochs);
            foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
            model.train();
            var gen = new Generator(EpochSeed(config.Seed, epoch) + 1);
            using var loader = new Data.BatchLoader(data.Train, config.BatchSize, data.Normalization, data.EpochOptions(EpochSeed(config.Seed, epoch), config.Augment, device));
            double lossSum = 0; long wrong = 0; long seen = 0;
            var termSums = new Dictionary<string, double>();
            int step = 0;
            foreach (var batch in loader.Epoch())
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var x = batch.Images;
                var y = batch.Labels;
                optimizer.zero_grad();
                lossFn.SetStep((long)epoch * steps + step);
                var logits = model.forward(x);
                var (loss, terms) = lossFn.ForwardWithTerms(logits, y);
                if (config.LambdaGp > 0)
                {
                    var gp = Losses.iq_gradient_penalty(model.forward, x, y, config.LambdaGp, gen);
                    Add(termSums, "gp", gp.item<float>());
                    loss = loss + gp;
                }
                loss.backward();
                if (config.ClipGradNorm > 0) nn.utils.clip_grad_norm_(model.parameters(), config.ClipGradNorm);
                optimizer.step();
                double value = loss.to_type(ScalarType.Float64).item<double>();
                if (!double.IsFinite(value))
                    throw new InvalidOperationException($"epoch {epoch + 1}, step {step + 1}: the loss is {value}; lower the learning rate or check the loss spec '{config.Loss}'");
                long b = y.shape[0];
                lossSum += value * b;
                seen += b;
                wrong += logits.argmax(1).ne(y).sum().item<long>();
                if (terms is not null) foreach (var (k, v) in terms) Add(termSums, k, v * b);
                var warnings = lossFn.TakeWarnings();
                progress?.Report(new TrainProgress(epoch + 1, config.Epochs, step + 1, steps, lossSum / seen, null, warnings.Count > 0 ? warnings : null));
                step++;
            }
            var avgTerms = termSums.ToDictionary(kv => kv.Key, kv => kv.Value / seen);
            var (valLoss, valError, valNll, valEce) = Evaluate(model, lossFn, data.Validation.Count > 0 ? data.Validation : data.Test, device);
            var m = new EpochMetrics(epoch + 1, lr, lossSum / seen, (double)wrong / seen, avgTerms, valLoss, valError, valNll, valEce, clock.Elapsed.TotalSeconds);
            var history = new List<EpochMetrics>(state.History) { m };
            bool best = valError < state.BestValError;
            state = new TrainerState(epoch + 1, best ? valError : state.BestValError, best ? epoch + 1 : state.BestEpoch, history);
            Checkpoint.Save(files.LastCheckpoint, state, model, optimizer);
            if (best) File.Copy(files.LastCheckpoint, files.BestCheckpoint + ".tmp", overwrite: true);
            if (best) File.Move(files.BestCheckpoint + ".tmp", files.BestCheckpoint, overwrite: true);
            files.WriteMetrics(history);
            WriteTensorBoard(writer, m);
            progress?.Report(new TrainProgress(epoch + 1, config.Epochs, steps, steps, m.TrainLoss, m));
        }
        RunFiles.WriteAtomically(files.Done, $"{state.EpochsDone} epochs; best validation error {state.BestValError:R} at epoch {state.BestEpoch}\n");
        return state.History;
    }

    private static void Add(Dictionary<string, double> sums, string key, double value) => sums[key] = sums.GetValueOrDefault(key) + value;

    private static void WriteTensorBoard(TorchSharp.Modules.SummaryWriter writer, EpochMetrics m)
    {
        writer.add_scalar("train/loss", (float)m.TrainLoss, m.Epoch);
        writer.add_scalar("train/error", (float)m.TrainError, m.Epoch);
        writer.add_scalar("train/lr", (float)m.Lr, m.Epoch);
        foreach (var (k, v) in m.Terms) writer.add_scalar("terms/" + k, (float)v, m.Epoch);
        writer.add_scalar("val/loss", (float)m.ValLoss, m.Epoch);
        writer.add_scalar("val/error", (float)m.ValError, m.Epoch);
        writer.add_scalar("val/nll", (float)m.ValNll, m.Epoch);
        writer.add_scalar("val/ece", (float)m.ValEce, m.Epoch);
    }

    /// <summary>The model's logits on a whole set (float32, on the CPU), in evaluation mode, in batches.</summary>
    public static Tensor Predict(nn.Module<Tensor, Tensor> model, TrainingData data, Data.ImageSet set, Device device, int batchSize = 1000)
    {
        model.eval();
        using var noGrad = torch.no_grad();
        var parts = new List<Tensor>();
        for (long start = 0; start < set.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var x = data.Normalize(set.Images.slice(0, start, Math.Min(set.Count, start + batchSize), 1), device);
            parts.Add(model.forward(x).to(torch.CPU).to_type(ScalarType.Float32).MoveToOuterDisposeScope());
        }
        var all = torch.cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    private (double Loss, double Error, double Nll, double Ece) Evaluate(nn.Module<Tensor, Tensor> model, ITrainingLoss lossFn, Data.ImageSet set, Device device)
    {
        using var scope = NewDisposeScope();
        var logits = Predict(model, data, set, device).to_type(ScalarType.Float64);
        var y = set.Labels;
        double loss = lossFn.ForwardWithTerms(logits, y).Loss.item<double>();
        double error = logits.argmax(1).ne(y).to_type(ScalarType.Float64).mean().item<double>();
        double nll = nn.functional.cross_entropy(logits, y).item<double>();
        double ece = Metrics.ece(torch.softmax(logits, 1), y).item<double>();
        return (loss, error, nll, ece);
    }
}
