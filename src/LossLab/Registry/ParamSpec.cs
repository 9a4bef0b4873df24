using System.Globalization;

namespace LossLab.Registry;

/// <summary>The type of a loss or metric parameter.</summary>
public enum ParamType
{
    /// <summary>A real number.</summary>
    Float,
    /// <summary>An integer.</summary>
    Int,
    /// <summary>true or false.</summary>
    Bool,
    /// <summary>One of a fixed set of names.</summary>
    Choice,
    /// <summary>A list of real numbers, written with <c>;</c> between them (e.g. <c>0.1;0.5;0.9</c>).</summary>
    FloatList,
}

/// <summary>
/// One parameter of a registered loss or metric: its name (PyTorch's where PyTorch has the loss), type, default,
/// allowed values and a one-line description.
/// </summary>
public sealed record ParamSpec
{
    /// <summary>The parameter's name.</summary>
    public required string Name { get; init; }
    /// <summary>Its type.</summary>
    public required ParamType Type { get; init; }
    /// <summary>The default, written as text (as in a spec string).</summary>
    public required string Default { get; init; }
    /// <summary>One line saying what it does.</summary>
    public required string Doc { get; init; }
    /// <summary>The smallest allowed value (Float, Int), if any.</summary>
    public double? Min { get; init; }
    /// <summary>The largest allowed value (Float, Int), if any.</summary>
    public double? Max { get; init; }
    /// <summary>Whether <see cref="Min"/> itself is excluded.</summary>
    public bool MinExclusive { get; init; }
    /// <summary>Whether <see cref="Max"/> itself is excluded.</summary>
    public bool MaxExclusive { get; init; }
    /// <summary>The allowed names of a Choice parameter.</summary>
    public IReadOnlyList<string> Choices { get; init; } = Array.Empty<string>();

    /// <summary>A real parameter.</summary>
    public static ParamSpec Float(string name, double @default, string doc, double? min = null, double? max = null, bool minExclusive = false, bool maxExclusive = false) =>
        new() { Name = name, Type = ParamType.Float, Default = Format(@default), Doc = doc, Min = min, Max = max, MinExclusive = minExclusive, MaxExclusive = maxExclusive };

    /// <summary>An integer parameter.</summary>
    public static ParamSpec Int(string name, long @default, string doc, long? min = null, long? max = null) =>
        new() { Name = name, Type = ParamType.Int, Default = @default.ToString(CultureInfo.InvariantCulture), Doc = doc, Min = min, Max = max };

    /// <summary>A boolean parameter.</summary>
    public static ParamSpec Bool(string name, bool @default, string doc) =>
        new() { Name = name, Type = ParamType.Bool, Default = @default ? "true" : "false", Doc = doc };

    /// <summary>A parameter that takes one of a fixed set of names.</summary>
    public static ParamSpec Choice(string name, string @default, string doc, params string[] choices) =>
        new() { Name = name, Type = ParamType.Choice, Default = @default, Doc = doc, Choices = choices };

    /// <summary>A list of reals, written with ';' between them.</summary>
    public static ParamSpec FloatList(string name, string @default, string doc, double? min = null, double? max = null) =>
        new() { Name = name, Type = ParamType.FloatList, Default = @default, Doc = doc, Min = min, Max = max };

    /// <summary>The reduction parameter: none, mean, sum (and batchmean where the loss defines it).</summary>
    public static ParamSpec Reduction(string @default = "mean", bool batchMean = false) =>
        batchMean
            ? Choice("reduction", @default, "how per-element losses are combined", "none", "mean", "sum", "batchmean")
            : Choice("reduction", @default, "how per-element losses are combined", "none", "mean", "sum");

    /// <summary>Formats a real the way spec strings write it (invariant culture, round-trip).</summary>
    public static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The allowed values, as text for error messages and the catalog.</summary>
    public string Allowed()
    {
        switch (Type)
        {
            case ParamType.Choice: return "one of " + string.Join(", ", Choices);
            case ParamType.Bool: return "true or false";
            default:
                string kind = Type == ParamType.Int ? "an integer" : Type == ParamType.FloatList ? "a ';'-separated list of numbers" : "a number";
                if (Min is null && Max is null) return kind;
                string lo = Min is null ? "" : (MinExclusive ? "> " : ">= ") + Format(Min.Value);
                string hi = Max is null ? "" : (MaxExclusive ? "< " : "<= ") + Format(Max.Value);
                return kind + " " + string.Join(" and ", new[] { lo, hi }.Where(s => s.Length > 0));
        }
    }

    /// <summary>Parses and validates a value given as text; throws <see cref="ArgumentException"/> naming the owner, the parameter and what is allowed.</summary>
    public object Parse(string owner, string text)
    {
        string t = text.Trim();
        string Bad() => $"{owner}: parameter '{Name}' must be {Allowed()}, got '{text}'";
        switch (Type)
        {
            case ParamType.Bool:
                return t.ToLowerInvariant() switch
                {
                    "true" or "1" or "yes" => true,
                    "false" or "0" or "no" => false,
                    _ => throw new ArgumentException(Bad(), Name),
                };
            case ParamType.Choice:
                {
                    var hit = Choices.FirstOrDefault(c => string.Equals(c, t, StringComparison.OrdinalIgnoreCase));
                    return hit ?? throw new ArgumentException(Bad(), Name);
                }
            case ParamType.Int:
                {
                    if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || d != Math.Floor(d) || double.IsInfinity(d))
                        throw new ArgumentException(Bad(), Name);
                    InBounds(d, Bad);
                    return (long)d;
                }
            case ParamType.Float:
                {
                    if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || double.IsNaN(d))
                        throw new ArgumentException(Bad(), Name);
                    InBounds(d, Bad);
                    return d;
                }
            case ParamType.FloatList:
                {
                    var parts = t.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (parts.Length == 0) throw new ArgumentException(Bad(), Name);
                    var list = new double[parts.Length];
                    for (int i = 0; i < parts.Length; i++)
                    {
                        if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out list[i]) || double.IsNaN(list[i]))
                            throw new ArgumentException(Bad(), Name);
                        InBounds(list[i], Bad);
                    }
                    return list;
                }
            default: throw new InvalidOperationException($"unknown parameter type {Type}");
        }
    }

    private void InBounds(double d, Func<string> bad)
    {
        if (Min is double lo && (d < lo || (MinExclusive && d == lo))) throw new ArgumentException(bad(), Name);
        if (Max is double hi && (d > hi || (MaxExclusive && d == hi))) throw new ArgumentException(bad(), Name);
    }
}
