namespace LossLab;

/// <summary>
/// The f-divergences that IQ Loss can minimise. The first four are the IQ Loss paper's (its Appendix A code); the
/// others complete the f-divergence table (see docs/iq-loss.md for the derivation and the naming).
/// </summary>
public enum Divergence
{
    /// <summary><c>chi</c>, the paper's chi2: reward = logits, phi'(r) = 1, plus the chi2 regulariser
    /// <c>alpha/4 * r^2</c> (over all logits by default). alpha = 1 on the target entries is Pearson chi2 exactly.</summary>
    Chi2,
    /// <summary><c>kl</c>, reverse KL in the IQ Loss paper's naming (f(u) = u log u - u + 1 applied to rho/rho_E; f-GAN calls
    /// this generator KL): reward = logits, phi'(r) = exp(-r).</summary>
    ReverseKl,
    /// <summary><c>js</c>, Jensen-Shannon (f-GAN's, 2 JSD): reward = softplus(x) - log 2 + 1e-5, phi'(r) = exp(-r) / (2 - exp(-r)).</summary>
    JensenShannon,
    /// <summary><c>hellinger</c>, squared Hellinger: reward = softplus(x) - 1 + 1e-5, phi'(r) = 1 / (1 + r)^2.</summary>
    Hellinger,
    /// <summary><c>total_variation</c>: reward = tanh(x) / 2, phi'(r) = 1.</summary>
    TotalVariation,
    /// <summary><c>forward_kl</c>, KL(rho_E || rho) (f(u) = -log u): reward = softplus(x) + 1e-5, phi'(r) = 1 / r.</summary>
    ForwardKl,
    /// <summary><c>pearson_chi2</c> (f(u) = (u - 1)^2) in the plain table form: reward = logits, phi'(r) = 1 - r / 2, no separate regulariser.</summary>
    PearsonChi2,
    /// <summary><c>neyman_chi2</c> (f(u) = (1 - u)^2 / u): reward = softplus(x) - 1 + 1e-5, phi'(r) = 1 / sqrt(1 + r).</summary>
    NeymanChi2,
}

/// <summary>The registry names of <see cref="Divergence"/> values.</summary>
public static class DivergenceNames
{
    /// <summary>The registry name of a divergence.</summary>
    public static string ToName(this Divergence d) => d switch
    {
        Divergence.Chi2 => "chi",
        Divergence.ReverseKl => "kl",
        Divergence.JensenShannon => "js",
        Divergence.Hellinger => "hellinger",
        Divergence.TotalVariation => "total_variation",
        Divergence.ForwardKl => "forward_kl",
        Divergence.PearsonChi2 => "pearson_chi2",
        Divergence.NeymanChi2 => "neyman_chi2",
        _ => throw new ArgumentOutOfRangeException(nameof(d), d, "unknown divergence"),
    };

    /// <summary>Every divergence's registry name.</summary>
    public static IReadOnlyList<string> All { get; } = Enum.GetValues<Divergence>().Select(ToName).ToArray();

    /// <summary>The four divergences of the IQ Loss paper's Appendix A.</summary>
    public static IReadOnlyList<string> Appendix { get; } = ["chi", "kl", "js", "hellinger"];

    /// <summary>Parses a registry name (also accepts reverse_kl, jensen_shannon, tv).</summary>
    /// <exception cref="ArgumentException">Not a known name.</exception>
    public static Divergence Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "chi" or "chi2" => Divergence.Chi2,
        "kl" or "reverse_kl" => Divergence.ReverseKl,
        "js" or "jensen_shannon" => Divergence.JensenShannon,
        "hellinger" => Divergence.Hellinger,
        "total_variation" or "tv" => Divergence.TotalVariation,
        "forward_kl" => Divergence.ForwardKl,
        "pearson_chi2" => Divergence.PearsonChi2,
        "neyman_chi2" => Divergence.NeymanChi2,
        _ => throw new ArgumentException($"divergence must be one of {string.Join(", ", All)}; got '{name}'", nameof(name)),
    };
}
