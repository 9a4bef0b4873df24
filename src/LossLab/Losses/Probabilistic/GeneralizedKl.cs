using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Generalised Kullback-Leibler divergence (the I-divergence) between non-negative measures that need not sum to
    /// 1: per element <c>p log(p / q) - p + q</c>, with p the <paramref name="target"/> and q the
    /// <paramref name="input"/> (or <c>q = exp(input)</c> when <paramref name="log_input"/>).
    /// </summary>
    /// <remarks>
    /// <para>It is &gt;= 0, 0 only where q = p, and reduces to the KL divergence when both sum to 1. It is the objective of
    /// KL non-negative matrix factorisation (Lee &amp; Seung 2001) and, up to the term <c>p log p - p</c> that does not
    /// depend on q, the Poisson negative log-likelihood: use it for spectrograms, counts and intensities, where the mass
    /// itself is predicted. Unlike <see cref="poisson_nll_loss"/> its minimum is 0.</para>
    /// <para>Conventions: terms with p = 0 are <c>q</c> (<c>0 log 0 = 0</c>); p &gt; 0 with q = 0 gives +inf. With
    /// <paramref name="log_input"/> the input is <c>log q</c> and the term is <c>p log p - p input - p + exp(input)</c>,
    /// with no logarithm of the prediction (use it with a linear output layer). Both measures must be &gt;= 0 (checked).
    /// The input's gradient is <c>1 - p / q</c> (<c>exp(input) - p</c> with log_input), 0 where p = q = 0; the target is
    /// data (its gradient, <c>log(p / q)</c>, is -inf at p = 0).</para>
    /// <code>
    /// var loss = Losses.generalized_kl_loss(w.matmul(h), spectrogram, reduction: Reduction.Sum);
    /// </code>
    /// </remarks>
    /// <param name="input">The model's measure q &gt;= 0 (or log q with <paramref name="log_input"/>), any shape.</param>
    /// <param name="target">The data's measure p &gt;= 0, the shape of <paramref name="input"/>.</param>
    /// <param name="log_input">Whether <paramref name="input"/> holds log q.</param>
    /// <param name="reduction">none: per-element terms; mean (over all elements); sum (the divergence).</param>
    /// <returns>A scalar, or the per-element terms for reduction none.</returns>
    public static Tensor generalized_kl_loss(Tensor input, Tensor target, bool log_input = false, Reduction reduction = Reduction.Mean)
    {
        const string name = "generalized_kl_loss";
        Check.ElementwisePair(input, target, name);
        Reduce.NoBatchMean(reduction, name);
        Check.NonNegativeValues(target, name, nameof(target), "a non-negative measure");
        if (!log_input) Check.NonNegativeValues(input, name, nameof(input), "a non-negative measure; pass log_input for log-measures");

        using var scope = NewDisposeScope();
        var hasMass = target.gt(0);
        Tensor loss;
        if (log_input)
        {
            // p log p - p input - p + exp(input): p input only where p > 0, so an input of -inf with p = 0 gives 0, not NaN.
            var cross = torch.where(hasMass, target * input, torch.zeros_like(input));
            loss = torch.xlogy(target, target) - cross - target + input.exp();
        }
        else
        {
            // p (log p - log q) only where p > 0, on a safe q (1 elsewhere), so p = q = 0 gives 0 with a zero gradient.
            var safeQ = torch.where(hasMass, input, torch.ones_like(input));
            var safeP = torch.where(hasMass, target, torch.ones_like(target));
            var ratio = torch.where(hasMass, target * (safeP.log() - safeQ.log()), torch.zeros_like(input));
            loss = ratio - target + input;
        }
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The generalised KL divergence as a module; see <see cref="Losses.generalized_kl_loss"/>.</summary>
public sealed class GeneralizedKlLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly bool logInput;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.generalized_kl_loss"/>.</summary>
    public GeneralizedKlLoss(bool log_input = false, Reduction reduction = Reduction.Mean) : base(nameof(GeneralizedKlLoss))
    {
        Reduce.NoBatchMean(reduction, nameof(GeneralizedKlLoss));
        logInput = log_input;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.generalized_kl_loss(input, target, logInput, reduction);
}

internal sealed class GeneralizedKlDefinition : LossDefinition
{
    public override string Name => "generalized_kl";
    public override string Family => "probabilistic";
    public override string Summary => "Generalised KL (I-)divergence between unnormalised non-negative measures: p log(p/q) - p + q.";
    public override string Math => "p = target, q = input (or exp(input) if log_input);  l = p log(p / q) - p + q per element, 0 log 0 = 0";
    public override string Reference => "Csiszar 1975 (I-divergence); Lee & Seung 2001, Algorithms for Non-negative Matrix Factorization";
    public override string Function => "Losses.generalized_kl_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Bool("log_input", false, "input holds log q"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) the model's measure q >= 0 (or log q)"),
        InputSpec.Data("target", "(*) the data's measure p >= 0, the shape of input"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.generalized_kl_loss(x.Required("input"), x.Required("target"), p.Bool("log_input"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        // Targets with exact zeros (a zero-mass term contributes q with gradient 1).
        static Tensor Measure(Generator g, long[] shape) => Sample.Uniform(g, shape, 0.1, 3) * Sample.Binary(g, shape);
        yield return GradcheckCase.Of("(6,3) mean", g => new() { ["input"] = Sample.Uniform(g, [6, 3], 0.2, 3), ["target"] = Measure(g, [6, 3]) });
        yield return GradcheckCase.Of("(4,2,3) log_input sum", g => new() { ["input"] = Sample.Normal(g, [4, 2, 3]), ["target"] = Measure(g, [4, 2, 3]) }, ("log_input", "true"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(7) none", g => new() { ["input"] = Sample.Uniform(g, [7], 0.2, 3), ["target"] = Measure(g, [7]) }, ("reduction", "none"));
        yield return GradcheckCase.Of("(1,5) log_input", g => new() { ["input"] = Sample.Normal(g, [1, 5]), ["target"] = Measure(g, [1, 5]) }, ("log_input", "true"));
    }
}
