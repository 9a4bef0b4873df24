using System.Globalization;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using LossLab.Benchmarks.Infrastructure;

namespace LossLab.Benchmarks.Columns;

/// <summary>Throughput of a training step: images per call (<see cref="IImageBatch"/>) over the measured mean.</summary>
public sealed class ImagesPerSecondColumn : CaseColumn
{
    /// <summary>The column.</summary>
    public static readonly ImagesPerSecondColumn Instance = new();

    /// <inheritdoc/>
    public override string Id => "LossLab.ImagesPerSecond";
    /// <inheritdoc/>
    public override string ColumnName => "Images/s";
    /// <inheritdoc/>
    public override string Legend => "Training throughput: the batch size over the mean time of one step";

    /// <inheritdoc/>
    protected override bool AppliesTo(Type benchmarkType) => typeof(IImageBatch).IsAssignableFrom(benchmarkType);

    /// <inheritdoc/>
    protected override string? Value(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (!AppliesTo(benchmarkCase.Descriptor.Type) || MeanNs(summary, benchmarkCase) is not { } mean) return null;
        using var c = new CaseInstance(benchmarkCase, setUp: false);
        return ((IImageBatch)c.Instance).ImagesPerCall(benchmarkCase.Descriptor.WorkloadMethod.Name) is { } images ? (images / (mean / 1e9)).ToString("0", CultureInfo.InvariantCulture) : null;
    }
}
