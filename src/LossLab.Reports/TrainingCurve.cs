namespace LossLab.Reports;

/// <summary>
/// One run's values of one quantity over epochs (a loss, a validation loss, a validation error), as an in-memory
/// series for <see cref="Charts.TrainingCurves"/>.
/// </summary>
/// <param name="Name">The run's name, shown in the legend.</param>
/// <param name="Epochs">The epochs (x), as many as <paramref name="Values"/>.</param>
/// <param name="Values">The values (y); NaN or infinite values are left out of the line.</param>
public sealed record TrainingCurve(string Name, double[] Epochs, double[] Values)
{
    /// <summary>Checks that the series is well formed.</summary>
    /// <exception cref="ArgumentException">No name, no points, or lengths that differ.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("TrainingCurve: 'Name' is empty", nameof(Name));
        ArgumentNullException.ThrowIfNull(Epochs);
        ArgumentNullException.ThrowIfNull(Values);
        if (Epochs.Length != Values.Length)
            throw new ArgumentException($"TrainingCurve '{Name}': {Epochs.Length} epochs but {Values.Length} values", nameof(Values));
        if (Epochs.Length == 0) throw new ArgumentException($"TrainingCurve '{Name}': no points", nameof(Epochs));
    }
}
