namespace LossLab.Training.Training;

/// <summary>Learning rate as a function of the epoch (0-based), set at the start of each epoch.</summary>
public static class LrSchedule
{
    /// <summary>
    /// The learning rate of an epoch: <c>paper</c> multiplies by 0.1 at 150/350 and again at 250/350 of the run (epochs
    /// 150 and 250 of 350, scaled to shorter runs); <c>cosine</c> anneals from lr to 0 over the run; <c>constant</c> keeps lr.
    /// </summary>
    public static double At(string schedule, double lr, int epoch, int epochs) => schedule switch
    {
        "paper" => lr * (epoch >= Milestone(150, epochs) ? 0.1 : 1) * (epoch >= Milestone(250, epochs) ? 0.1 : 1),
        "cosine" => lr * 0.5 * (1 + Math.Cos(Math.PI * epoch / epochs)),
        "constant" => lr,
        _ => throw new ArgumentException($"unknown schedule '{schedule}'; use paper, cosine or constant", nameof(schedule)),
    };

    /// <summary>The paper's milestone (150 or 250 of 350 epochs) scaled to a run of <paramref name="epochs"/>.</summary>
    public static int Milestone(int paperEpoch, int epochs) => Math.Max(1, (int)Math.Round(paperEpoch * epochs / 350.0, MidpointRounding.AwayFromZero));
}
