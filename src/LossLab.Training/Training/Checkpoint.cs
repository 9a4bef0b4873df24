using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Training;

/// <summary>The trainer's progress as a checkpoint records it.</summary>
/// <param name="EpochsDone">Epochs completed.</param>
/// <param name="BestValError">The best validation error so far.</param>
/// <param name="BestEpoch">The epoch of the best validation error.</param>
/// <param name="History">Every completed epoch's metrics.</param>
public sealed record TrainerState(int EpochsDone, double BestValError, int BestEpoch, List<EpochMetrics> History);

/// <summary>
/// Checkpoints: one file holding the trainer's state (JSON), the model's parameters and buffers and the optimizer's
/// state, written atomically (to a temporary file in the same folder, flushed to disk, then renamed over the old one),
/// so that a run killed at any moment, even by <c>kill -9</c>, leaves either the old checkpoint or the new one.
/// </summary>
public static class Checkpoint
{
    private const string Magic = "LOSSLAB-CKPT";
    private const int Version = 1;

    /// <summary>Writes a checkpoint atomically.</summary>
    public static void Save(string path, TrainerState state, nn.Module model, torch.optim.Optimizer optimizer)
    {
        string tmp = path + ".tmp-" + Environment.ProcessId;
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            {
                w.Write(Magic);
                w.Write(Version);
                w.Write(JsonSerializer.Serialize(state));
                model.save(w);
                if (optimizer is TorchSharp.Modules.OptimizerHelper helper) helper.save_state_dict(w);
                else throw new NotSupportedException($"cannot save the state of optimizer {optimizer.GetType().Name}");
                w.Write(Magic);
            }
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads a checkpoint into the given model and optimizer, returning the trainer's state.</summary>
    /// <exception cref="InvalidDataException">The file is not a LossLab checkpoint, or is truncated.</exception>
    public static TrainerState Load(string path, nn.Module model, torch.optim.Optimizer? optimizer)
    {
        using var stream = File.OpenRead(path);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            if (r.ReadString() != Magic) throw new InvalidDataException($"{path} is not a LossLab checkpoint");
            int version = r.ReadInt32();
            if (version != Version) throw new InvalidDataException($"{path}: checkpoint version {version}, this LossLab reads {Version}");
            var state = JsonSerializer.Deserialize<TrainerState>(r.ReadString()) ?? throw new InvalidDataException($"{path}: empty trainer state");
            model.load(r);
            if (optimizer is TorchSharp.Modules.OptimizerHelper helper) helper.load_state_dict(r);
            else if (optimizer is not null) throw new NotSupportedException($"cannot load the state of optimizer {optimizer.GetType().Name}");
            else return state;
            if (r.ReadString() != Magic) throw new InvalidDataException($"{path}: checkpoint has no end marker (truncated?)");
            return state;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: checkpoint is truncated", e);
        }
    }
}
