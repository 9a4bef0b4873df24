using System.Globalization;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using LossLab.Benchmarks.Infrastructure;

namespace LossLab.Benchmarks.Columns;

/// <summary>
/// For a part of a training step (an <see cref="IImageBatch"/> method that is not a whole step, e.g. the loss alone):
/// its mean as a percentage of the whole step's mean with the same parameters. The Ratio column says the same when the
/// step is the baseline, but rounds a share of 0.1% to 0.001.
/// </summary>
public sealed class StepShareColumn : CaseColumn
{
    /// <summary>The column.</summary>
    public static readonly StepShareColumn Instance = new();

    /// <inheritdoc/>
    public override string Id => "LossLab.StepShare";
    /// <inheritdoc/>
    public override string ColumnName => "Share of step";
    /// <inheritdoc/>
    public override int PriorityInCategory => 1;
    /// <inheritdoc/>
    public override string Legend => "Mean of this part of a training step over the mean of the whole step with the same parameters";

    /// <inheritdoc/>
    protected override bool AppliesTo(Type benchmarkType) => typeof(IImageBatch).IsAssignableFrom(benchmarkType);

    /// <inheritdoc/>
    protected override string? Value(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (!AppliesTo(benchmarkCase.Descriptor.Type) || IsWholeStep(benchmarkCase) || MeanNs(summary, benchmarkCase) is not { } part) return null;
        var step = summary.BenchmarksCases.FirstOrDefault(c => c.Descriptor.Type == benchmarkCase.Descriptor.Type
            && c.Parameters.DisplayInfo == benchmarkCase.Parameters.DisplayInfo && IsWholeStep(c));
        return step is not null && MeanNs(summary, step) is { } whole && whole > 0
            ? (100 * part / whole).ToString("0.00", CultureInfo.InvariantCulture) + " %"
            : null;
    }

    private static bool IsWholeStep(BenchmarkCase c)
    {
        using var instance = new CaseInstance(c, setUp: false);
        return ((IImageBatch)instance.Instance).ImagesPerCall(c.Descriptor.WorkloadMethod.Name) is not null;
    }
}
