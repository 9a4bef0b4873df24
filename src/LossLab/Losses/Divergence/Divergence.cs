namespace LossLab;

/// <summary>
/// The f-divergences that IQ Loss minimises, named as in the IQ Loss paper and its Appendix A code.
/// </summary>
public enum Divergence
{
    /// <summary>Pearson chi-squared (<c>chi</c>): reward = logits, phi'(r) = 1, plus the chi2 regulariser alpha/4 * r^2.</summary>
    Chi2,
    /// <summary>Reverse KL in the IQ Loss paper's naming (<c>kl</c>): reward = logits, phi'(r) = exp(-r).</summary>
    ReverseKl,
    /// <summary>Jensen-Shannon (<c>js</c>): reward = softplus(x) - log 2 + 1e-5, phi'(r) = exp(-r) / (2 - exp(-r)).</summary>
    JensenShannon,
    /// <summary>Squared Hellinger (<c>hellinger</c>): reward = softplus(x) - 1 + 1e-5, phi'(r) = 1 / (1 + r)^2.</summary>
    Hellinger,
}

/// <summary>The registry names of <see cref="Divergence"/> values (chi, kl, js, hellinger).</summary>
public static class DivergenceNames
{
    /// <summary>The registry name of a divergence.</summary>
    public static string ToName(this Divergence d) => d switch
    {
        Divergence.Chi2 => "chi",
        Divergence.ReverseKl => "kl",
        Divergence.JensenShannon => "js",
        Divergence.Hellinger => "hellinger",
        _ => throw new ArgumentOutOfRangeException(nameof(d), d, "unknown divergence"),
    };

    /// <summary>Every divergence's registry name.</summary>
    public static IReadOnlyList<string> All { get; } = Enum.GetValues<Divergence>().Select(ToName).ToArray();

    /// <summary>Parses a registry name (chi, kl, js, hellinger; also chi2, reverse_kl, jensen_shannon).</summary>
    /// <exception cref="ArgumentException">Not a known name.</exception>
    public static Divergence Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "chi" or "chi2" or "pearson_chi2" => Divergence.Chi2,
        "kl" or "reverse_kl" => Divergence.ReverseKl,
        "js" or "jensen_shannon" => Divergence.JensenShannon,
        "hellinger" => Divergence.Hellinger,
        _ => throw new ArgumentException($"divergence must be one of {string.Join(", ", All)}; got '{name}'", nameof(name)),
    };
}
