using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// IQ Loss (Garg, Gupta, Yuan, "Improving Image Classifiers with IQ Loss functions: Non-adversarial f-Divergence
    /// Minimization"). The logits are the energies of an energy-based model; a reward r is derived from them and the
    /// per-sample loss is <c>-phi'(r_y) * r_y + logsumexp_c(r_c)</c>, with <c>phi'</c> held constant (no gradient flows
    /// through it), so that its gradient is that of the dual objective <c>-phi(r_y) + logsumexp(r)</c>.
    /// </summary>
    /// <remarks>
    /// The defaults are exactly the paper's Appendix A computation:
    /// <list type="table">
    /// <listheader><term>divergence</term><description>reward r; phi'(r)</description></listheader>
    /// <item><term>chi</term><description>r = x; 1; plus <c>alpha/4 * mean_c(r^2)</c> per sample</description></item>
    /// <item><term>kl</term><description>r = x; exp(-r)</description></item>
    /// <item><term>js</term><description>r = softplus(x) - log 2 + 1e-5; exp(-r) / (2 - exp(-r))</description></item>
    /// <item><term>hellinger</term><description>r = softplus(x) - 1 + 1e-5; 1 / (1 + r)^2</description></item>
    /// <item><term>total_variation</term><description>r = tanh(x)/2; 1</description></item>
    /// <item><term>forward_kl</term><description>r = softplus(x) + 1e-5; 1 / r</description></item>
    /// <item><term>pearson_chi2</term><description>r = x; 1 - r/2</description></item>
    /// <item><term>neyman_chi2</term><description>r = softplus(x) - 1 + 1e-5; 1 / sqrt(1 + r)</description></item>
    /// </list>
    /// docs/iq-loss.md derives the table. With chi and alpha = 0 the loss is cross-entropy exactly. Inputs of rank
    /// above 2, (N, C, d1, ...), are flattened to (N*d1*..., C) as the appendix does (reduction none returns (N, d1, ...)).
    /// For kl, <c>exp(-r)</c> is computed with its exponent capped (at 44 in float32, 600 in float64) so that logits of
    /// magnitude 1e4 stay finite even summed over large batches; below the cap the value is Appendix A's.
    /// <code>
    /// var loss = Losses.iq_loss(logits, labels, Divergence.JensenShannon);
    /// var loss2 = Losses.iq_loss(logits, labels, Divergence.ReverseKl, options: new IqOptions { KlForm = KlForm.Original });
    /// </code>
    /// </remarks>
    /// <param name="input">Logits, shape (N, C) or (N, C, d1, ...).</param>
    /// <param name="target">Class indices, shape (N) or (N, d1, ...), int64.</param>
    /// <param name="divergence">The f-divergence.</param>
    /// <param name="alpha">The chi2 regulariser's coefficient (chi only), at least 0 (greater than 0 with IqLearn's 1/(4 alpha)).</param>
    /// <param name="reduction">none: per-sample losses; mean (the paper's); sum.</param>
    /// <param name="options">Variants beside Appendix A (null: Appendix A).</param>
    public static Tensor iq_loss(Tensor input, Tensor target, Divergence divergence = Divergence.Chi2, double alpha = 0.5, Reduction reduction = Reduction.Mean, IqOptions? options = null) =>
        IqCompute(input, target, divergence, alpha, reduction, options ?? IqOptions.Default, wantTerms: false).Loss;

    /// <summary>
    /// IQ Loss with its terms (soft-Q, log Z, chi2, total) as the paper's <c>loss_dict</c> reports them; the arguments
    /// are those of <see cref="iq_loss"/>.
    /// </summary>
    public static (Tensor Loss, IqTerms Terms) iq_loss_terms(Tensor input, Tensor target, Divergence divergence = Divergence.Chi2, double alpha = 0.5, Reduction reduction = Reduction.Mean, IqOptions? options = null)
    {
        var (loss, terms) = IqCompute(input, target, divergence, alpha, reduction, options ?? IqOptions.Default, wantTerms: true);
        return (loss, terms!);
    }

    private static (Tensor Loss, IqTerms? Terms) IqCompute(Tensor input, Tensor target, Divergence divergence, double alpha, Reduction reduction, IqOptions o, bool wantTerms)
    {
        const string name = "iq_loss";
        Check.Floating(input, name, nameof(input));
        Check.MinRank(input, name, nameof(input), 2);
        Check.Integer(target, name, nameof(target));
        if (target.dim() != input.dim() - 1 || target.shape[0] != input.shape[0] || !target.shape.Skip(1).SequenceEqual(input.shape.Skip(2)))
            throw new ArgumentException($"{name}: 'target' must have shape (N, d1, ...) = [{string.Join(", ", input.shape.Where((_, i) => i != 1))}] for 'input' {Check.Shape(input)}, got {Check.Shape(target)}", nameof(target));
        if (!Enum.IsDefined(divergence)) throw new ArgumentOutOfRangeException(nameof(divergence), divergence, $"{name}: unknown divergence");
        Check.Param(alpha >= 0 && double.IsFinite(alpha), name, nameof(alpha), "a finite number >= 0", alpha);
        if (divergence == Divergence.Chi2 && o.Chi2Coefficient == Chi2Coefficient.IqLearn)
            Check.Param(alpha > 0, name, nameof(alpha), "> 0 with the IQ-Learn coefficient 1/(4 alpha)", alpha);
        Check.Param(o.Temperature > 0 && double.IsFinite(o.Temperature), name, "options.Temperature", "a finite number > 0", o.Temperature);
        Check.ClassIndices(target, input.shape[1], name, nameof(target));
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));
        Reduce.NoBatchMean(reduction, name);
        if (!wantTerms && Kernels.FusedIq.Applies(input))
            return (Kernels.FusedIq.Apply(input, target, divergence, alpha, reduction, o), null);

        using var scope = NewDisposeScope();
        long c = input.shape[1];
        var x = input.dim() == 2 ? input : input.movedim(new long[] { 1 }, new long[] { -1 }).reshape(-1, c);
        var y = target.reshape(-1);
        var f = FDivergence.Of(divergence);
        var r = f.Reward(x, o.ShiftedHellinger);
        var ry = r.gather(1, y.unsqueeze(1)).squeeze(1);

        var softQ = -Surrogate.Hold("phi_prime", IqPhiPrime(f, ry, o, ry.dtype)) * ry;
        var value = o.Temperature == 1.0 ? torch.logsumexp(r, 1) : torch.logsumexp(r / o.Temperature, 1) * o.Temperature;
        Tensor? chi2 = null;
        double k = IqChi2Factor(divergence, alpha, o);
        if (k != 0) chi2 = (o.Chi2Scope == Chi2Scope.AllLogits ? r.square().mean(new long[] { 1 }) : ry.square()) * k;
        var perSample = chi2 is null ? softQ + value : softQ + value + chi2;
        Tensor loss = Reduce.Apply(perSample, reduction, name);
        if (divergence == Divergence.ReverseKl && o.KlForm == KlForm.Fixed) loss = torch.log1p(loss);
        if (reduction == Reduction.None && input.dim() > 2) loss = loss.reshape(target.shape);

        IqTerms? terms = null;
        if (wantTerms)
        {
            using var noGrad = torch.no_grad();
            double Mean(Tensor t) => t.mean().to_type(ScalarType.Float64).item<double>();
            terms = new IqTerms(Mean(softQ), Mean(value), chi2 is null ? 0 : Mean(chi2), reduction == Reduction.None ? Mean(loss) : loss.to_type(ScalarType.Float64).item<double>());
        }
        return (loss.MoveToOuterDisposeScope(), terms);
    }

    /// <summary>phi'(r_y) as IQ Loss holds it: the divergence's phi', or for reverse KL the form <see cref="IqOptions.KlForm"/>
    /// picks; exponentials capped at <see cref="MaxExponent"/> of <paramref name="capDtype"/> (the logits' dtype). Shared
    /// by the composite form and the fused kernel (which computes it in float64).</summary>
    internal static Tensor IqPhiPrime(FDivergence f, Tensor ry, IqOptions o, ScalarType capDtype) =>
        f.Divergence != Divergence.ReverseKl ? f.PhiPrimeOf(ry) : o.KlForm switch
        {
            KlForm.Original => (-ry - 1.0).clamp_max(MaxExponent(capDtype)).exp(),
            KlForm.BatchBiased => torch.softmax(-ry, 0) * ry.shape[0],
            _ => (-ry).clamp_max(MaxExponent(capDtype)).exp(),
        };

    /// <summary>
    /// <see cref="IqPhiPrime(FDivergence, Tensor, IqOptions, ScalarType)"/> on float64 values, for the fused kernel: the
    /// same forms without a libtorch call (libtorch's exp on a batch of rewards runs on its OpenMP threads, which then
    /// spin for a while and take a core from the kernel that follows: measured with perf, about 1 ms on 4096 x 1000).
    /// The divergences' own phi' are the table's scalar <see cref="FDivergence.PhiPrime"/>; chi2 and total variation
    /// hold 1, as <see cref="FDivergence.PhiPrimeOf"/> does. A test compares the two on a grid, every divergence and form.
    /// </summary>
    internal static double[] IqPhiPrime(FDivergence f, double[] ry, IqOptions o, ScalarType capDtype)
    {
        var phi = new double[ry.Length];
        double cap = MaxExponent(capDtype);
        switch (f.Divergence)
        {
            case Divergence.Chi2:
            case Divergence.TotalVariation:
                Array.Fill(phi, 1.0);
                break;
            case Divergence.ReverseKl when o.KlForm == KlForm.BatchBiased:
                {
                    // N softmax(-r) over the batch
                    double m = double.NegativeInfinity, sum = 0;
                    foreach (double r in ry) m = Math.Max(m, -r);
                    for (int i = 0; i < ry.Length; i++) sum += phi[i] = Math.Exp(-ry[i] - m);
                    for (int i = 0; i < ry.Length; i++) phi[i] *= ry.Length / sum;
                    break;
                }
            case Divergence.ReverseKl:
                double shift = o.KlForm == KlForm.Original ? 1.0 : 0.0;
                for (int i = 0; i < ry.Length; i++) phi[i] = Math.Exp(Math.Min(-ry[i] - shift, cap));
                break;
            default:
                for (int i = 0; i < ry.Length; i++) phi[i] = f.PhiPrime(ry[i]);
                break;
        }
        return phi;
    }

    /// <summary>The chi2 regulariser's factor k (alpha/4 or 1/(4 alpha)); 0 unless divergence chi with alpha != 0.</summary>
    internal static double IqChi2Factor(Divergence divergence, double alpha, IqOptions o) =>
        divergence != Divergence.Chi2 || alpha == 0 ? 0
        : o.Chi2Coefficient == Chi2Coefficient.Paper ? alpha / 4 : 1 / (4 * alpha);

    /// <summary>The reward r that IQ Loss derives from logits for a divergence (Appendix A's activations).</summary>
    public static Tensor IqReward(Tensor logits, Divergence divergence) => FDivergence.Of(divergence).Reward(logits);

    /// <summary>phi'(r) of a divergence; callers hold it constant (<see cref="Surrogate.Hold"/>).</summary>
    public static Tensor IqPhiPrime(Tensor r, Divergence divergence) => FDivergence.Of(divergence).PhiPrimeOf(r);

    /// <summary>The cap on exponents of held weights such as exp(-r): exp of it, times a reward of 1e4, times a batch of a
    /// million, stays finite in the dtype (float32: e^44 ~ 1.3e19; float64: e^600 ~ 3.8e260).</summary>
    internal static double MaxExponent(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => 600.0,
        ScalarType.Float16 => 5.5,
        _ => 44.0,
    };
}

/// <summary>IQ Loss as a module; see <see cref="Losses.iq_loss"/>. After each forward, <see cref="LastTerms"/> holds
/// the terms of that evaluation when <c>recordTerms</c> is on.</summary>
public sealed class IqLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Divergence divergence;
    private readonly double alpha;
    private readonly Reduction reduction;
    private readonly IqOptions options;
    private readonly bool recordTerms;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.iq_loss"/>.</summary>
    /// <param name="divergence">The f-divergence.</param>
    /// <param name="alpha">The chi2 coefficient.</param>
    /// <param name="reduction">The reduction.</param>
    /// <param name="options">Variants (null: Appendix A).</param>
    /// <param name="recordTerms">Whether forward records <see cref="LastTerms"/> (costs a few scalar reads).</param>
    public IqLoss(Divergence divergence = Divergence.Chi2, double alpha = 0.5, Reduction reduction = Reduction.Mean, IqOptions? options = null, bool recordTerms = false) : base(nameof(IqLoss))
    {
        Check.Param(alpha >= 0 && double.IsFinite(alpha), "IqLoss", nameof(alpha), "a finite number >= 0", alpha);
        this.divergence = divergence;
        this.alpha = alpha;
        this.reduction = reduction;
        this.options = options ?? IqOptions.Default;
        this.recordTerms = recordTerms;
    }

    /// <summary>The terms of the last forward (null unless recordTerms is on).</summary>
    public IqTerms? LastTerms { get; private set; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target)
    {
        if (!recordTerms) return Losses.iq_loss(input, target, divergence, alpha, reduction, options);
        var (loss, terms) = Losses.iq_loss_terms(input, target, divergence, alpha, reduction, options);
        LastTerms = terms;
        return loss;
    }
}

internal sealed class IqDefinition : LossDefinition
{
    public override string Name => "iq";
    public override string Family => "divergence";
    public override string Summary => "IQ Loss: f-divergence minimisation of a classifier seen as an energy-based model (Appendix A form and the public code's variants).";
    public override string Math => "l_i = -sg(phi'(r_{i,y_i})) * r_{i,y_i} + tau * logsumexp_c(r_{i,c} / tau)  [+ alpha/4 * mean_c r_{i,c}^2 for chi]; r = act(input)";
    public override string Reference => "Garg, Gupta, Yuan, Improving Image Classifiers with IQ Loss functions: Non-adversarial f-Divergence Minimization (Appendix A); Garg et al. 2021, IQ-Learn";
    public override string Function => "Losses.iq_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["phi_prime"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("divergence", "chi", "the f-divergence (chi, kl, js, hellinger are the paper's)", DivergenceNames.All.ToArray()),
        ParamSpec.Float("alpha", 0.5, "chi2 regulariser coefficient (chi only)", min: 0),
        ParamSpec.Choice("chi2_coefficient", "paper", "the chi2 term's coefficient: paper = alpha/4, iq_learn = 1/(4 alpha)", "paper", "iq_learn"),
        ParamSpec.Choice("chi2_scope", "all", "the chi2 term over all logits (Appendix A) or the target entries only", "all", "target"),
        ParamSpec.Choice("kl_form", "appendix", "reverse KL's phi': appendix exp(-r), original exp(-r-1), batch_biased softmax(-r)*N, fixed exp(-r) then log(1+loss)", "appendix", "original", "batch_biased", "fixed"),
        ParamSpec.Bool("shifted_hellinger", false, "hellinger/neyman_chi2 activation softplus(x + log(e-1)) - 1 + 1e-5, so logit 0 gives reward 0"),
        ParamSpec.Float("temperature", 1.0, "entropy temperature tau of the energy-based model (value term tau*logsumexp(r/tau))", min: 0, minExclusive: true),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) or (N, C, d1, ...) logits"),
        InputSpec.Data("target", "(N) or (N, d1, ...) class indices"),
    ];

    internal static IqOptions Options(LossParameters p) => new()
    {
        Chi2Coefficient = p.Choice("chi2_coefficient") == "iq_learn" ? Chi2Coefficient.IqLearn : Chi2Coefficient.Paper,
        Chi2Scope = p.Choice("chi2_scope") == "target" ? Chi2Scope.Target : Chi2Scope.AllLogits,
        KlForm = p.Choice("kl_form") switch
        {
            "original" => KlForm.Original,
            "batch_biased" => KlForm.BatchBiased,
            "fixed" => KlForm.Fixed,
            _ => KlForm.Appendix,
        },
        ShiftedHellinger = p.Bool("shifted_hellinger"),
        Temperature = p.Float("temperature"),
    };

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.iq_loss(x.Required("input"), x.Required("target"), DivergenceNames.Parse(p.Choice("divergence")), p.Float("alpha"), p.Reduction, Options(p));

    public override (Tensor Loss, IReadOnlyDictionary<string, double>? Terms) ComputeWithTerms(LossInputs x, LossParameters p)
    {
        var (loss, terms) = Losses.iq_loss_terms(x.Required("input"), x.Required("target"), DivergenceNames.Parse(p.Choice("divergence")), p.Float("alpha"), p.Reduction, Options(p));
        return (loss, terms.ToDictionary());
    }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> Make(Generator g, long n, long c, double scale) =>
            new() { ["input"] = Sample.Normal(g, [n, c], scale), ["target"] = Sample.Labels(g, n, c) };
        foreach (var div in DivergenceNames.All)
        {
            yield return GradcheckCase.Of($"(6,4) {div}", g => Make(g, 6, 4, 1.5), ("divergence", div));
            yield return GradcheckCase.Of($"(1,5) {div} sum alpha=1", g => Make(g, 1, 5, 1), ("divergence", div), ("alpha", "1"), ("reduction", "sum"));
            yield return GradcheckCase.Of($"(4,3) {div} none tau=0.5", g => Make(g, 4, 3, 1), ("divergence", div), ("temperature", "0.5"), ("reduction", "none"));
        }
        yield return GradcheckCase.Of("(5,4) chi iq_learn target", g => Make(g, 5, 4, 1), ("divergence", "chi"), ("chi2_coefficient", "iq_learn"), ("chi2_scope", "target"));
        foreach (var form in new[] { "original", "batch_biased", "fixed" })
            yield return GradcheckCase.Of($"(5,4) kl {form}", g => Make(g, 5, 4, 1), ("divergence", "kl"), ("kl_form", form));
        yield return GradcheckCase.Of("(5,4) hellinger shifted", g => Make(g, 5, 4, 1), ("divergence", "hellinger"), ("shifted_hellinger", "true"));
        yield return GradcheckCase.Of("(2,3,2,2) js 4-d", g => new() { ["input"] = Sample.Normal(g, [2, 3, 2, 2]), ["target"] = torch.randint(0, 3, new long[] { 2, 2, 2 }, generator: g) }, ("divergence", "js"), ("reduction", "none"));
    }
}
