using System.Text;

namespace LossLab.Registry.Composite;

/// <summary>One term of a composite spec: its weight, its loss name, its parameters (text or schedule) and the inputs it must not train.</summary>
/// <param name="Weight">The term's weight.</param>
/// <param name="Name">The registry name.</param>
/// <param name="Params">Parameters; a value may be a schedule such as <c>anneal(0,1,10000)</c>.</param>
/// <param name="Detach">Inputs passed to this term with no gradient (a target network's output, an EMA teacher).</param>
public sealed record CompositeTerm(Schedule Weight, string Name, IReadOnlyDictionary<string, string> Params, IReadOnlyList<string> Detach);

/// <summary>
/// Parses loss specs with the composite syntax: terms joined by <c>+</c>, each an optional weight and <c>*</c> then a
/// loss, the loss written <c>name</c>, <c>name:key=value,...</c> or <c>name(key=value,...)</c>. A weight or a numeric
/// parameter may be a schedule of the training step (<c>linear</c>/<c>anneal</c>, <c>cosine</c>, <c>step</c>,
/// <c>cyclical</c>). The parameter <c>detach</c> (inputs separated by <c>;</c>) stops gradients into those inputs.
/// Examples: <c>cross_entropy + 2*mmce</c>, <c>vae_elbo(beta=anneal(0,1,10000))</c>,
/// <c>linear(0,1,500)*kl_div(log_target=true,detach=target) + cross_entropy</c>.
/// </summary>
public static class CompositeSpec
{
    /// <summary>Whether a spec needs the composite machinery (several terms, a weight, a schedule, or detach).</summary>
    public static bool IsComposite(string spec)
    {
        var terms = Parse(spec);
        if (terms.Count != 1) return true;
        var t = terms[0];
        return !(t.Weight is Schedule.Constant { Value: 1.0 }) || t.Detach.Count > 0 || t.Params.Values.Any(v => v.Contains('('));
    }

    /// <summary>Parses a spec into its terms.</summary>
    /// <exception cref="FormatException">The spec is malformed; the message says where.</exception>
    public static IReadOnlyList<CompositeTerm> Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var parts = SplitTopLevel(spec, '+');
        if (parts.Count == 0 || parts.Any(p => p.Trim().Length == 0))
            throw new FormatException($"loss spec '{spec}': empty term (a '+' with nothing on one side)");
        return parts.Select(p => ParseTerm(spec, p.Trim())).ToList();
    }

    private static CompositeTerm ParseTerm(string spec, string text)
    {
        Schedule weight = new Schedule.Constant(1.0);
        var stars = SplitTopLevel(text, '*');
        string loss;
        if (stars.Count == 2)
        {
            weight = Schedule.Parse(stars[0]);
            loss = stars[1].Trim();
        }
        else if (stars.Count == 1) loss = text;
        else throw new FormatException($"loss spec '{spec}': term '{text}' has more than one '*'");

        var detach = new List<string>();
        var (name, ps) = ParseLoss(spec, loss, detach);
        return new CompositeTerm(weight, name, ps, detach);
    }

    /// <summary>
    /// Parses one loss written <c>name</c>, <c>name:key=value,...</c> or <c>name(key=value,...)</c> (commas inside a
    /// schedule's parentheses do not split). With <paramref name="detach"/> given, the <c>detach</c> parameter's inputs
    /// (separated by <c>;</c>) go there instead of into the parameters. <see cref="LossSpec.Parse"/> uses this too.
    /// </summary>
    internal static (string Name, Dictionary<string, string> Params) ParseLoss(string spec, string loss, List<string>? detach)
    {
        string name;
        string paramText;
        int paren = loss.IndexOf('('), colon = loss.IndexOf(':');
        if (paren > 0 && (colon < 0 || paren < colon))
        {
            if (!loss.EndsWith(')')) throw new FormatException($"loss spec '{spec}': '{loss}' opens '(' but does not end with ')'");
            name = loss[..paren].Trim();
            paramText = loss[(paren + 1)..^1];
        }
        else if (colon >= 0)
        {
            name = loss[..colon].Trim();
            paramText = loss[(colon + 1)..];
        }
        else
        {
            name = loss.Trim();
            paramText = "";
        }
        if (name.Length == 0 || !name.All(c => char.IsLetterOrDigit(c) || c == '_'))
            throw new FormatException($"loss spec '{spec}': '{name}' is not a loss name; expected name[:key=value,...], e.g. focal:gamma=3");

        var ps = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in SplitTopLevel(paramText, ','))
        {
            if (part.Trim().Length == 0) continue;
            int eq = part.IndexOf('=');
            if (eq <= 0 || eq == part.Trim().Length - 1 && part.Trim().EndsWith('='))
                throw new FormatException($"loss spec '{spec}': '{part.Trim()}' is not key=value");
            string key = part[..eq].Trim(), value = part[(eq + 1)..].Trim();
            if (value.Length == 0) throw new FormatException($"loss spec '{spec}': '{part.Trim()}' has no value");
            if (key == "detach" && detach is not null) { detach.AddRange(value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); continue; }
            if (!ps.TryAdd(key, value)) throw new FormatException($"loss spec '{spec}': parameter '{key}' of {name} is given twice");
        }
        return (name, ps);
    }

    /// <summary>Splits on a separator outside parentheses.</summary>
    internal static List<string> SplitTopLevel(string text, char sep)
    {
        var parts = new List<string>();
        var cur = new StringBuilder();
        int depth = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '(') depth++;
            if (c == ')') depth--;
            if (depth < 0) throw new FormatException($"unbalanced ')' in '{text}'");
            // the '+' of an exponent (1e+3) is not a separator
            bool exponent = c == '+' && i >= 2 && (text[i - 1] == 'e' || text[i - 1] == 'E') && char.IsDigit(text[i - 2]);
            if (c == sep && depth == 0 && !exponent) { parts.Add(cur.ToString()); cur.Clear(); }
            else cur.Append(c);
        }
        if (depth != 0) throw new FormatException($"unbalanced '(' in '{text}'");
        parts.Add(cur.ToString());
        return parts;
    }
}
