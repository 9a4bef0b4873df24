using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>The kernel of <see cref="Losses.dpp_diversity"/>.</summary>
public enum DppKernel
{
    /// <summary>Squared-exponential <c>exp(-||b_i - b_j||^2 / (2 l^2))</c> on behaviour descriptors (DvD's choice).</summary>
    Rbf,
    /// <summary>Cosine similarity of behaviour descriptors (a linear kernel on unit-normalised descriptors).</summary>
    Cosine,
    /// <summary>The input is the kernel matrix itself, (N, N) (symmetrised as (K + K^T) / 2).</summary>
    Precomputed,
}

public static partial class Losses
{
    /// <summary>
    /// Determinantal diversity of a population: <c>log det(K + jitter I)</c> of the kernel matrix of its behaviour
    /// descriptors (the log-volume they span; Parker-Holder et al. 2020, DvD), computed through a Cholesky factor
    /// <c>K + jitter I = L L^T</c> as <c>2 sum_i log L_ii</c> (to maximise).
    /// </summary>
    /// <remarks>
    /// Unlike the mean pairwise distance, the determinant is ~0 as soon as two members coincide or the members lie in
    /// a lower-dimensional set, so maximising it spreads the whole population (a DPP's likelihood). jitter keeps
    /// the matrix positive definite for duplicate members; a matrix that is still not positive definite raises an
    /// error saying so. A precomputed kernel is symmetrised first so the value (and its gradient) is defined for every
    /// entry. Batched inputs (G, N, D) or (G, N, N) give one value per population. Use it as DvD's diversity term,
    /// <c>task_loss - lambda * dpp_diversity(...)</c>.
    /// <code>
    /// var div = Losses.dpp_diversity(descriptors, DppKernel.Rbf, lengthscale: 1.0);
    /// </code>
    /// </remarks>
    /// <param name="input">Behaviour descriptors (N, D) or (G, N, D); with kernel precomputed, kernel matrices (N, N) or (G, N, N).</param>
    /// <param name="kernel">rbf, cosine or precomputed.</param>
    /// <param name="lengthscale">The RBF lengthscale l, &gt; 0.</param>
    /// <param name="jitter">Added to the diagonal, &gt;= 0.</param>
    /// <param name="reduction">none: one value per population; mean; sum.</param>
    /// <returns>A scalar, or (G) for batched inputs with reduction none.</returns>
    public static Tensor dpp_diversity(Tensor input, DppKernel kernel = DppKernel.Rbf, double lengthscale = 1.0, double jitter = 1e-6, Reduction reduction = Reduction.Mean)
    {
        const string name = "dpp_diversity";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2, 3);
        if (!Enum.IsDefined(kernel)) throw new ArgumentOutOfRangeException(nameof(kernel), kernel, $"{name}: unknown kernel");
        if (kernel == DppKernel.Precomputed && input.shape[^1] != input.shape[^2])
            throw new ArgumentException($"{name}: with kernel precomputed, 'input' must be square kernel matrices (N, N), got {Check.Shape(input)}", nameof(input));
        if (input.shape[^2] == 0) throw new ArgumentException($"{name}: 'input' holds no population members (shape {Check.Shape(input)})", nameof(input));
        Check.Param(lengthscale > 0 && double.IsFinite(lengthscale), name, nameof(lengthscale), "a finite number > 0", lengthscale);
        Check.Param(jitter >= 0 && double.IsFinite(jitter), name, nameof(jitter), "a finite number >= 0", jitter);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var k = kernel switch
        {
            DppKernel.Precomputed => (input + input.transpose(-1, -2)) * 0.5,
            DppKernel.Cosine => PopulationOps.CosineKernel(input),
            _ => (torch.cdist(input, input, 2.0, compute_mode.donot_use_mm_for_euclid_dist).square() / (-2 * lengthscale * lengthscale)).exp(),
        };
        long n = k.shape[^1];
        if (jitter != 0) k = k + torch.eye(n, dtype: k.dtype, device: k.device) * jitter;
        var (l, info) = torch.linalg.cholesky_ex(k);
        if (info.ne(0).any().item<bool>())
            throw new ArgumentException($"{name}: the kernel matrix plus jitter ({jitter}) is not positive definite; raise 'jitter' or check the kernel", nameof(jitter));
        var logdet = torch.linalg.diagonal(l, 0, -2, -1).log().sum(-1) * 2;
        return Reduce.Apply(logdet, reduction, name).MoveToOuterDisposeScope();
    }
}

internal static partial class PopulationOps
{
    /// <summary>Cosine-similarity kernel of the rows (zero rows stay finite).</summary>
    public static Tensor CosineKernel(Tensor x)
    {
        var unit = torch.nn.functional.normalize(x, p: 2, dim: -1, eps: 1e-12);
        return torch.matmul(unit, unit.transpose(-1, -2));
    }
}

/// <summary>Determinantal diversity as a module; see <see cref="Losses.dpp_diversity"/>.</summary>
public sealed class DppDiversityLoss : nn.Module<Tensor, Tensor>
{
    private readonly DppKernel kernel;
    private readonly double lengthscale;
    private readonly double jitter;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.dpp_diversity"/>.</summary>
    /// <param name="kernel">The kernel.</param>
    /// <param name="lengthscale">The RBF lengthscale.</param>
    /// <param name="jitter">Added to the diagonal.</param>
    /// <param name="reduction">The reduction.</param>
    public DppDiversityLoss(DppKernel kernel = DppKernel.Rbf, double lengthscale = 1.0, double jitter = 1e-6, Reduction reduction = Reduction.Mean) : base(nameof(DppDiversityLoss))
    {
        Check.Param(lengthscale > 0 && double.IsFinite(lengthscale), nameof(DppDiversityLoss), nameof(lengthscale), "a finite number > 0", lengthscale);
        Check.Param(jitter >= 0 && double.IsFinite(jitter), nameof(DppDiversityLoss), nameof(jitter), "a finite number >= 0", jitter);
        this.kernel = kernel;
        this.lengthscale = lengthscale;
        this.jitter = jitter;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => Losses.dpp_diversity(input, kernel, lengthscale, jitter, reduction);
}

internal sealed class DppDiversityDefinition : LossDefinition
{
    public override string Name => "dpp_diversity";
    public override string Family => "population";
    public override string Summary => "Log-determinant of the population's behaviour kernel matrix (DvD / DPP diversity, to maximise), via Cholesky with jitter.";
    public override string Math => "log det(K + jitter I) = 2 sum_i log L_ii, L L^T = K + jitter I; K_ij = exp(-||b_i - b_j||^2 / (2 l^2)) (rbf), cos(b_i, b_j) (cosine) or given";
    public override string Reference => "Parker-Holder et al. 2020, Effective Diversity in Population Based Reinforcement Learning (DvD); Kulesza & Taskar 2012 (DPPs)";
    public override string Function => "Losses.dpp_diversity";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("kernel", "rbf", "kernel on behaviour descriptors, or the input is the kernel matrix", "rbf", "cosine", "precomputed"),
        ParamSpec.Float("lengthscale", 1.0, "RBF lengthscale", min: 0, minExclusive: true),
        ParamSpec.Float("jitter", 1e-6, "added to the diagonal before the Cholesky factorisation", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.Grad("input", "(N, D) or (G, N, D) behaviour descriptors; (N, N) or (G, N, N) kernel matrices with kernel=precomputed")];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.dpp_diversity(x.Required("input"), p.Choice("kernel") switch { "cosine" => DppKernel.Cosine, "precomputed" => DppKernel.Precomputed, _ => DppKernel.Rbf },
            p.Float("lengthscale"), p.Float("jitter"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(4,3) rbf", g => new() { ["input"] = Sample.Normal(g, [4, 3]) });
        yield return GradcheckCase.Of("(2,5,2) rbf l=2 batched none", g => new() { ["input"] = Sample.Normal(g, [2, 5, 2], 2) }, ("lengthscale", "2"), ("reduction", "none"));
        yield return GradcheckCase.Of("(3,4) cosine", g => new() { ["input"] = Sample.Normal(g, [3, 4]) }, ("jitter", "1e-3"));
        yield return GradcheckCase.Of("(4,4) precomputed sum", g => new()
        {
            // a well-conditioned SPD matrix: X X^T / D + I/2
            ["input"] = Spd(g, 4),
        }, ("kernel", "precomputed"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,2) single member", g => new() { ["input"] = Sample.Normal(g, [1, 2]) }, ("jitter", "0"));
    }

    private static Tensor Spd(Generator g, long n)
    {
        var x = Sample.Normal(g, [n, n]);
        return torch.matmul(x, x.t()) / n + torch.eye(n, dtype: ScalarType.Float64) * 0.5;
    }
}
