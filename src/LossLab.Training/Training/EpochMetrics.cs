namespace LossLab.Training.Training;

/// <summary>What one epoch measured.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Lr">The learning rate used.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's batches.</param>
/// <param name="TrainError">Training error over the epoch's batches (in training mode, augmented).</param>
/// <param name="Terms">Mean of each loss term the loss reports (IQ: soft_q, log_z, chi2, total), plus gp for the gradient penalty.</param>
/// <param name="ValLoss">The training loss on the validation set.</param>
/// <param name="ValError">Validation error.</param>
/// <param name="ValNll">Validation negative log-likelihood (cross-entropy of the softmax).</param>
/// <param name="ValEce">Validation expected calibration error (15 bins).</param>
/// <param name="Seconds">Wall time of the epoch.</param>
public sealed record EpochMetrics(int Epoch, double Lr, double TrainLoss, double TrainError, IReadOnlyDictionary<string, double> Terms,
    double ValLoss, double ValError, double ValNll, double ValEce, double Seconds);
