using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>How well one score separates in-distribution from out-of-distribution samples.</summary>
public sealed record OodDetectionResult
{
    /// <summary>The score's name (e.g. <c>msp</c>, <c>energy</c>).</summary>
    public required string Score { get; init; }
    /// <summary>Area under the ROC curve with in-distribution as positive (the same with OOD as positive and the score negated).</summary>
    public required double Auroc { get; init; }
    /// <summary>Average precision with in-distribution as positive.</summary>
    public required double AuprIn { get; init; }
    /// <summary>Average precision with out-of-distribution as positive and the score negated.</summary>
    public required double AuprOut { get; init; }
    /// <summary>The fraction of OOD samples kept when 95% of in-distribution samples are kept.</summary>
    public required double FprAt95Tpr { get; init; }
    /// <summary>The ROC curve, in-distribution positive.</summary>
    public required RocCurve Roc { get; init; }
}

/// <summary>
/// Out-of-distribution detection metrics from the scores of in-distribution and out-of-distribution samples. Every
/// score must follow the convention <b>higher = more in-distribution</b> (as the <see cref="OodScore"/> scores do);
/// in-distribution samples are the positives unless a metric says otherwise.
/// </summary>
public static class OodDetection
{
    /// <summary>
    /// AUROC of separating in-distribution (positive) from OOD (negative) samples: the probability that a random
    /// in-distribution sample scores above a random OOD one, ties counted half. See <see cref="Metrics.auroc(Tensor, Tensor)"/>.
    /// </summary>
    /// <remarks>
    /// Symmetric: AUROC with OOD as positive and the scores negated is the same number.
    /// <code>
    /// double auc = OodDetection.auroc(Metrics.msp_score(idLogits), Metrics.msp_score(oodLogits));
    /// </code>
    /// </remarks>
    /// <param name="in_scores">Scores of in-distribution samples, shape (N_in), real, at least one.</param>
    /// <param name="out_scores">Scores of OOD samples, shape (N_out), real, at least one.</param>
    /// <returns>AUROC in [0, 1].</returns>
    /// <exception cref="ArgumentException">Not 1-D real tensors, empty, NaN, or on different devices.</exception>
    public static double auroc(Tensor in_scores, Tensor out_scores) => Pooled("auroc", in_scores, out_scores, Metrics.auroc, oodPositive: false);

    /// <summary>
    /// AUPR-In: the average precision of detecting in-distribution samples (positive) with the scores as they are.
    /// See <see cref="Metrics.aupr(Tensor, Tensor)"/>.
    /// </summary>
    /// <remarks>
    /// <code>
    /// double ap = OodDetection.aupr_in(idScores, oodScores);
    /// </code>
    /// </remarks>
    /// <param name="in_scores">Scores of in-distribution samples, shape (N_in), real, at least one.</param>
    /// <param name="out_scores">Scores of OOD samples, shape (N_out), real, at least one.</param>
    /// <returns>Average precision in (0, 1].</returns>
    /// <exception cref="ArgumentException">Not 1-D real tensors, empty, NaN, or on different devices.</exception>
    public static double aupr_in(Tensor in_scores, Tensor out_scores) => Pooled("aupr_in", in_scores, out_scores, Metrics.aupr, oodPositive: false);

    /// <summary>
    /// AUPR-Out: the average precision of detecting OOD samples (positive) with the scores negated (so that higher =
    /// more OOD). See <see cref="Metrics.aupr(Tensor, Tensor)"/>.
    /// </summary>
    /// <remarks>
    /// <code>
    /// double ap = OodDetection.aupr_out(idScores, oodScores);
    /// </code>
    /// </remarks>
    /// <param name="in_scores">Scores of in-distribution samples, shape (N_in), real, at least one.</param>
    /// <param name="out_scores">Scores of OOD samples, shape (N_out), real, at least one.</param>
    /// <returns>Average precision in (0, 1].</returns>
    /// <exception cref="ArgumentException">Not 1-D real tensors, empty, NaN, or on different devices.</exception>
    public static double aupr_out(Tensor in_scores, Tensor out_scores) => Pooled("aupr_out", in_scores, out_scores, Metrics.aupr, oodPositive: true);

    /// <summary>
    /// FPR at 95% TPR with in-distribution positive (Liu et al. 2020's FPR95): the fraction of OOD samples whose score
    /// is at or above the highest threshold that keeps at least 95% of the in-distribution samples. See
    /// <see cref="Metrics.fpr_at_95_tpr(Tensor, Tensor, double, bool)"/>.
    /// </summary>
    /// <remarks>
    /// <code>
    /// double fpr95 = OodDetection.fpr_at_95_tpr(idScores, oodScores);
    /// </code>
    /// </remarks>
    /// <param name="in_scores">Scores of in-distribution samples, shape (N_in), real, at least one.</param>
    /// <param name="out_scores">Scores of OOD samples, shape (N_out), real, at least one.</param>
    /// <returns>A rate in [0, 1]; lower is better.</returns>
    /// <exception cref="ArgumentException">Not 1-D real tensors, empty, NaN, or on different devices.</exception>
    public static double fpr_at_95_tpr(Tensor in_scores, Tensor out_scores) =>
        Pooled("fpr_at_95_tpr", in_scores, out_scores, (s, l) => Metrics.fpr_at_95_tpr(s, l), oodPositive: false);

    /// <summary>
    /// The ROC curve of in-distribution (positive) against OOD samples; see <see cref="Metrics.roc_curve(Tensor, Tensor, bool)"/>.
    /// </summary>
    /// <remarks>
    /// <code>
    /// var roc = OodDetection.roc_curve(idScores, oodScores);
    /// </code>
    /// </remarks>
    /// <param name="in_scores">Scores of in-distribution samples, shape (N_in), real, at least one.</param>
    /// <param name="out_scores">Scores of OOD samples, shape (N_out), real, at least one.</param>
    /// <returns>fpr (OOD kept), tpr (in-distribution kept) and thresholds.</returns>
    /// <exception cref="ArgumentException">Not 1-D real tensors, empty, NaN, or on different devices.</exception>
    public static RocCurve roc_curve(Tensor in_scores, Tensor out_scores)
    {
        using var scope = NewDisposeScope();
        var (s, l) = Pool("roc_curve", in_scores, out_scores, oodPositive: false);
        return Metrics.roc_curve(s, l);
    }

    /// <summary>
    /// All four metrics and the ROC curve of one score from the logits of in-distribution and OOD samples.
    /// </summary>
    /// <remarks>
    /// <code>
    /// var r = OodDetection.Evaluate(idLogits, oodLogits, OodScore.Energy);
    /// </code>
    /// </remarks>
    /// <param name="in_logits">Logits of in-distribution samples, shape (N_in, C), finite.</param>
    /// <param name="out_logits">Logits of OOD samples, shape (N_out, C), finite.</param>
    /// <param name="score">Which score to compute from the logits.</param>
    /// <param name="temperature">The energy score's temperature.</param>
    /// <returns>The metrics of that score.</returns>
    /// <exception cref="ArgumentException">Bad logits or class counts that differ.</exception>
    public static OodDetectionResult Evaluate(Tensor in_logits, Tensor out_logits, OodScore score, double temperature = 1.0)
    {
        Check.FiniteLogits(in_logits, "OodDetection.Evaluate", nameof(in_logits));
        Check.FiniteLogits(out_logits, "OodDetection.Evaluate", nameof(out_logits));
        if (in_logits.shape[1] != out_logits.shape[1])
            throw new ArgumentException($"OodDetection.Evaluate: 'out_logits' has {out_logits.shape[1]} classes but 'in_logits' has {in_logits.shape[1]}", nameof(out_logits));
        using var scope = NewDisposeScope();
        var si = Metrics.ood_score(in_logits, score, temperature);
        var so = Metrics.ood_score(out_logits, score, temperature);
        return Evaluate(ScoreName(score), si, so);
    }

    /// <summary>All four metrics and the ROC curve of one score given as in-distribution and OOD score vectors.</summary>
    /// <remarks>
    /// <code>
    /// var r = OodDetection.Evaluate("msp", idScores, oodScores);
    /// </code>
    /// </remarks>
    /// <param name="name">The score's name, recorded in the result.</param>
    /// <param name="in_scores">Scores of in-distribution samples, shape (N_in), real.</param>
    /// <param name="out_scores">Scores of OOD samples, shape (N_out), real.</param>
    /// <returns>The metrics of that score.</returns>
    /// <exception cref="ArgumentException">Not 1-D real tensors, empty, NaN, or on different devices.</exception>
    public static OodDetectionResult Evaluate(string name, Tensor in_scores, Tensor out_scores)
    {
        ArgumentNullException.ThrowIfNull(name);
        using var scope = NewDisposeScope();
        var (s, l) = Pool("OodDetection.Evaluate", in_scores, out_scores, oodPositive: false);
        var (sOut, lOut) = (s.neg(), l.logical_not());
        return new OodDetectionResult
        {
            Score = name,
            Auroc = Metrics.auroc(s, l).item<double>(),
            AuprIn = Metrics.aupr(s, l).item<double>(),
            AuprOut = Metrics.aupr(sOut, lOut).item<double>(),
            FprAt95Tpr = Metrics.fpr_at_95_tpr(s, l).item<double>(),
            Roc = Metrics.roc_curve(s, l),
        };
    }

    /// <summary>The short name of a score as reports and JSON use it: msp, max_logit, neg_entropy, energy.</summary>
    /// <param name="score">The score.</param>
    public static string ScoreName(OodScore score) => score switch
    {
        OodScore.MaxSoftmax => "msp",
        OodScore.MaxLogit => "max_logit",
        OodScore.NegativeEntropy => "neg_entropy",
        OodScore.Energy => "energy",
        _ => throw new ArgumentOutOfRangeException(nameof(score), score, "unknown OOD score"),
    };

    private static double Pooled(string owner, Tensor inScores, Tensor outScores, Func<Tensor, Tensor, Tensor> metric, bool oodPositive)
    {
        using var scope = NewDisposeScope();
        var (s, l) = Pool(owner, inScores, outScores, oodPositive);
        return metric(s, l).item<double>();
    }

    /// <summary>
    /// The scores of both sets in one vector (float64) with bool labels: in-distribution true, or with
    /// <paramref name="oodPositive"/> OOD true and the scores negated.
    /// </summary>
    private static (Tensor scores, Tensor labels) Pool(string owner, Tensor inScores, Tensor outScores, bool oodPositive)
    {
        foreach (var (t, arg) in new[] { (inScores, "in_scores"), (outScores, "out_scores") })
        {
            Check.NotNull(t, owner, arg);
            if (t.dtype == ScalarType.Bool || t.dtype.IsComplex())
                throw new ArgumentException($"{owner}: '{arg}' must be a real tensor, got {t.dtype}", arg);
            Check.Rank(t, owner, arg, 1);
            Check.HasSamples(t, owner, arg);
            Check.NaNFree(t, owner, arg);
        }
        Check.SameDevice(owner, (inScores, "in_scores"), (outScores, "out_scores"));
        var s = torch.cat(new[] { inScores.detach().to_type(ScalarType.Float64), outScores.detach().to_type(ScalarType.Float64) });
        var l = torch.cat(new[]
        {
            torch.ones(inScores.shape[0], dtype: ScalarType.Bool, device: s.device),
            torch.zeros(outScores.shape[0], dtype: ScalarType.Bool, device: s.device),
        });
        return oodPositive ? (s.neg(), l.logical_not()) : (s, l);
    }
}
