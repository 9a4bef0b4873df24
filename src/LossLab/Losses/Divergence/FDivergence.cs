using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// One row of the f-divergence table behind IQ Loss, in the IQ-Learn convention: the generator f is applied to
/// <c>u = rho / rho_E</c> (policy over expert), its convex conjugate is <c>f*(t) = sup_u (t u - f(u))</c>, and the
/// dual objective uses <c>phi(x) = -f*(-x)</c>. The activation maps logits into the domain of phi.
/// </summary>
/// <param name="Divergence">Which divergence.</param>
/// <param name="Generator">f(u), for u &gt; 0.</param>
/// <param name="Conjugate">f*(t), where finite.</param>
/// <param name="Phi">phi(x) = -f*(-x).</param>
/// <param name="PhiPrime">phi'(x).</param>
/// <param name="DomainLow">The lower end of phi's domain (reward), or -infinity.</param>
/// <param name="DomainHigh">The upper end of phi's domain, or +infinity.</param>
/// <param name="GeneratorText">f(u), as text.</param>
/// <param name="ConjugateText">f*(t), as text.</param>
/// <param name="PhiText">phi(x), as text.</param>
/// <param name="PhiPrimeText">phi'(x), as text.</param>
/// <param name="ActivationText">The reward activation, as text.</param>
public sealed record FDivergence(
    Divergence Divergence,
    Func<double, double> Generator,
    Func<double, double> Conjugate,
    Func<double, double> Phi,
    Func<double, double> PhiPrime,
    double DomainLow,
    double DomainHigh,
    string GeneratorText,
    string ConjugateText,
    string PhiText,
    string PhiPrimeText,
    string ActivationText)
{
    private const double Eps = 1e-5;

    /// <summary>The table row of a divergence.</summary>
    public static FDivergence Of(Divergence d) => Table[(int)d];

    /// <summary>Every row, in <see cref="LossLab.Divergence"/> order.</summary>
    public static IReadOnlyList<FDivergence> Table { get; } =
    [
        // chi (the paper's chi2): phi(x) = x - alpha x^2 / 4, i.e. f(u) = (u - 1)^2 / alpha. The table row is alpha = 1;
        // IQ Loss holds phi' = 1 and adds the quadratic as a separate regulariser (see Losses.iq_loss).
        new(Divergence.Chi2, u => (u - 1) * (u - 1), t => t + t * t / 4, x => x - x * x / 4, x => 1 - x / 2,
            double.NegativeInfinity, double.PositiveInfinity,
            "(u - 1)^2 / alpha", "t + alpha t^2 / 4", "x - alpha x^2 / 4", "1 - alpha x / 2 (IQ Loss holds 1 and adds alpha/4 r^2)", "r = x"),
        new(Divergence.ReverseKl, u => u * Math.Log(u) - u + 1, t => Math.Exp(t) - 1, x => 1 - Math.Exp(-x), x => Math.Exp(-x),
            double.NegativeInfinity, double.PositiveInfinity,
            "u log u - u + 1", "exp(t) - 1", "1 - exp(-x)", "exp(-x)", "r = x"),
        new(Divergence.JensenShannon, u => u * Math.Log(u) - (1 + u) * Math.Log((1 + u) / 2), t => -Math.Log(2 - Math.Exp(t)),
            x => Math.Log(2 - Math.Exp(-x)), x => Math.Exp(-x) / (2 - Math.Exp(-x)),
            -Math.Log(2), double.PositiveInfinity,
            "u log u - (1 + u) log((1 + u) / 2)", "-log(2 - exp(t)), t < log 2", "log(2 - exp(-x)), x > -log 2", "exp(-x) / (2 - exp(-x))", "r = softplus(x) - log 2 + 1e-5"),
        new(Divergence.Hellinger, u => (Math.Sqrt(u) - 1) * (Math.Sqrt(u) - 1), t => t / (1 - t), x => x / (1 + x), x => 1 / ((1 + x) * (1 + x)),
            -1, double.PositiveInfinity,
            "(sqrt(u) - 1)^2", "t / (1 - t), t < 1", "x / (1 + x), x > -1", "1 / (1 + x)^2", "r = softplus(x) - 1 + 1e-5"),
        new(Divergence.TotalVariation, u => 0.5 * Math.Abs(u - 1), t => t, x => x, _ => 1,
            -0.5, 0.5,
            "|u - 1| / 2", "t, |t| <= 1/2", "x, |x| <= 1/2", "1", "r = tanh(x) / 2"),
        new(Divergence.ForwardKl, u => -Math.Log(u), t => -1 - Math.Log(-t), x => 1 + Math.Log(x), x => 1 / x,
            0, double.PositiveInfinity,
            "-log u", "-1 - log(-t), t < 0", "1 + log x, x > 0", "1 / x", "r = softplus(x) + 1e-5"),
        new(Divergence.PearsonChi2, u => (u - 1) * (u - 1), t => t + t * t / 4, x => x - x * x / 4, x => 1 - x / 2,
            double.NegativeInfinity, double.PositiveInfinity,
            "(u - 1)^2", "t + t^2 / 4", "x - x^2 / 4", "1 - x / 2", "r = x"),
        new(Divergence.NeymanChi2, u => (1 - u) * (1 - u) / u, t => 2 - 2 * Math.Sqrt(1 - t), x => 2 * Math.Sqrt(1 + x) - 2, x => 1 / Math.Sqrt(1 + x),
            -1, double.PositiveInfinity,
            "(1 - u)^2 / u", "2 - 2 sqrt(1 - t), t < 1", "2 sqrt(1 + x) - 2, x > -1", "1 / sqrt(1 + x)", "r = softplus(x) - 1 + 1e-5"),
    ];

    /// <summary>The reward for logits: maps them into the domain of phi (Appendix A's activations for js and hellinger).</summary>
    /// <param name="logits">The logits.</param>
    /// <param name="shiftedHellinger">For hellinger and neyman_chi2: <c>softplus(x + log(e - 1)) - 1 + 1e-5</c>, so that logit 0 gives reward 1e-5 (the public code's variant).</param>
    public Tensor Reward(Tensor logits, bool shiftedHellinger = false)
    {
        if (SoftplusReward(shiftedHellinger) is var (shift, offset))
            return nn.functional.softplus(shift == 0 ? logits : logits + shift) + offset;
        return Divergence switch
        {
            Divergence.Chi2 or Divergence.ReverseKl or Divergence.PearsonChi2 => logits,
            Divergence.TotalVariation => logits.tanh() * 0.5,
            _ => throw new ArgumentOutOfRangeException(nameof(Divergence), Divergence, "unknown divergence"),
        };
    }

    /// <summary><see cref="Reward"/> of one logit in float64 (for the fused kernel's held weights, without a libtorch
    /// call): <c>softplus(x + shift) + offset</c>, <c>tanh(x) / 2</c> or x.</summary>
    internal double RewardOf(double logit, bool shiftedHellinger)
    {
        if (SoftplusReward(shiftedHellinger) is var (shift, offset)) return Kernels.ScalarMath.Softplus(logit + shift) + offset;
        return Divergence == Divergence.TotalVariation ? Math.Tanh(logit) * 0.5 : logit;
    }

    /// <summary>For the divergences whose reward is <c>softplus(x + shift) + offset</c> (js, hellinger, neyman_chi2,
    /// forward_kl), the shift and offset; null for the others. <see cref="Reward"/> and the fused IQ kernel both use it.</summary>
    internal (double Shift, double Offset)? SoftplusReward(bool shiftedHellinger) => Divergence switch
    {
        Divergence.JensenShannon => (0.0, -(Math.Log(2.0) - Eps)),
        Divergence.Hellinger or Divergence.NeymanChi2 => (shiftedHellinger ? Math.Log(Math.E - 1) : 0.0, -(1.0 - Eps)),
        Divergence.ForwardKl => (0.0, Eps),
        _ => null,
    };

    /// <summary>phi'(r) as a tensor (no gradient decision: callers hold it constant). Exponentials are capped so that
    /// rewards of magnitude 1e4 stay finite (see <see cref="Losses.iq_loss"/>).</summary>
    public Tensor PhiPrimeOf(Tensor r)
    {
        switch (Divergence)
        {
            case Divergence.Chi2:
            case Divergence.TotalVariation:
                return torch.ones_like(r);
            case Divergence.ReverseKl:
                return (-r).clamp_max(Losses.MaxExponent(r.dtype)).exp();
            case Divergence.JensenShannon:
                {
                    var e = (-r).exp();
                    return e / (2.0 - e);
                }
            case Divergence.Hellinger: return (1.0 + r).square().reciprocal();
            case Divergence.ForwardKl: return r.reciprocal();
            case Divergence.PearsonChi2: return 1.0 - r * 0.5;
            case Divergence.NeymanChi2: return (1.0 + r).rsqrt();
            default: throw new ArgumentOutOfRangeException(nameof(Divergence), Divergence, "unknown divergence");
        }
    }
}
