using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Diagnostics;

/// <summary>One failed conformance case.</summary>
/// <param name="Source">The file (or label) it came from.</param>
/// <param name="Id">The case id.</param>
/// <param name="Reason">Why it failed.</param>
public sealed record ConformanceFailure(string Source, string Id, string Reason);

/// <summary>The outcome of running conformance cases.</summary>
public sealed class ConformanceReport
{
    /// <summary>How many cases passed.</summary>
    public int Passed { get; internal set; }
    /// <summary>The cases that failed.</summary>
    public List<ConformanceFailure> Failures { get; } = new();
    /// <summary>How many cases failed.</summary>
    public int Failed => Failures.Count;

    /// <summary>Adds another report's counts to this one.</summary>
    public void Add(ConformanceReport other)
    {
        Passed += other.Passed;
        Failures.AddRange(other.Failures);
    }
}

/// <summary>
/// Runs conformance cases: reference values for losses and metrics computed by independent implementations
/// (see <c>shared/conformance/README.md</c> for the format). Every case is evaluated through the public registry,
/// on the CPU in float64; outputs and the listed gradients of <c>sum(output)</c> are compared element by element with
/// <c>|got - expected| &lt;= atol + rtol * |expected|</c>.
/// </summary>
public static partial class Conformance
{
    /// <summary>Runs every case of one case file's JSON text.</summary>
    /// <param name="json">The file's content.</param>
    /// <param name="source">A label for failure messages (the file name).</param>
    public static ConformanceReport Run(string json, string source)
    {
        var report = new ConformanceReport();
        using var doc = JsonDocument.Parse(QuoteNonFinite(json), new JsonDocumentOptions { AllowTrailingCommas = true });
        if (!doc.RootElement.TryGetProperty("cases", out var cases) || cases.ValueKind != JsonValueKind.Array)
        {
            report.Failures.Add(new ConformanceFailure(source, "(file)", "no 'cases' array"));
            return report;
        }
        foreach (var c in cases.EnumerateArray())
        {
            string id = c.TryGetProperty("id", out var idEl) ? idEl.GetString() ?? "?" : "?";
            string? reason;
            try
            {
                reason = RunCase(c);
            }
            catch (Exception e)
            {
                reason = e.GetType().Name + ": " + e.Message;
            }
            if (reason is null) report.Passed++;
            else report.Failures.Add(new ConformanceFailure(source, id, reason));
        }
        return report;
    }

    private static string? RunCase(JsonElement c)
    {
        using var scope = NewDisposeScope();
        bool isLoss = c.TryGetProperty("loss", out var lossEl);
        bool isMetric = c.TryGetProperty("metric", out var metricEl);
        if (!isLoss && !isMetric) return "case names neither 'loss' nor 'metric'";
        string name = (isLoss ? lossEl : metricEl).GetString() ?? "";
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (c.TryGetProperty("params", out var ps))
            foreach (var kv in ps.EnumerateObject()) parameters[kv.Name] = ParamText(kv.Value);
        double rtol = c.TryGetProperty("rtol", out var r) ? r.GetDouble() : 1e-7;
        double atol = c.TryGetProperty("atol", out var a) ? a.GetDouble() : 1e-9;

        var gradNames = new List<string>();
        if (c.TryGetProperty("grad", out var gradEl)) gradNames.AddRange(gradEl.EnumerateObject().Select(g => g.Name));
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var kv in c.GetProperty("inputs").EnumerateObject())
        {
            var t = ReadTensor(kv.Value);
            if (gradNames.Contains(kv.Name)) t = t.requires_grad_(true);
            inputs[kv.Name] = t;
        }

        Tensor output;
        if (isLoss)
        {
            var def = LossCatalog.FindLoss(name);
            if (def is null) return $"unsupported: loss '{name}'";
            output = def.Compute(inputs, parameters);
        }
        else
        {
            var def = LossCatalog.FindMetric(name);
            if (def is null) return $"unsupported: metric '{name}'";
            output = def.Compute(inputs, parameters);
        }

        var expected = ReadTensor(c.GetProperty("expected"));
        string? bad = Compare("output", output, expected, rtol, atol);
        if (bad is not null) return bad;
        if (gradNames.Count > 0)
        {
            if (!output.requires_grad) return "output does not depend on the inputs listed under 'grad'";
            var leaves = gradNames.Select(n => inputs.TryGetValue(n, out var t) ? t : throw new ArgumentException($"grad names input '{n}' that the case does not give")).ToList();
            var grads = torch.autograd.grad(new List<Tensor> { output.sum() }, leaves, allow_unused: true);
            for (int i = 0; i < gradNames.Count; i++)
            {
                var want = ReadTensor(gradEl.GetProperty(gradNames[i]));
                var got = grads[i] is null || grads[i].IsInvalid ? torch.zeros_like(want) : grads[i];
                bad = Compare("grad of " + gradNames[i], got, want, rtol, atol);
                if (bad is not null) return bad;
            }
        }
        return null;
    }

    private static string? Compare(string what, Tensor got, Tensor expected, double rtol, double atol)
    {
        if (!got.shape.SequenceEqual(expected.shape))
            return $"{what}: shape {Check.Shape(got)}, expected {Check.Shape(expected)}";
        var g = got.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        var e = expected.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        for (int i = 0; i < g.Length; i++)
        {
            bool ok = double.IsNaN(e[i]) ? double.IsNaN(g[i])
                : double.IsInfinity(e[i]) ? g[i] == e[i]
                : Math.Abs(g[i] - e[i]) <= atol + rtol * Math.Abs(e[i]);
            if (!ok)
                return $"{what}[{i}]: got {g[i].ToString("R", CultureInfo.InvariantCulture)}, expected {e[i].ToString("R", CultureInfo.InvariantCulture)} (|diff| {Math.Abs(g[i] - e[i]):E2} > {atol + rtol * Math.Abs(e[i]):E2})";
        }
        return null;
    }

    /// <summary>Reads a TENSOR object (<c>{"shape", "dtype", "data"}</c>) into a CPU tensor.</summary>
    public static Tensor ReadTensor(JsonElement el)
    {
        var shape = el.GetProperty("shape").EnumerateArray().Select(s => s.GetInt64()).ToArray();
        string dtype = el.TryGetProperty("dtype", out var d) ? d.GetString() ?? "float64" : "float64";
        var data = el.GetProperty("data");
        var values = data.ValueKind == JsonValueKind.Array ? data.EnumerateArray().ToList() : new List<JsonElement> { data };
        long count = shape.Aggregate(1L, (x, y) => x * y);
        if (values.Count != count) throw new FormatException($"tensor of shape [{string.Join(", ", shape)}] has {values.Count} values");
        switch (dtype)
        {
            case "int64":
            case "int32":
            case "int":
                return torch.tensor(values.Select(v => v.ValueKind == JsonValueKind.Number ? (long)v.GetDouble() : long.Parse(v.GetString()!, CultureInfo.InvariantCulture)).ToArray(), dtype: ScalarType.Int64).reshape(shape);
            case "bool":
                return torch.tensor(values.Select(v => v.ValueKind == JsonValueKind.True || (v.ValueKind == JsonValueKind.Number && v.GetDouble() != 0)).ToArray()).reshape(shape);
            case "float64":
            case "float32":
            case "float":
                var t = torch.tensor(values.Select(Number).ToArray(), dtype: ScalarType.Float64).reshape(shape);
                return t;
            default:
                throw new FormatException($"unsupported dtype '{dtype}'");
        }
    }

    private static double Number(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => v.GetDouble(),
        JsonValueKind.String => v.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            var s => double.Parse(s!, CultureInfo.InvariantCulture),
        },
        JsonValueKind.True => 1,
        JsonValueKind.False => 0,
        _ => throw new FormatException($"not a number: {v}"),
    };

    private static string ParamText(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString() ?? "",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Number => v.GetRawText(),
        JsonValueKind.Array => string.Join(";", v.EnumerateArray().Select(ParamText)),
        JsonValueKind.Null => "none",
        _ => v.GetRawText(),
    };

    /// <summary>Python's json writes NaN and Infinity as bare tokens, which are not JSON; quote them.</summary>
    private static string QuoteNonFinite(string json) =>
        json.Contains("NaN", StringComparison.Ordinal) || json.Contains("Infinity", StringComparison.Ordinal)
            ? NonFinite().Replace(json, m => "\"" + m.Value + "\"")
            : json;

    [GeneratedRegex(@"(?<=[\[,:]\s*)(-?Infinity|NaN)(?=\s*[,\]}])")]
    private static partial Regex NonFinite();
}
