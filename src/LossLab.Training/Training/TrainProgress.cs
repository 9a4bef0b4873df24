namespace LossLab.Training.Training;

/// <summary>A progress report from the trainer (the library reports; the tool draws).</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Total epochs.</param>
/// <param name="Step">Steps done in this epoch.</param>
/// <param name="Steps">Steps per epoch.</param>
/// <param name="RunningLoss">Mean training loss so far in this epoch.</param>
/// <param name="Finished">The epoch's metrics, when the epoch has just finished; null during the epoch.</param>
/// <param name="Warnings">Warnings about the loss terms (a composite term orders of magnitude larger than another, or stuck at 0).</param>
public sealed record TrainProgress(int Epoch, int Epochs, int Step, int Steps, double RunningLoss, EpochMetrics? Finished, IReadOnlyList<string>? Warnings = null);
