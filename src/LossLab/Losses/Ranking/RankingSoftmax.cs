using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Listwise softmax cross entropy with graded relevance (TF-Ranking's <c>SoftmaxLoss</c>; ListNet's top-one form,
    /// Cao et al. 2007): per list <c>-sum_i y_i log softmax(s)_i</c>, the softmax taken over the list's valid items.
    /// </summary>
    /// <remarks>
    /// <para>Use it for learning to rank from lists of items with graded (or binary, or click) labels: it is a strong,
    /// simple default listwise loss, and with one relevant item per list it is the sampled-softmax retrieval loss.</para>
    /// <para>As TF-Ranking: items with a negative label, or a false <paramref name="mask"/>, are padding and leave the
    /// softmax (here exactly, not through a tiny logit); scores are divided by <paramref name="temperature"/>; each list's
    /// loss is the cross entropy with the normalised labels times the label sum, i.e. <c>-sum_i y_i log p_i</c>, so a list
    /// without relevant items costs 0; mean divides the sum over lists by the number of lists with a positive label sum
    /// (TF-Ranking's <c>SUM_BY_NONZERO_WEIGHTS</c>), 0 if there is none. Computed with <c>log_softmax</c>, finite for
    /// scores of any size.</para>
    /// <code>
    /// var loss = Losses.ranking_softmax_loss(scores, relevance);          // (queries, documents)
    /// </code>
    /// </remarks>
    /// <param name="scores">Scores (N lists, L items), floating.</param>
    /// <param name="labels">Graded relevance (N, L), real; negative values mark padding.</param>
    /// <param name="mask">Optional validity (N, L), bool or 0/1.</param>
    /// <param name="temperature">Scores are divided by it, &gt; 0.</param>
    /// <param name="reduction">none: per-list losses (N); mean over lists with relevant items; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes or devices.</exception>
    public static Tensor ranking_softmax_loss(Tensor scores, Tensor labels, Tensor? mask = null, double temperature = 1.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "ranking_softmax_loss";
        PairwiseRanking.Validate(name, scores, labels, mask, temperature, 0, reduction);

        using var scope = NewDisposeScope();
        var valid = PairwiseRanking.Valid(labels, mask);
        var s = temperature == 1.0 ? scores : scores / temperature;
        var y = torch.where(valid, labels.to_type(scores.dtype), torch.zeros_like(scores));
        // Padding leaves the softmax; a list with no valid item gets a finite stand-in row (its labels are all 0).
        var masked = torch.where(valid, s, torch.full_like(s, double.NegativeInfinity));
        masked = torch.where(valid.any(1, keepdim: true), masked, torch.zeros_like(s));
        var logp = nn.functional.log_softmax(masked, 1);
        var loss = -torch.where(valid, y * logp, torch.zeros_like(s)).sum(1);
        Tensor result = reduction switch
        {
            Reduction.None => loss,
            Reduction.Sum => loss.sum(),
            _ => PairMath.SafeMean(loss.sum(), y.sum(1).gt(0).sum()),
        };
        return result.MoveToOuterDisposeScope();
    }
}

/// <summary>The listwise softmax ranking loss as a module <c>forward(scores, labels)</c>; see <see cref="Losses.ranking_softmax_loss"/>.</summary>
public sealed class RankingSoftmaxLoss : ListRankingLoss
{
    /// <summary>Creates the module; the arguments are those of <see cref="Losses.ranking_softmax_loss"/>.</summary>
    public RankingSoftmaxLoss(double temperature = 1.0, Reduction reduction = Reduction.Mean) : base(nameof(RankingSoftmaxLoss), temperature, 0, reduction)
    {
    }

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor scores, Tensor labels, Tensor? mask) => Losses.ranking_softmax_loss(scores, labels, mask, Temperature, Reduction);
}

internal sealed class RankingSoftmaxDefinition : LossDefinition
{
    public override string Name => "ranking_softmax";
    public override string Family => "ranking";
    public override string Summary => "Listwise softmax cross entropy with graded relevance labels (TF-Ranking SoftmaxLoss, ListNet top-one).";
    public override string Math => "l_list = -sum_{i valid} y_i log softmax_{valid}(s / temperature)_i;  mean: / number of lists with sum y > 0";
    public override string Reference => "Cao et al. 2007, Learning to Rank: From Pairwise Approach to Listwise Approach (ListNet); Bruch et al. 2019; TF-Ranking SoftmaxLoss";
    public override string Function => "Losses.ranking_softmax_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("temperature", 1.0, "scores are divided by it", min: 0, minExclusive: true),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } = RankingSamples.Inputs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.ranking_softmax_loss(x.Required("scores"), x.Required("labels"), x.Optional("mask"), p.Float("temperature"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(4,5) mean", g => RankingSamples.Lists(g, 4, 5));
        yield return GradcheckCase.Of("(3,6) masked t=0.5 sum", g => RankingSamples.Lists(g, 3, 6, masked: true), ("temperature", "0.5"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(5,4) none", g => RankingSamples.Lists(g, 5, 4), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,3)", g => RankingSamples.Lists(g, 1, 3));
    }
}
