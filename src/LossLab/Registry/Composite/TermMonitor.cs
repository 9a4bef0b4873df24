namespace LossLab.Registry.Composite;

/// <summary>
/// Watches the weighted terms of a composite loss: warns (once per condition and term) when a term is more than
/// <c>ratio</c> times larger than another non-zero term, or has been exactly zero for <c>zeroSteps</c> steps in a row.
/// </summary>
internal sealed class TermMonitor(double ratio, int zeroSteps)
{
    private readonly Dictionary<string, int> zeroRun = new();
    private readonly HashSet<string> warned = new();
    private readonly List<string> pending = new();

    public void Observe(IReadOnlyDictionary<string, double> terms)
    {
        foreach (var (k, v) in terms)
        {
            zeroRun[k] = v == 0 ? zeroRun.GetValueOrDefault(k) + 1 : 0;
            if (zeroRun[k] >= zeroSteps && warned.Add("zero:" + k))
                pending.Add($"loss term {k} has been 0 for {zeroSteps} steps: it does not train anything (check its weight or schedule)");
        }
        var nonZero = terms.Where(kv => kv.Value != 0 && double.IsFinite(kv.Value)).ToList();
        if (nonZero.Count < 2) return;
        var big = nonZero.MaxBy(kv => Math.Abs(kv.Value));
        var small = nonZero.MinBy(kv => Math.Abs(kv.Value));
        if (Math.Abs(big.Value) > ratio * Math.Abs(small.Value) && warned.Add($"ratio:{big.Key}:{small.Key}"))
            pending.Add($"loss term {big.Key} ({big.Value:G3}) is over {ratio:G0} times {small.Key} ({small.Value:G3}): scale the terms to similar magnitudes");
    }

    public IReadOnlyList<string> Take()
    {
        var list = pending.ToList();
        pending.Clear();
        return list;
    }
}
