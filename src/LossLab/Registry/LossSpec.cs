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
    /// <exception cref="FormatException">The text is not of the form <c>name[:key=value[,key=value...]]</c>.</exception>
    public static LossSpec Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string s = spec.Trim();
        if (s.Length == 0) throw new FormatException("empty loss spec; expected name[:key=value,...], e.g. focal:gamma=3");
        int colon = s.IndexOf(':');
        string name = (colon < 0 ? s : s[..colon]).Trim();
        if (name.Length == 0) throw new FormatException($"loss spec '{spec}' has no name; expected name[:key=value,...]");
        var ps = new Dictionary<string, string>(StringComparer.Ordinal);
        if (colon >= 0)
        {
            foreach (var part in s[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = part.IndexOf('=');
                if (eq <= 0 || eq == part.Length - 1)
                    throw new FormatException($"loss spec '{spec}': '{part}' is not key=value");
                string key = part[..eq].Trim();
                if (ps.ContainsKey(key)) throw new FormatException($"loss spec '{spec}': parameter '{key}' is given twice");
                ps[key] = part[(eq + 1)..].Trim();
            }
        }
        return new LossSpec(name, ps);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Params.Count == 0 ? Name : Name + ":" + string.Join(",", Params.Select(kv => kv.Key + "=" + kv.Value));
}
