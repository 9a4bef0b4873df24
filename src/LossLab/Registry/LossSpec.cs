namespace LossLab.Registry;

/// <summary>
/// A loss named with its parameters as text, parsed from a spec string such as <c>focal:gamma=3</c> or
/// <c>iq:divergence=js,alpha=0.5</c>: the name, then optionally <c>:</c> and comma-separated <c>key=value</c> pairs.
/// </summary>
/// <param name="Name">The registry name.</param>
/// <param name="Params">The parameters given, as text.</param>
public sealed record LossSpec(string Name, IReadOnlyDictionary<string, string> Params)
{
    /// <summary>Parses a spec string.</summary>
    /// <exception cref="FormatException">The text is not of the form <c>name[:key=value[,key=value...]]</c> (or <c>name(key=value,...)</c>).</exception>
    public static LossSpec Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string s = spec.Trim();
        if (s.Length == 0) throw new FormatException("empty loss spec; expected name[:key=value,...], e.g. focal:gamma=3");
        var (name, ps) = Composite.CompositeSpec.ParseLoss(spec, s, detach: null);
        return new LossSpec(name, ps);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Params.Count == 0 ? Name : Name + ":" + string.Join(",", Params.Select(kv => kv.Key + "=" + kv.Value));
}
