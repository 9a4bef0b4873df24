using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace LossLab.Benchmarks.Columns;

/// <summary>The common parts of LossLab's custom columns: shown after the statistics, text computed per case.</summary>
public abstract class CaseColumn : IColumn
{
    /// <inheritdoc/>
    public abstract string Id { get; }
    /// <inheritdoc/>
    public abstract string ColumnName { get; }
    /// <inheritdoc/>
    public abstract string Legend { get; }
    /// <inheritdoc/>
    public bool AlwaysShow => true;
    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;
    /// <inheritdoc/>
    public virtual int PriorityInCategory => 0;
    /// <inheritdoc/>
    public bool IsNumeric => true;
    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <summary>The cell's text, or null for an empty cell ("-").</summary>
    protected abstract string? Value(Summary summary, BenchmarkCase benchmarkCase);

    /// <summary>Whether the column applies to this summary's benchmark class.</summary>
    protected abstract bool AppliesTo(Type benchmarkType);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => Value(summary, benchmarkCase) ?? "-";
    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(c => AppliesTo(c.Descriptor.Type));

    /// <summary>The case's mean time in nanoseconds, or null when it has no result.</summary>
    protected static double? MeanNs(Summary summary, BenchmarkCase benchmarkCase) => summary[benchmarkCase]?.ResultStatistics?.Mean;

    /// <summary>The case's median time in nanoseconds, or null when it has no result.</summary>
    protected static double? MedianNs(Summary summary, BenchmarkCase benchmarkCase) => summary[benchmarkCase]?.ResultStatistics?.Median;
}
