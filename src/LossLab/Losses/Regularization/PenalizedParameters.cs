using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// Which parameters of a model the weight penalties (<see cref="Losses.l1_penalty(nn.Module, double, Func{string, bool}?)"/>,
/// <see cref="Losses.l2_penalty(nn.Module, double, Func{string, bool}?)"/>, <see cref="Losses.elastic_net_penalty(nn.Module, double, double, Func{string, bool}?)"/>,
/// <see cref="Losses.spectral_norm_penalty(nn.Module, long, double, bool, long, Func{string, bool}?)"/>) apply to.
/// </summary>
/// <remarks>
/// By default a penalty skips every parameter whose name ends in <c>bias</c> and every parameter of a normalisation
/// layer (BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LayerNorm, GroupNorm): shrinking biases does not limit capacity, and
/// shrinking the scale of a normalisation layer fights the normalisation (the common practice since Goyal et al. 2017
/// and in timm/torchvision recipes, "no weight decay on bias and norm"). An <c>exclude</c> function replaces that
/// default: it receives each parameter's full name (e.g. <c>encoder.0.weight</c>) and returns true to skip it; combine
/// it with <see cref="DefaultExclusion(nn.Module)"/> to extend the default.
/// <code>
/// var skip = PenalizedParameters.DefaultExclusion(model);
/// var penalty = Losses.l2_penalty(model, 1e-4, exclude: n => skip(n) || n.StartsWith("embedding"));
/// </code>
/// </remarks>
public static class PenalizedParameters
{
    /// <summary>Whether a module is a normalisation layer whose parameters the default filter skips.</summary>
    public static bool IsNormalization(nn.Module module) => module is NormBase or LayerNorm or GroupNorm;

    /// <summary>The default exclusion by name alone: true (skip) for names ending in <c>bias</c>.</summary>
    public static bool IsBiasName(string name) => name.EndsWith("bias", StringComparison.Ordinal);

    /// <summary>
    /// The default exclusion for <paramref name="module"/>: true (skip) for names ending in <c>bias</c> and for the
    /// parameters of its normalisation layers (<see cref="IsNormalization"/>).
    /// </summary>
    public static Func<string, bool> DefaultExclusion(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var normParams = new HashSet<string>(StringComparer.Ordinal);
        if (IsNormalization(module))
            foreach (var (n, _) in module.named_parameters()) normParams.Add(n);
        foreach (var (prefix, m) in module.named_modules())
        {
            if (!IsNormalization(m)) continue;
            foreach (var (n, _) in m.named_parameters()) normParams.Add(prefix.Length == 0 ? n : prefix + "." + n);
        }
        return name => IsBiasName(name) || normParams.Contains(name);
    }

    /// <summary>The parameters of <paramref name="module"/> a penalty applies to, in <c>named_parameters</c> order.</summary>
    /// <param name="module">The model.</param>
    /// <param name="exclude">Returns true for the names to skip; null: <see cref="DefaultExclusion(nn.Module)"/>.</param>
    public static IReadOnlyList<(string name, Parameter parameter)> Select(nn.Module module, Func<string, bool>? exclude = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        return Select(module.named_parameters(), exclude ?? DefaultExclusion(module));
    }

    /// <summary>The parameters of a list that a penalty applies to.</summary>
    /// <param name="parameters">Named parameters, e.g. <c>model.named_parameters()</c>.</param>
    /// <param name="exclude">Returns true for the names to skip; null: <see cref="IsBiasName"/> (normalisation layers
    /// cannot be recognised from names alone: pass the module, or an exclusion that knows their names).</param>
    public static IReadOnlyList<(string name, Parameter parameter)> Select(IEnumerable<(string name, Parameter parameter)> parameters, Func<string, bool>? exclude = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var skip = exclude ?? IsBiasName;
        return parameters.Where(p => !skip(p.name)).ToList();
    }

    /// <summary>The sum of <paramref name="term"/> over the selected parameters; a float32 zero when none is selected.</summary>
    internal static Tensor Sum(IReadOnlyList<(string name, Parameter parameter)> selected, Func<Tensor, Tensor> term)
    {
        if (selected.Count == 0) return torch.zeros(Array.Empty<long>(), dtype: ScalarType.Float32);
        using var scope = NewDisposeScope();
        Tensor total = term(selected[0].parameter);
        for (int i = 1; i < selected.Count; i++) total = total + term(selected[i].parameter);
        return total.MoveToOuterDisposeScope();
    }
}
