using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The objective of differentiable quality diversity (Fontaine and Nikolaidis 2021, "Differentiable Quality
    /// Diversity", CMA-MEGA / OMG-MEGA): <c>g(theta) = c_0 f(theta) + sum_k c_k m_k(theta)</c>, whose gradient is the
    /// "gradient arborescence" step <c>c_0 grad f + sum_k c_k grad m_k</c> that moves a solution towards higher
    /// objective f and along the measures m (to maximise).
    /// </summary>
    /// <remarks>
    /// In CMA-MEGA the coefficients c are sampled each step (from the CMA-ES search distribution over coefficient
    /// space; OMG-MEGA: c_0 = 1, c_k ~ N(0, sigma_g)), and the branched solutions <c>theta + sum c_i grad_i</c> are
    /// inserted into a <see cref="MapElitesArchive"/>. The coefficients are data (no gradient). The paper normalises
    /// each gradient to unit norm before combining them; that needs the per-function gradients, which
    /// <see cref="dqd_gradient"/> computes from the model's parameters; this function combines values, so the
    /// gradients it induces are unnormalised. Batched: one value per solution.
    /// <code>
    /// var g = Losses.dqd_objective(f, measures, coefficients);        // f (B), measures (B, K), coefficients (K+1)
    /// (-g).backward();
    /// </code>
    /// </remarks>
    /// <param name="objective">Objective values f, (B).</param>
    /// <param name="measures">Measure values m, (B, K).</param>
    /// <param name="coefficients">Coefficients (c_0, c_1..c_K): (K + 1) shared, or (B, K + 1) per solution.</param>
    /// <param name="reduction">none: per-solution values (B); mean; sum.</param>
    /// <returns>A scalar, or (B) for reduction none.</returns>
    public static Tensor dqd_objective(Tensor objective, Tensor measures, Tensor coefficients, Reduction reduction = Reduction.Mean)
    {
        const string name = "dqd_objective";
        Check.Floating(objective, name, nameof(objective));
        Check.Rank(objective, name, nameof(objective), 1);
        Check.Floating(measures, name, nameof(measures));
        Check.Rank(measures, name, nameof(measures), 2);
        Check.SameBatch(objective, nameof(objective), measures, nameof(measures), name);
        Check.Floating(coefficients, name, nameof(coefficients));
        Check.Rank(coefficients, name, nameof(coefficients), 1, 2);
        long b = objective.shape[0], k = measures.shape[1];
        if (coefficients.shape[^1] != k + 1 || (coefficients.dim() == 2 && coefficients.shape[0] != b))
            throw new ArgumentException($"{name}: 'coefficients' must have shape [{k + 1}] or [{b}, {k + 1}] (c_0 for the objective, then one per measure), got {Check.Shape(coefficients)}", nameof(coefficients));
        Check.SameDevice(name, (objective, nameof(objective)), (measures, nameof(measures)), (coefficients, nameof(coefficients)));
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var c = coefficients.to_type(objective.dtype);
        var all = torch.cat(new[] { objective.unsqueeze(1), measures.to_type(objective.dtype) }, 1);   // (B, K + 1)
        var g = (all * c).sum(1);
        return Reduce.Apply(g, reduction, name).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The gradient arborescence step of DQD for one solution: <c>c_0 grad f / ||grad f|| + sum_k c_k grad m_k / ||grad m_k||</c>
    /// with respect to <paramref name="parameters"/> (each norm over all the parameters together), as CMA-MEGA combines
    /// them (Fontaine and Nikolaidis 2021, Algorithm 1); without normalisation, the gradient of <see cref="dqd_objective"/>.
    /// </summary>
    /// <remarks>
    /// <code>
    /// var step = Losses.dqd_gradient(f, m, new[] { theta }, coefficients);     // f scalar, m (K), theta the solution
    /// </code>
    /// </remarks>
    /// <param name="objective">The objective f(theta), a scalar.</param>
    /// <param name="measures">The measures m(theta), (K).</param>
    /// <param name="parameters">The solution's tensors theta (requiring gradients).</param>
    /// <param name="coefficients">(c_0, c_1..c_K), (K + 1).</param>
    /// <param name="normalize">Scale each function's gradient to unit norm first.</param>
    /// <param name="eps">Added to each norm (a zero gradient stays zero).</param>
    /// <returns>One tensor per parameter, the combined gradient (no graph).</returns>
    public static Tensor[] dqd_gradient(Tensor objective, Tensor measures, IReadOnlyList<Tensor> parameters, Tensor coefficients, bool normalize = true, double eps = 1e-12)
    {
        const string name = "dqd_gradient";
        Check.Floating(objective, name, nameof(objective));
        if (objective.numel() != 1) throw new ArgumentException($"{name}: 'objective' must be a scalar, got {Check.Shape(objective)}", nameof(objective));
        Check.Floating(measures, name, nameof(measures));
        Check.Rank(measures, name, nameof(measures), 1);
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count == 0) throw new ArgumentException($"{name}: 'parameters' is empty", nameof(parameters));
        foreach (var t in parameters)
            if (!t.requires_grad) throw new ArgumentException($"{name}: every tensor of 'parameters' must require gradients", nameof(parameters));
        Check.Floating(coefficients, name, nameof(coefficients));
        long k = measures.shape[0];
        if (coefficients.dim() != 1 || coefficients.shape[0] != k + 1)
            throw new ArgumentException($"{name}: 'coefficients' must have shape [{k + 1}], got {Check.Shape(coefficients)}", nameof(coefficients));
        Check.Param(eps >= 0 && double.IsFinite(eps), name, nameof(eps), "a finite number >= 0", eps);

        var c = coefficients.detach().cpu().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        var total = new Tensor[parameters.Count];
        for (int i = 0; i < total.Length; i++) total[i] = torch.zeros_like(parameters[i]);
        for (long f = 0; f <= k; f++)
        {
            using var scope = NewDisposeScope();
            var value = f == 0 ? objective.reshape(new long[0]) : measures[f - 1];
            var grads = torch.autograd.grad(new List<Tensor> { value }, parameters.ToList(), retain_graph: true, allow_unused: true);
            var parts = grads.Select((gr, i) => gr is null || gr.IsInvalid ? torch.zeros_like(parameters[i]) : gr.detach()).ToList();
            double scale = c[f];
            if (normalize)
            {
                double norm = Math.Sqrt(parts.Sum(p => p.to_type(ScalarType.Float64).square().sum().item<double>()));
                scale /= norm + eps;
            }
            for (int i = 0; i < total.Length; i++)
            {
                var next = (total[i] + parts[i] * scale).MoveToOuterDisposeScope();
                total[i].Dispose();
                total[i] = next;
            }
        }
        return total;
    }
}

/// <summary>The DQD objective as a module; see <see cref="Losses.dqd_objective"/>. Inputs: objective, measures, coefficients.</summary>
public sealed class DqdObjectiveLoss : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;

    /// <summary>Creates the module.</summary>
    /// <param name="reduction">The reduction over solutions.</param>
    public DqdObjectiveLoss(Reduction reduction = Reduction.Mean) : base(nameof(DqdObjectiveLoss)) => this.reduction = reduction;

    /// <inheritdoc/>
    public override Tensor forward(Tensor objective, Tensor measures, Tensor coefficients) => Losses.dqd_objective(objective, measures, coefficients, reduction);
}

internal sealed class DqdObjectiveDefinition : LossDefinition
{
    public override string Name => "dqd_objective";
    public override string Family => "population";
    public override string Summary => "Differentiable quality diversity: objective and measures combined with (sampled) coefficients, whose gradient is CMA-MEGA's gradient arborescence step (to maximise).";
    public override string Math => "g = c_0 f + sum_k c_k m_k;  grad g = c_0 grad f + sum_k c_k grad m_k";
    public override string Reference => "Fontaine & Nikolaidis 2021, Differentiable Quality Diversity (NeurIPS; CMA-MEGA, OMG-MEGA)";
    public override string Function => "Losses.dqd_objective";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("objective", "(B) objective values f"),
        InputSpec.Grad("measures", "(B, K) measure values m"),
        InputSpec.Data("coefficients", "(K+1) or (B, K+1) coefficients c_0..c_K"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) => Losses.dqd_objective(x.Required("objective"), x.Required("measures"), x.Required("coefficients"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(5) K=2 shared", g => new() { ["objective"] = Sample.Normal(g, [5]), ["measures"] = Sample.Normal(g, [5, 2]), ["coefficients"] = Sample.Normal(g, [3]) });
        yield return GradcheckCase.Of("(4) K=3 per-solution none", g => new() { ["objective"] = Sample.Normal(g, [4]), ["measures"] = Sample.Normal(g, [4, 3]), ["coefficients"] = Sample.Normal(g, [4, 4]) }, ("reduction", "none"));
        yield return GradcheckCase.Of("(1) K=1 sum", g => new() { ["objective"] = Sample.Normal(g, [1]), ["measures"] = Sample.Normal(g, [1, 1]), ["coefficients"] = Sample.Normal(g, [2]) }, ("reduction", "sum"));
    }
}
