using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The population-conditioned return of NeuPL (Liu et al. 2022, "NeuPL: Neural Population Learning"): the expected
    /// return of each policy i against the mixture sigma_i over opponents, <c>R_i = sum_j sigma_ij R(i, j)</c>, where
    /// <c>R(i, j)</c> is policy i's return against opponent j.
    /// </summary>
    /// <remarks>
    /// NeuPL trains one conditional network for a whole population: policy i best-responds to the meta-strategy
    /// sigma_i (row i of the interaction graph Sigma), and its objective is this mixture return. A single mixture
    /// vector (M) is shared by all policies (PSRO's best response to one meta-strategy). The value is a return, to be
    /// maximised: minimise its negative. Differentiable in the returns (e.g. value estimates) and in the mixtures.
    /// <code>
    /// var objective = Losses.population_conditioned_return(returns, sigma);   // returns R (N, M), sigma (N, M)
    /// var loss = -objective;
    /// </code>
    /// </remarks>
    /// <param name="payoff">Returns R(i, j) of policy i against opponent j, (N, M).</param>
    /// <param name="sigma">Mixtures over the M opponents: (M) shared, or (N, M) one per policy; rows are probability vectors.</param>
    /// <param name="reduction">none: per-policy returns (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor population_conditioned_return(Tensor payoff, Tensor sigma, Reduction reduction = Reduction.Mean)
    {
        const string name = "population_conditioned_return";
        Check.Floating(payoff, name, nameof(payoff));
        Check.Rank(payoff, name, nameof(payoff), 2);
        Check.Floating(sigma, name, nameof(sigma));
        Check.Rank(sigma, name, nameof(sigma), 1, 2);
        long n = payoff.shape[0], m = payoff.shape[1];
        if (sigma.shape[^1] != m || (sigma.dim() == 2 && sigma.shape[0] != n))
            throw new ArgumentException($"{name}: 'sigma' must have shape [{m}] or [{n}, {m}] to match 'payoff' {Check.Shape(payoff)}, got {Check.Shape(sigma)}", nameof(sigma));
        Check.MixedStrategy(sigma, name, nameof(sigma));
        Check.SameDevice(name, (payoff, nameof(payoff)), (sigma, nameof(sigma)));
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var perPolicy = (payoff * sigma.to_type(payoff.dtype)).sum(1);
        return Reduce.Apply(perPolicy, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The population-conditioned return as a module; see <see cref="Losses.population_conditioned_return"/>.</summary>
public sealed class PopulationConditionedReturnLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;

    /// <summary>Creates the module.</summary>
    /// <param name="reduction">The reduction over policies.</param>
    public PopulationConditionedReturnLoss(Reduction reduction = Reduction.Mean) : base(nameof(PopulationConditionedReturnLoss)) => this.reduction = reduction;

    /// <inheritdoc/>
    public override Tensor forward(Tensor payoff, Tensor sigma) => Losses.population_conditioned_return(payoff, sigma, reduction);
}

internal sealed class PopulationConditionedReturnDefinition : LossDefinition
{
    public override string Name => "population_conditioned_return";
    public override string Family => "population";
    public override string Summary => "NeuPL's population-conditioned return: each policy's expected return against its mixture over opponents (to maximise).";
    public override string Math => "R_i = sum_j sigma_ij R(i, j)";
    public override string Reference => "Liu et al. 2022, NeuPL: Neural Population Learning (ICLR)";
    public override string Function => "Losses.population_conditioned_return";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("payoff", "(N, M) return of policy i against opponent j"),
        InputSpec.Grad("sigma", "(M) or (N, M) mixtures over opponents"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) => Losses.population_conditioned_return(x.Required("payoff"), x.Required("sigma"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(4,4) per-policy mixtures", g => new() { ["payoff"] = Sample.Normal(g, [4, 4]), ["sigma"] = Sample.Simplex(g, 4, 4) });
        yield return GradcheckCase.Of("(3,5) shared mixture none", g => new() { ["payoff"] = Sample.Normal(g, [3, 5]), ["sigma"] = Sample.Simplex(g, 1, 5).squeeze(0) }, ("reduction", "none"));
        yield return GradcheckCase.Of("(1,3) sum", g => new() { ["payoff"] = Sample.Normal(g, [1, 3]), ["sigma"] = Sample.Simplex(g, 1, 3) }, ("reduction", "sum"));
    }
}
