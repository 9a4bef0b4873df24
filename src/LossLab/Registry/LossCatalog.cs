using System.Reflection;
using static TorchSharp.torch;

namespace LossLab.Registry;

/// <summary>
/// The registry of every loss and metric LossLab knows, by name. The tool, the trainer and studies create losses
/// from spec strings through it (<c>LossCatalog.Create("focal:gamma=3")</c>).
/// </summary>
public static class LossCatalog
{
    private static readonly object Gate = new();
    private static readonly SortedDictionary<string, LossDefinition> LossMap = new(StringComparer.Ordinal);
    private static readonly SortedDictionary<string, MetricDefinition> MetricMap = new(StringComparer.Ordinal);

    static LossCatalog()
    {
        foreach (var type in typeof(LossCatalog).Assembly.GetTypes())
        {
            if (type.IsAbstract || type.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, Type.EmptyTypes) is null) continue;
            if (typeof(LossDefinition).IsAssignableFrom(type)) Register((LossDefinition)Activator.CreateInstance(type, nonPublic: true)!);
            else if (typeof(MetricDefinition).IsAssignableFrom(type)) Register((MetricDefinition)Activator.CreateInstance(type, nonPublic: true)!);
        }
    }

    /// <summary>Every registered loss, by name.</summary>
    public static IReadOnlyList<LossDefinition> Losses { get { lock (Gate) return LossMap.Values.ToList(); } }

    /// <summary>Every registered metric, by name.</summary>
    public static IReadOnlyList<MetricDefinition> Metrics { get { lock (Gate) return MetricMap.Values.ToList(); } }

    /// <summary>Adds a loss to the registry.</summary>
    /// <exception cref="ArgumentException">A loss of that name is already registered.</exception>
    public static void Register(LossDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        lock (Gate)
        {
            if (!LossMap.TryAdd(definition.Name, definition))
                throw new ArgumentException($"a loss named '{definition.Name}' is already registered", nameof(definition));
        }
    }

    /// <summary>Adds a metric to the registry.</summary>
    /// <exception cref="ArgumentException">A metric of that name is already registered.</exception>
    public static void Register(MetricDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        lock (Gate)
        {
            if (!MetricMap.TryAdd(definition.Name, definition))
                throw new ArgumentException($"a metric named '{definition.Name}' is already registered", nameof(definition));
        }
    }

    /// <summary>Finds a loss by name, or null.</summary>
    public static LossDefinition? FindLoss(string name) { lock (Gate) return LossMap.GetValueOrDefault(name); }

    /// <summary>Finds a metric by name, or null.</summary>
    public static MetricDefinition? FindMetric(string name) { lock (Gate) return MetricMap.GetValueOrDefault(name); }

    /// <summary>Finds a loss by name.</summary>
    /// <exception cref="ArgumentException">No loss has that name; the message lists the closest names.</exception>
    public static LossDefinition GetLoss(string name) =>
        FindLoss(name) ?? throw new ArgumentException($"unknown loss '{name}'; {Suggest(name, Losses.Select(l => l.Name))}", nameof(name));

    /// <summary>Finds a metric by name.</summary>
    /// <exception cref="ArgumentException">No metric has that name.</exception>
    public static MetricDefinition GetMetric(string name) =>
        FindMetric(name) ?? throw new ArgumentException($"unknown metric '{name}'; {Suggest(name, Metrics.Select(m => m.Name))}", nameof(name));

    /// <summary>Creates a configured loss from a spec string such as <c>focal:gamma=3</c>, validating its parameters.</summary>
    /// <exception cref="ArgumentException">Unknown loss or parameter, or a value out of range.</exception>
    /// <exception cref="FormatException">The spec is malformed.</exception>
    public static SpecLoss Create(string spec)
    {
        var parsed = LossSpec.Parse(spec);
        var def = GetLoss(parsed.Name);
        return new SpecLoss(def, def.ParseParameters(parsed.Params));
    }

    /// <summary>
    /// Creates the loss a trainer uses from any spec: a single loss (<see cref="SpecLoss"/>) or a composite with weights,
    /// schedules and detached inputs (<see cref="Composite.CompositeLoss"/>, e.g. <c>cross_entropy + 2*mmce</c>).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown loss or parameter, or a value out of range.</exception>
    /// <exception cref="FormatException">The spec is malformed.</exception>
    public static ITrainingLoss CreateTrainingLoss(string spec) =>
        Composite.CompositeSpec.IsComposite(spec) ? new Composite.CompositeLoss(spec) : Create(spec);

    private static string Suggest(string name, IEnumerable<string> names)
    {
        var all = names.ToList();
        var close = all.Select(n => (n, d: Distance(name, n))).Where(x => x.d <= Math.Max(2, name.Length / 3)).OrderBy(x => x.d).Select(x => x.n).Take(3).ToList();
        return close.Count > 0 ? $"did you mean {string.Join(" or ", close)}? (`losslab losses` lists all {all.Count})" : "known: " + string.Join(", ", all);
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
