using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Negative log-likelihood of a Poisson distribution, as <c>torch.nn.functional.poisson_nll_loss</c>: per element
    /// <c>exp(input) - target * input</c> when <paramref name="log_input"/> (input is the log-rate), else
    /// <c>input - target * log(input + eps)</c> (input is the rate).
    /// </summary>
    /// <remarks>
    /// With <paramref name="full"/>, Stirling's approximation of <c>log(target!)</c>,
    /// <c>target * log(target) - target + 0.5 * log(2 pi target)</c>, is added where <c>target &gt; 1</c> (and nothing
    /// elsewhere), as PyTorch does. The Stirling term is computed on a masked copy of the target, so its gradient with
    /// respect to the target is finite where the target is 0 or 1 (PyTorch's is NaN at 0).
    /// <code>
    /// var loss = Losses.poisson_nll_loss(logRate, counts, full: true);
    /// </code>
    /// </remarks>
    /// <param name="input">Log-rates (<paramref name="log_input"/> true) or rates, any shape, floating-point; rates must be &gt;= 0.</param>
    /// <param name="target">Counts, the shape of <paramref name="input"/>, floating-point.</param>
    /// <param name="log_input">Whether <paramref name="input"/> is the log of the rate.</param>
    /// <param name="full">Whether to add the Stirling approximation of <c>log(target!)</c>.</param>
    /// <param name="eps">Added to the rate inside the log when <paramref name="log_input"/> is false; &gt;= 0.</param>
    /// <param name="reduction">none: per-element losses; mean (over all elements); sum.</param>
    /// <returns>A scalar, or the per-element losses for reduction none.</returns>
    public static Tensor poisson_nll_loss(Tensor input, Tensor target, bool log_input = true, bool full = false, double eps = 1e-8, Reduction reduction = Reduction.Mean)
    {
        const string name = "poisson_nll_loss";
        Check.ElementwisePair(input, target, name);
        Check.Param(eps >= 0 && double.IsFinite(eps), name, nameof(eps), "a finite number >= 0", eps);
        Reduce.NoBatchMean(reduction, name);
        if (!log_input) Check.NonNegativeValues(input, name, nameof(input), "it is a rate since log_input is false");

        using var scope = NewDisposeScope();
        var loss = log_input ? input.exp() - target * input : input - target * (input + eps).log();
        if (full)
        {
            var counted = target.gt(1.0);
            var t = torch.where(counted, target, torch.ones_like(target));
            var stirling = t * t.log() - t + 0.5 * (2 * System.Math.PI * t).log();
            loss = loss + torch.where(counted, stirling, torch.zeros_like(stirling));
        }
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The Poisson negative log-likelihood as a module; see <see cref="Losses.poisson_nll_loss"/>.</summary>
public sealed class PoissonNllLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly bool logInput;
    private readonly bool full;
    private readonly double eps;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.poisson_nll_loss"/>.</summary>
    public PoissonNllLoss(bool log_input = true, bool full = false, double eps = 1e-8, Reduction reduction = Reduction.Mean) : base(nameof(PoissonNllLoss))
    {
        Check.Param(eps >= 0 && double.IsFinite(eps), "PoissonNllLoss", nameof(eps), "a finite number >= 0", eps);
        Reduce.NoBatchMean(reduction, "PoissonNllLoss");
        logInput = log_input;
        this.full = full;
        this.eps = eps;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.poisson_nll_loss(input, target, logInput, full, eps, reduction);
}

internal sealed class PoissonNllLossDefinition : LossDefinition
{
    public override string Name => "poisson_nll_loss";
    public override string Family => "regression";
    public override string Summary => "Poisson negative log-likelihood (torch.nn.functional.poisson_nll_loss).";
    public override string Math => "l = exp(input) - target * input (log_input) or input - target * log(input + eps); full: + [target > 1] (target log target - target + 0.5 log(2 pi target))";
    public override string Reference => "torch.nn.functional.poisson_nll_loss";
    public override string Function => "Losses.poisson_nll_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Bool("log_input", true, "input is the log of the rate (else the rate)"),
        ParamSpec.Bool("full", false, "add Stirling's approximation of log(target!) where target > 1"),
        ParamSpec.Float("eps", 1e-8, "added to the rate inside the log when log_input is false", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) log-rates or rates"),
        InputSpec.Data("target", "(*) counts, the shape of input"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.poisson_nll_loss(x.Required("input"), x.Required("target"), p.Bool("log_input"), p.Bool("full"), p.Float("eps"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Tensor Counts(Generator g, long[] shape) => torch.randint(0, 7, shape, dtype: ScalarType.Float64, generator: g);
        yield return GradcheckCase.Of("(6,3) log-rate mean", g => new() { ["input"] = Sample.Normal(g, [6, 3]), ["target"] = Counts(g, [6, 3]) });
        yield return GradcheckCase.Of("(4,2,3) log-rate full sum", g => new() { ["input"] = Sample.Normal(g, [4, 2, 3]), ["target"] = Counts(g, [4, 2, 3]) }, ("full", "true"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(5,2) rate none", g => new() { ["input"] = Sample.Uniform(g, [5, 2], 0.3, 4), ["target"] = Counts(g, [5, 2]) }, ("log_input", "false"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) rate full eps=0.01", g => new() { ["input"] = Sample.Uniform(g, [1, 4], 0.3, 4), ["target"] = Counts(g, [1, 4]) }, ("log_input", "false"), ("full", "true"), ("eps", "0.01"));
    }
}
