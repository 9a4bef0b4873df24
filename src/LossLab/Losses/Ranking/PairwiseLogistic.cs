using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Pairwise logistic ranking loss (RankNet, Burges et al. 2005; TF-Ranking's <c>PairwiseLogisticLoss</c>): over the
    /// pairs (i, j) of one list with <c>label_i &gt; label_j</c>, <c>log(1 + exp(-(s_i - s_j)))</c>, the cross entropy of
    /// the modelled probability <c>sigmoid(s_i - s_j)</c> that i ranks above j.
    /// </summary>
    /// <remarks>
    /// <para>Use it for learning to rank with graded labels when every mis-ordered (and every barely ordered) pair should
    /// keep pushing: the gradient never vanishes, unlike the hinge. It is the base of LambdaRank/LambdaMART.</para>
    /// <para>Computed as <c>logaddexp(0, -(s_i - s_j))</c>: exact and finite for score gaps of any size. Padding (negative
    /// labels, false <paramref name="mask"/>), <paramref name="temperature"/>, reductions and chunking are those of
    /// <see cref="pairwise_hinge_loss"/>. It equals <see cref="soft_pairwise_loss"/> with margin 0 and beta 1.</para>
    /// <code>
    /// var loss = Losses.pairwise_logistic_loss(scores, relevance);
    /// </code>
    /// </remarks>
    /// <param name="scores">Scores (N lists, L items), floating.</param>
    /// <param name="labels">Graded relevance (N, L), real; negative values mark padding.</param>
    /// <param name="mask">Optional validity (N, L), bool or 0/1.</param>
    /// <param name="temperature">Scores are divided by it, &gt; 0.</param>
    /// <param name="chunk_size">Lists per pair block (0: all at once).</param>
    /// <param name="reduction">none: per-list mean over its pairs (N); mean: over all pairs of the batch; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes or devices.</exception>
    public static Tensor pairwise_logistic_loss(Tensor scores, Tensor labels, Tensor? mask = null, double temperature = 1.0, long chunk_size = 0, Reduction reduction = Reduction.Mean)
    {
        const string name = "pairwise_logistic_loss";
        PairwiseRanking.Validate(name, scores, labels, mask, temperature, chunk_size, reduction);
        using var scope = NewDisposeScope();
        return PairwiseRanking.Loss(scores, labels, mask, d => PairMath.Softplus(-d), temperature, chunk_size, reduction).MoveToOuterDisposeScope();
    }
}

/// <summary>The pairwise logistic (RankNet) loss as a module <c>forward(scores, labels)</c>; see <see cref="Losses.pairwise_logistic_loss"/>.</summary>
public sealed class PairwiseLogisticLoss : ListRankingLoss
{
    /// <summary>Creates the module; the arguments are those of <see cref="Losses.pairwise_logistic_loss"/>.</summary>
    public PairwiseLogisticLoss(double temperature = 1.0, long chunk_size = 0, Reduction reduction = Reduction.Mean)
        : base(nameof(PairwiseLogisticLoss), temperature, chunk_size, reduction)
    {
    }

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor scores, Tensor labels, Tensor? mask) => Losses.pairwise_logistic_loss(scores, labels, mask, Temperature, ChunkSize, Reduction);
}

internal sealed class PairwiseLogisticDefinition : LossDefinition
{
    public override string Name => "pairwise_logistic";
    public override string Family => "ranking";
    public override string Summary => "RankNet's pairwise logistic loss over the pairs of a list with label_i > label_j (TF-Ranking PairwiseLogisticLoss).";
    public override string Math => "sum_{i,j valid, y_i > y_j} log(1 + exp(-(s_i - s_j)/temperature));  mean: / number of pairs";
    public override string Reference => "Burges et al. 2005, Learning to Rank using Gradient Descent (RankNet); TF-Ranking PairwiseLogisticLoss";
    public override string Function => "Losses.pairwise_logistic_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("temperature", 1.0, "scores are divided by it", min: 0, minExclusive: true),
        ParamSpec.Int("chunk_size", 0, "lists per pair block; 0: all at once", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } = RankingSamples.Inputs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.pairwise_logistic_loss(x.Required("scores"), x.Required("labels"), x.Optional("mask"), p.Float("temperature"), p.Int("chunk_size"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(4,5) mean", g => RankingSamples.Lists(g, 4, 5));
        yield return GradcheckCase.Of("(3,6) masked t=0.5 sum", g => RankingSamples.Lists(g, 3, 6, masked: true), ("temperature", "0.5"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(5,4) chunk=2 none", g => RankingSamples.Lists(g, 5, 4), ("chunk_size", "2"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,3)", g => RankingSamples.Lists(g, 1, 3));
    }
}
