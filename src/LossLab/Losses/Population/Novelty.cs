using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Novelty (Lehman and Stanley 2011, novelty search): the mean distance from each queried behaviour to its k
    /// nearest neighbours in an archive of past behaviours, <c>nov(b) = 1/k sum_{j in kNN(b)} ||b - a_j||_p</c>
    /// (to maximise).
    /// </summary>
    /// <remarks>
    /// The gradient flows to the queried behaviours (through the distances to the selected neighbours; the choice of
    /// neighbours is piecewise constant); the archive is data. A query that coincides with an archive point gets a
    /// zero (not NaN) gradient from that point. When the queries are themselves in the archive, each finds itself at
    /// distance 0 among its neighbours, as in the original algorithm when the population is part of the archive.
    /// Queries are processed in chunks of <paramref name="chunk_size"/> so that the (N, M) distance matrix is never
    /// whole (0: one chunk). Use it as an exploration bonus (NS-ES, Conti et al. 2018) or as the novelty score of QD
    /// algorithms.
    /// <code>
    /// var bonus = Losses.novelty(descriptors, archive, k: 10);
    /// </code>
    /// </remarks>
    /// <param name="behaviours">Queried behaviour descriptors, (N, D).</param>
    /// <param name="archive">Archived behaviour descriptors, (M, D), M &gt;= k.</param>
    /// <param name="k">Number of nearest neighbours, &gt;= 1.</param>
    /// <param name="p">Minkowski order of the distance, &gt;= 1.</param>
    /// <param name="chunk_size">Queries per chunk (0: all at once).</param>
    /// <param name="reduction">none: per-query novelty (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor novelty(Tensor behaviours, Tensor archive, long k = 15, double p = 2.0, long chunk_size = 0, Reduction reduction = Reduction.Mean)
    {
        const string name = "novelty";
        Check.BehaviourPoints(behaviours, name, nameof(behaviours), 1);
        Check.BehaviourPoints(archive, name, nameof(archive), 1);
        if (archive.shape[1] != behaviours.shape[1])
            throw new ArgumentException($"{name}: 'archive' must have the descriptor size D = {behaviours.shape[1]} of 'behaviours', got {Check.Shape(archive)}", nameof(archive));
        Check.Param(k >= 1 && k <= archive.shape[0], name, nameof(k), $"in [1, {archive.shape[0]}] (the archive's size)", k);
        PopulationOps.CheckDistanceOptions(p, chunk_size, name);
        Check.SameDevice(name, (behaviours, nameof(behaviours)), (archive, nameof(archive)));
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var perQuery = PopulationOps.Chunked(behaviours, chunk_size,
            rows => PopulationOps.Distances(rows, archive, p).topk((int)k, dim: 1, largest: false).Item1.mean(new long[] { 1 }));
        return Reduce.Apply(perQuery, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>Novelty as a module over a fixed archive; see <see cref="Losses.novelty"/>.</summary>
public sealed class NoveltyLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly long k;
    private readonly double p;
    private readonly long chunkSize;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.novelty"/>.</summary>
    /// <param name="k">Number of nearest neighbours.</param>
    /// <param name="p">The distance order.</param>
    /// <param name="chunk_size">Queries per chunk.</param>
    /// <param name="reduction">The reduction.</param>
    public NoveltyLoss(long k = 15, double p = 2.0, long chunk_size = 0, Reduction reduction = Reduction.Mean) : base(nameof(NoveltyLoss))
    {
        Check.Param(k >= 1, nameof(NoveltyLoss), nameof(k), ">= 1", k);
        PopulationOps.CheckDistanceOptions(p, chunk_size, nameof(NoveltyLoss));
        this.k = k;
        this.p = p;
        chunkSize = chunk_size;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor behaviours, Tensor archive) => Losses.novelty(behaviours, archive, k, p, chunkSize, reduction);
}

internal sealed class NoveltyDefinition : LossDefinition
{
    public override string Name => "novelty";
    public override string Family => "population";
    public override string Summary => "Novelty search's score: mean distance from each behaviour to its k nearest neighbours in an archive (to maximise), chunked over queries.";
    public override string Math => "nov(b_i) = 1/k sum_{j in kNN(b_i, archive)} ||b_i - a_j||_p";
    public override string Reference => "Lehman & Stanley 2011, Abandoning Objectives: Evolution Through the Search for Novelty Alone; Conti et al. 2018 (NS-ES)";
    public override string Function => "Losses.novelty";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("k", 15, "number of nearest neighbours (at most the archive's size)", min: 1),
        ParamSpec.Float("p", 2.0, "Minkowski order of the distance", min: 1),
        ParamSpec.Int("chunk_size", 0, "queries per chunk (0: all at once)", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("behaviours", "(N, D) queried behaviour descriptors"),
        InputSpec.Data("archive", "(M, D) archived behaviour descriptors"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.novelty(x.Required("behaviours"), x.Required("archive"), p.Int("k"), p.Float("p"), p.Int("chunk_size"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> Make(Generator g, long n, long m, long d) =>
            new() { ["behaviours"] = Sample.Normal(g, [n, d]), ["archive"] = Sample.Normal(g, [m, d], 2) };
        yield return GradcheckCase.Of("(4,3) archive 10 k=3", g => Make(g, 4, 10, 3), ("k", "3"));
        yield return GradcheckCase.Of("(5,2) archive 6 k=2 p=1 chunked none", g => Make(g, 5, 6, 2), ("k", "2"), ("p", "1"), ("chunk_size", "2"), ("reduction", "none"));
        yield return GradcheckCase.Of("(3,4) archive 5 k=5 sum", g => Make(g, 3, 5, 4), ("k", "5"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,2) archive 4 k=1", g => Make(g, 1, 4, 2), ("k", "1"));
    }
}
