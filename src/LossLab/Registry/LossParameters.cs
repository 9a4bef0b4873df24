using System.Globalization;

namespace LossLab.Registry;

/// <summary>
/// The validated parameter values of one configured loss or metric: every declared parameter, with its default
/// where none was given.
/// </summary>
public sealed class LossParameters
{
    private readonly Dictionary<string, object> values;
    private readonly string owner;

    private LossParameters(string owner, Dictionary<string, object> values)
    {
        this.owner = owner;
        this.values = values;
    }

    /// <summary>Validates <paramref name="given"/> (name to text) against <paramref name="specs"/>, filling in defaults.</summary>
    /// <exception cref="ArgumentException">An unknown parameter, or a value of the wrong type or out of range.</exception>
    public static LossParameters Parse(string owner, IReadOnlyList<ParamSpec> specs, IReadOnlyDictionary<string, string>? given)
    {
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        if (given is not null)
        {
            foreach (var (key, text) in given)
            {
                var spec = specs.FirstOrDefault(s => s.Name == key);
                if (spec is null)
                {
                    string allowed = specs.Count == 0 ? "it takes no parameters" : "allowed: " + string.Join(", ", specs.Select(s => s.Name));
                    throw new ArgumentException($"{owner}: unknown parameter '{key}'; {allowed}", key);
                }
                values[key] = spec.Parse(owner, text);
            }
        }
        foreach (var spec in specs)
            if (!values.ContainsKey(spec.Name)) values[spec.Name] = spec.Parse(owner, spec.Default);
        return new LossParameters(owner, values);
    }

    /// <summary>A real parameter.</summary>
    public double Float(string name) => Convert.ToDouble(Get(name), CultureInfo.InvariantCulture);
    /// <summary>An integer parameter.</summary>
    public long Int(string name) => Convert.ToInt64(Get(name), CultureInfo.InvariantCulture);
    /// <summary>A boolean parameter.</summary>
    public bool Bool(string name) => (bool)Get(name);
    /// <summary>A choice parameter.</summary>
    public string Choice(string name) => (string)Get(name);
    /// <summary>A list-of-reals parameter.</summary>
    public double[] FloatList(string name) => (double[])Get(name);
    /// <summary>The reduction parameter.</summary>
    public Reduction Reduction => ReductionExtensions.Parse(Choice("reduction"));

    /// <summary>All values, as text, in declaration order of the dictionary.</summary>
    public IReadOnlyDictionary<string, string> AsText() => values.ToDictionary(kv => kv.Key, kv => kv.Value switch
    {
        double d => ParamSpec.Format(d),
        bool b => b ? "true" : "false",
        double[] l => string.Join(";", l.Select(ParamSpec.Format)),
        _ => Convert.ToString(kv.Value, CultureInfo.InvariantCulture) ?? "",
    });

    private object Get(string name) =>
        values.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"{owner}: no parameter '{name}' is declared");
}
