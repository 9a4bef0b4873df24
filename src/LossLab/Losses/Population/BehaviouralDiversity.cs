using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Behavioural diversity of a population: the mean pairwise distance between the members' behaviour descriptors,
    /// <c>D = 2 / (N (N - 1)) * sum_{i &lt; j} ||b_i - b_j||_p</c> (to maximise).
    /// </summary>
    /// <remarks>
    /// The descriptors b_i summarise what each policy does (state visitation, action distributions on probe states,
    /// final positions; Parker-Holder et al. 2020, Eysenbach et al. 2018). Maximising D pushes the population apart.
    /// Reduction none gives each member's mean distance to the others, whose mean is D. The distance gradient at
    /// coincident points is 0 (not NaN). Distances are computed in chunks of <paramref name="chunk_size"/> members, so
    /// that no N x N matrix is needed for large populations (0: one chunk). Use it as a diversity bonus; for a measure
    /// that also rewards spreading in every direction, see <see cref="dpp_diversity"/>.
    /// <code>
    /// var loss = taskLoss - 0.1 * Losses.behavioural_diversity(descriptors);
    /// </code>
    /// </remarks>
    /// <param name="behaviours">Behaviour descriptors, (N, D), N &gt;= 2.</param>
    /// <param name="p">The order of the Minkowski distance, &gt;= 1 (2: Euclidean).</param>
    /// <param name="chunk_size">Members per chunk (0: all at once).</param>
    /// <param name="reduction">none: per-member mean distance (N); mean (the population's D); sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor behavioural_diversity(Tensor behaviours, double p = 2.0, long chunk_size = 0, Reduction reduction = Reduction.Mean)
    {
        const string name = "behavioural_diversity";
        Check.BehaviourPoints(behaviours, name, nameof(behaviours), 2);
        PopulationOps.CheckDistanceOptions(p, chunk_size, name);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        long n = behaviours.shape[0];
        var perMember = PopulationOps.Chunked(behaviours, chunk_size, rows => PopulationOps.Distances(rows, behaviours, p).sum(1)) / (n - 1);
        return Reduce.Apply(perMember, reduction, name).MoveToOuterDisposeScope();
    }
}

internal static partial class PopulationOps
{
    /// <summary>Checks the distance order and the chunk size.</summary>
    public static void CheckDistanceOptions(double p, long chunkSize, string name)
    {
        Check.Param(p >= 1 && !double.IsNaN(p), name, "p", ">= 1 (a norm)", p);
        Check.Param(chunkSize >= 0, name, "chunk_size", ">= 0 (0: no chunking)", chunkSize);
    }

    /// <summary>Minkowski distances between the rows of a (c, D) and b (M, D), (c, M); exact (no matrix-product shortcut),
    /// with a zero gradient at coincident points.</summary>
    public static Tensor Distances(Tensor a, Tensor b, double p) =>
        torch.cdist(a, b.to_type(a.dtype), p, compute_mode.donot_use_mm_for_euclid_dist);

    /// <summary>Applies <paramref name="perRows"/> to chunks of rows of <paramref name="x"/> and concatenates the per-row results.</summary>
    public static Tensor Chunked(Tensor x, long chunkSize, Func<Tensor, Tensor> perRows)
    {
        long n = x.shape[0];
        if (chunkSize <= 0 || chunkSize >= n) return perRows(x);
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += chunkSize)
            parts.Add(perRows(x.narrow(0, start, Math.Min(chunkSize, n - start))));
        return torch.cat(parts, 0);
    }
}

/// <summary>Behavioural diversity as a module; see <see cref="Losses.behavioural_diversity"/>.</summary>
public sealed class BehaviouralDiversityLoss : nn.Module<Tensor, Tensor>
{
    private readonly double p;
    private readonly long chunkSize;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.behavioural_diversity"/>.</summary>
    /// <param name="p">The distance order.</param>
    /// <param name="chunk_size">Members per chunk.</param>
    /// <param name="reduction">The reduction.</param>
    public BehaviouralDiversityLoss(double p = 2.0, long chunk_size = 0, Reduction reduction = Reduction.Mean) : base(nameof(BehaviouralDiversityLoss))
    {
        PopulationOps.CheckDistanceOptions(p, chunk_size, nameof(BehaviouralDiversityLoss));
        this.p = p;
        chunkSize = chunk_size;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor behaviours) => Losses.behavioural_diversity(behaviours, p, chunkSize, reduction);
}

internal sealed class BehaviouralDiversityDefinition : LossDefinition
{
    public override string Name => "behavioural_diversity";
    public override string Family => "population";
    public override string Summary => "Mean pairwise Minkowski distance between behaviour descriptors of a population (to maximise), chunked over members.";
    public override string Math => "D = 2 / (N (N-1)) sum_{i<j} ||b_i - b_j||_p; none: d_i = 1/(N-1) sum_{j != i} ||b_i - b_j||_p";
    public override string Reference => "Parker-Holder et al. 2020, Effective Diversity in Population Based Reinforcement Learning (behavioural embeddings); Lehman & Stanley 2011";
    public override string Function => "Losses.behavioural_diversity";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("p", 2.0, "Minkowski order of the distance", min: 1),
        ParamSpec.Int("chunk_size", 0, "members per chunk (0: all at once)", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.Grad("behaviours", "(N, D) behaviour descriptors, N >= 2")];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.behavioural_diversity(x.Required("behaviours"), p.Float("p"), p.Int("chunk_size"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(5,3) euclidean", g => new() { ["behaviours"] = Sample.Normal(g, [5, 3]) });
        yield return GradcheckCase.Of("(6,2) p=1 chunked none", g => new() { ["behaviours"] = Sample.Normal(g, [6, 2]) }, ("p", "1"), ("chunk_size", "4"), ("reduction", "none"));
        yield return GradcheckCase.Of("(4,4) p=3 sum", g => new() { ["behaviours"] = Sample.Normal(g, [4, 4]) }, ("p", "3"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(2,1) two members", g => new() { ["behaviours"] = Sample.Normal(g, [2, 1]) });
    }
}
