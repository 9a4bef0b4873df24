using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// IQ Loss (Garg, Gupta, Yuan, "Improving Image Classifiers with IQ Loss functions: Non-adversarial f-Divergence
    /// Minimization"), exactly as the paper's Appendix A computes it. The logits are the energies of an energy-based
    /// model; a reward r is derived from them and the per-sample loss is
    /// <c>-phi'(r_y) * r_y + logsumexp_c(r_c)</c>, with <c>phi'</c> held constant (no gradient flows through it).
    /// </summary>
    /// <remarks>
    /// <list type="table">
    /// <listheader><term>divergence</term><description>reward r; phi'(r)</description></listheader>
    /// <item><term>chi</term><description>r = x; 1; plus <c>alpha/4 * mean_c(r^2)</c> per sample (the mean over all logits after averaging)</description></item>
    /// <item><term>kl</term><description>r = x; exp(-r)</description></item>
    /// <item><term>js</term><description>r = softplus(x) - log 2 + 1e-5; exp(-r) / (2 - exp(-r))</description></item>
    /// <item><term>hellinger</term><description>r = softplus(x) - 1 + 1e-5; 1 / (1 + r)^2</description></item>
    /// </list>
    /// With chi and alpha = 0 the loss is cross-entropy exactly. For kl, <c>exp(-r)</c> is computed with its exponent
    /// capped at half the log of the dtype's largest value (44 in float32, 354 in float64) so that logits of magnitude
    /// 1e4 stay finite; below that the value is Appendix A's.
    /// <code>
    /// var loss = Losses.iq_loss(logits, labels, Divergence.JensenShannon);
    /// </code>
    /// </remarks>
    /// <param name="input">Logits, shape (N, C).</param>
    /// <param name="target">Class indices, shape (N), int64.</param>
    /// <param name="divergence">The f-divergence.</param>
    /// <param name="alpha">The chi2 regulariser's coefficient (used by chi only), at least 0.</param>
    /// <param name="reduction">none: per-sample losses (N); mean (the paper's); sum.</param>
    public static Tensor iq_loss(Tensor input, Tensor target, Divergence divergence = Divergence.Chi2, double alpha = 0.5, Reduction reduction = Reduction.Mean)
    {
        const string name = "iq_loss";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        Check.Rank(target, name, nameof(target), 1);
        Check.SameBatch(input, nameof(input), target, nameof(target), name);
        Check.Param(alpha >= 0 && double.IsFinite(alpha), name, nameof(alpha), "a finite number >= 0", alpha);
        Check.ClassIndices(target, input.shape[1], name, nameof(target));
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var r = IqReward(input, divergence);
        var ry = r.gather(1, target.unsqueeze(1)).squeeze(1);
        var phiPrime = Surrogate.Hold("phi_prime", IqPhiPrime(ry, divergence));
        var loss = -phiPrime * ry + torch.logsumexp(r, 1);
        if (divergence == Divergence.Chi2 && alpha != 0)
            loss = loss + alpha / 4 * r.square().mean(new long[] { 1 });
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }

    /// <summary>The reward r that IQ Loss derives from logits for a divergence (Appendix A).</summary>
    public static Tensor IqReward(Tensor logits, Divergence divergence) => divergence switch
    {
        Divergence.Chi2 or Divergence.ReverseKl => logits,
        Divergence.JensenShannon => torch.nn.functional.softplus(logits) - (System.Math.Log(2.0) - 1e-5),
        Divergence.Hellinger => torch.nn.functional.softplus(logits) - (1.0 - 1e-5),
        _ => throw new ArgumentOutOfRangeException(nameof(divergence), divergence, "unknown divergence"),
    };

    /// <summary>phi'(r) of a divergence (Appendix A), computed without a gradient-holding decision: callers hold it.</summary>
    public static Tensor IqPhiPrime(Tensor r, Divergence divergence)
    {
        switch (divergence)
        {
            case Divergence.Chi2: return torch.ones_like(r);
            case Divergence.ReverseKl: return (-r).clamp_max(MaxExponent(r.dtype)).exp();
            case Divergence.JensenShannon:
                {
                    var e = (-r).exp();
                    return e / (2.0 - e);
                }
            case Divergence.Hellinger: return (1.0 + r).square().reciprocal();
            default: throw new ArgumentOutOfRangeException(nameof(divergence), divergence, "unknown divergence");
        }
    }

    /// <summary>Half the natural log of the largest finite value of a floating dtype: exp of it, times 1e4, stays finite.</summary>
    internal static double MaxExponent(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => 354.0,
        ScalarType.Float16 => 5.5,
        _ => 44.0,
    };
}

/// <summary>IQ Loss as a module; see <see cref="Losses.iq_loss"/>.</summary>
public sealed class IqLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Divergence divergence;
    private readonly double alpha;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.iq_loss"/>.</summary>
    public IqLoss(Divergence divergence = Divergence.Chi2, double alpha = 0.5, Reduction reduction = Reduction.Mean) : base(nameof(IqLoss))
    {
        Check.Param(alpha >= 0 && double.IsFinite(alpha), "IqLoss", nameof(alpha), "a finite number >= 0", alpha);
        this.divergence = divergence;
        this.alpha = alpha;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.iq_loss(input, target, divergence, alpha, reduction);
}

internal sealed class IqDefinition : LossDefinition
{
    public override string Name => "iq";
    public override string Family => "divergence";
    public override string Summary => "IQ Loss: f-divergence minimisation of a classifier seen as an energy-based model (Appendix A form).";
    public override string Math => "l_i = -sg(phi'(r_{i,y_i})) * r_{i,y_i} + logsumexp_c r_{i,c}  [+ alpha/4 * mean_c r_{i,c}^2 for chi]; r = act(input)";
    public override string Reference => "Garg, Gupta, Yuan, Improving Image Classifiers with IQ Loss functions: Non-adversarial f-Divergence Minimization (Appendix A)";
    public override string Function => "Losses.iq_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["phi_prime"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("divergence", "chi", "the f-divergence", "chi", "kl", "js", "hellinger"),
        ParamSpec.Float("alpha", 0.5, "chi2 regulariser coefficient (chi only): alpha/4 * mean(r^2)", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) logits"),
        InputSpec.Data("target", "(N) class indices"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.iq_loss(x.Required("input"), x.Required("target"), DivergenceNames.Parse(p.Choice("divergence")), p.Float("alpha"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        foreach (var div in DivergenceNames.All)
        {
            yield return GradcheckCase.Of($"(6,4) {div}", g => new() { ["input"] = Sample.Normal(g, [6, 4], 1.5), ["target"] = Sample.Labels(g, 6, 4) }, ("divergence", div));
            yield return GradcheckCase.Of($"(1,5) {div} sum alpha=1", g => new() { ["input"] = Sample.Normal(g, [1, 5]), ["target"] = Sample.Labels(g, 1, 5) }, ("divergence", div), ("alpha", "1"), ("reduction", "sum"));
            yield return GradcheckCase.Of($"(4,3) {div} none alpha=0", g => new() { ["input"] = Sample.Normal(g, [4, 3]), ["target"] = Sample.Labels(g, 4, 3) }, ("divergence", div), ("alpha", "0"), ("reduction", "none"));
        }
    }
}
