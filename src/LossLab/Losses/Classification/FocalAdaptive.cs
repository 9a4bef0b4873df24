using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Sample-dependent focal loss (FLSD-53 of Mukhoti et al. 2020, "Calibrating Deep Neural Networks using Focal
    /// Loss"): per sample <c>-(1 - p_t)^gamma_i * log p_t</c>, where <c>p_t</c> is the softmax probability of the
    /// target class and <c>gamma_i</c> is chosen from <c>p_t</c>: <paramref name="gamma_low"/> (5) when
    /// <c>p_t &lt; <paramref name="threshold"/></c> (0.2), <paramref name="gamma_high"/> (3) otherwise.
    /// </summary>
    /// <remarks>
    /// <para><b>Why.</b> Focal loss improves calibration by regularising the entropy of the prediction, but a large gamma
    /// shrinks the gradient of badly classified samples. The paper's FLSD-53 keeps gamma = 5 for samples whose target
    /// probability is small (below 0.2), where the gradient of gamma = 3 would be dominated by that of gamma = 5 anyway,
    /// and gamma = 3 elsewhere. Use it where plain focal loss is used for calibration (the "focal" entry).</para>
    /// <para><b>Schedule.</b> <paramref name="schedule"/>, when given, replaces the two-level rule: a list of
    /// (threshold, gamma) pairs with increasing thresholds in (0, 1]; a sample takes the gamma of the first pair whose
    /// threshold exceeds its <c>p_t</c>, and <paramref name="gamma_high"/> when none does. The paper's code writes
    /// FLSD-53 as <c>[(0.2, 5), (0.5, 3)]</c> with gamma_high = 3, which equals the default two-level rule.</para>
    /// <para><b>Gradient.</b> gamma_i is a step function of <c>p_t</c>: it is chosen by comparisons, so no gradient flows
    /// through the choice (as in the paper's code, which reads <c>p_t</c> as a number); exactly at a threshold the
    /// loss jumps.</para>
    /// <para>Computed in log space as <see cref="focal_loss"/>: <c>log p_t</c> from <c>log_softmax</c> and
    /// <c>1 - p_t = -expm1(log p_t)</c>, so logits of magnitude 1e4 in float32 give finite values and gradients. With a
    /// class <paramref name="weight"/>, the mean is <c>sum(w_y l) / sum(w_y)</c> over the samples not ignored. With both
    /// gammas equal to g the loss is <c>focal</c> with gamma g.</para>
    /// <code>
    /// var loss = Losses.focal_adaptive_loss(logits, labels);                               // FLSD-53
    /// var loss2 = Losses.focal_adaptive_loss(logits, labels, schedule: new[] { (0.2, 5.0), (0.5, 4.0) }, gamma_high: 3);
    /// </code>
    /// Reference: Mukhoti, Kulharia, Sanyal, Golodetz, Torr, Dokania 2020, "Calibrating Deep Neural Networks using
    /// Focal Loss" (FLSD-53, their AdaptiveFocalLoss).
    /// </remarks>
    /// <param name="input">Logits, shape (N, C).</param>
    /// <param name="target">Class indices, shape (N), int64.</param>
    /// <param name="gamma_low">The gamma of samples with <c>p_t &lt; threshold</c>, at least 0.</param>
    /// <param name="gamma_high">The gamma of samples with <c>p_t &gt;= threshold</c> (beyond the last schedule threshold), at least 0.</param>
    /// <param name="threshold">The p_t threshold of the two-level rule, in (0, 1].</param>
    /// <param name="schedule">Optional (threshold, gamma) pairs replacing <paramref name="threshold"/> and <paramref name="gamma_low"/> (see remarks).</param>
    /// <param name="weight">Optional per-class weights (alpha), shape (C).</param>
    /// <param name="ignore_index">A target value whose samples are skipped.</param>
    /// <param name="reduction">none: per-sample losses (N); mean (weighted, over the samples kept); sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor focal_adaptive_loss(Tensor input, Tensor target, double gamma_low = 5.0, double gamma_high = 3.0, double threshold = 0.2,
        IReadOnlyList<(double Threshold, double Gamma)>? schedule = null, Tensor? weight = null, long ignore_index = -100, Reduction reduction = Reduction.Mean)
    {
        const string name = "focal_adaptive_loss";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        Check.Rank(target, name, nameof(target), 1);
        Check.SameBatch(input, nameof(input), target, nameof(target), name);
        var steps = FocalSchedule(name, gamma_low, gamma_high, threshold, schedule);
        Reduce.NoBatchMean(reduction, name);
        long c = input.shape[1];
        Check.ClassIndices(target, c, name, nameof(target), ignore_index);
        Check.ClassWeights(weight, c, name, nameof(weight));
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (weight, nameof(weight)));

        using var scope = NewDisposeScope();
        var valid = target.ne(ignore_index);
        var safeTarget = torch.where(valid, target, torch.zeros_like(target));
        var logp = torch.nn.functional.log_softmax(input, 1);
        var logpt = logp.gather(1, safeTarget.unsqueeze(1)).squeeze(1);
        // gamma_i: a step function of p_t, chosen by comparisons (no gradient flows through the choice).
        var gamma = torch.full_like(logpt, gamma_high);
        for (int k = steps.Count - 1; k >= 0; k--)
            gamma = torch.where(logpt.lt(Math.Log(steps[k].Threshold)), torch.full_like(logpt, steps[k].Gamma), gamma);
        var loss = -FocalModulator(-torch.special.expm1(logpt), gamma) * logpt;
        var w = valid.to_type(input.dtype);
        if (weight is not null) w = w * weight.to_type(input.dtype).index_select(0, safeTarget);
        loss = torch.where(valid, loss * w, torch.zeros_like(loss));
        Tensor result = reduction switch
        {
            Reduction.None => loss,
            Reduction.Sum => loss.sum(),
            _ => Reduce.WeightedMean(loss, w),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>q^gamma</c> for <c>q = 1 - p_t</c> in [0, 1] and a per-sample exponent tensor, with a finite gradient where
    /// <c>q</c> underflows to 0 (also for gamma &lt; 1): 0 there (1 where gamma is 0).
    /// </summary>
    internal static Tensor FocalModulator(Tensor q, Tensor gamma)
    {
        q = q.clamp_min(0.0);
        var positive = q.gt(0);
        var safeQ = torch.where(positive, q, torch.ones_like(q));
        var atZero = torch.where(gamma.eq(0), torch.ones_like(q), torch.zeros_like(q));
        return torch.where(positive, safeQ.pow(gamma), atZero);
    }

    /// <summary>Validates the two-level rule or the schedule and returns the (threshold, gamma) steps in increasing order.</summary>
    private static IReadOnlyList<(double Threshold, double Gamma)> FocalSchedule(string name, double gammaLow, double gammaHigh, double threshold, IReadOnlyList<(double Threshold, double Gamma)>? schedule)
    {
        Check.Param(gammaLow >= 0 && double.IsFinite(gammaLow), name, "gamma_low", "a finite number >= 0", gammaLow);
        Check.Param(gammaHigh >= 0 && double.IsFinite(gammaHigh), name, "gamma_high", "a finite number >= 0", gammaHigh);
        Check.Param(threshold > 0 && threshold <= 1, name, nameof(threshold), "in (0, 1]", threshold);
        if (schedule is null) return new[] { (threshold, gammaLow) };
        Check.Param(schedule.Count > 0, name, nameof(schedule), "a non-empty list of (threshold, gamma) pairs", "an empty list");
        double previous = 0;
        foreach (var (t, g) in schedule)
        {
            Check.Param(t > previous && t <= 1, name, nameof(schedule), $"thresholds increasing in (0, 1] (after {previous})", t);
            Check.Param(g >= 0 && double.IsFinite(g), name, nameof(schedule), "gammas that are finite numbers >= 0", g);
            previous = t;
        }
        return schedule;
    }
}

/// <summary>The sample-dependent focal loss (FLSD-53) as a module; see <see cref="Losses.focal_adaptive_loss"/>.</summary>
public sealed class FocalAdaptiveLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double gammaLow;
    private readonly double gammaHigh;
    private readonly double threshold;
    private readonly IReadOnlyList<(double Threshold, double Gamma)>? schedule;
    private readonly Tensor? weight;
    private readonly long ignoreIndex;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.focal_adaptive_loss"/>.</summary>
    public FocalAdaptiveLoss(double gamma_low = 5.0, double gamma_high = 3.0, double threshold = 0.2, IReadOnlyList<(double Threshold, double Gamma)>? schedule = null,
        Tensor? weight = null, long ignore_index = -100, Reduction reduction = Reduction.Mean) : base(nameof(FocalAdaptiveLoss))
    {
        Check.Param(gamma_low >= 0 && double.IsFinite(gamma_low), "FocalAdaptiveLoss", nameof(gamma_low), "a finite number >= 0", gamma_low);
        Check.Param(gamma_high >= 0 && double.IsFinite(gamma_high), "FocalAdaptiveLoss", nameof(gamma_high), "a finite number >= 0", gamma_high);
        Check.Param(threshold > 0 && threshold <= 1, "FocalAdaptiveLoss", nameof(threshold), "in (0, 1]", threshold);
        Reduce.NoBatchMean(reduction, "FocalAdaptiveLoss");
        gammaLow = gamma_low;
        gammaHigh = gamma_high;
        this.threshold = threshold;
        this.schedule = schedule?.ToArray();
        this.weight = weight;
        ignoreIndex = ignore_index;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) =>
        Losses.focal_adaptive_loss(input, target, gammaLow, gammaHigh, threshold, schedule, weight, ignoreIndex, reduction);
}

internal sealed class FocalAdaptiveDefinition : LossDefinition
{
    private const string DefaultSchedule = "0.2;5";

    public override string Name => "focal_adaptive";
    public override string Family => "classification";
    public override string Summary => "Sample-dependent focal loss FLSD-53: gamma 5 where p_t < 0.2, else 3 (Mukhoti et al. 2020).";
    public override string Math => "l_i = -(1 - p_t)^{gamma(p_t)} log p_t, gamma(p_t) = gamma_low if p_t < threshold else gamma_high (or the schedule's first (t, g) with p_t < t); w_y-weighted mean";
    public override string Reference => "Mukhoti et al. 2020, Calibrating Deep Neural Networks using Focal Loss (FLSD-53)";
    public override string Function => "Losses.focal_adaptive_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("gamma_low", 5.0, "gamma where p_t < threshold", min: 0),
        ParamSpec.Float("gamma_high", 3.0, "gamma where p_t >= threshold (beyond the schedule's last threshold)", min: 0),
        ParamSpec.Float("threshold", 0.2, "p_t threshold of the two-level rule", min: 0, max: 1, minExclusive: true),
        ParamSpec.FloatList("schedule", DefaultSchedule, "threshold;gamma pairs, thresholds increasing (replaces threshold and gamma_low when changed)", min: 0),
        ParamSpec.Int("ignore_index", -100, "target value whose samples are skipped"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) logits"),
        InputSpec.Data("target", "(N) class indices"),
        InputSpec.Optional("weight", "(C) per-class weights (alpha)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p)
    {
        var list = p.FloatList("schedule");
        IReadOnlyList<(double, double)>? schedule = null;
        if (string.Join(";", list.Select(ParamSpec.Format)) != DefaultSchedule)
        {
            if (p.Float("threshold") != 0.2 || p.Float("gamma_low") != 5.0)
                throw new ArgumentException("focal_adaptive: give either 'schedule' or 'threshold'/'gamma_low', not both", "schedule");
            if (list.Length % 2 != 0)
                throw new ArgumentException($"focal_adaptive: 'schedule' must hold threshold;gamma pairs, got {list.Length} numbers", "schedule");
            schedule = Enumerable.Range(0, list.Length / 2).Select(i => (list[2 * i], list[2 * i + 1])).ToArray();
        }
        return Losses.focal_adaptive_loss(x.Required("input"), x.Required("target"), p.Float("gamma_low"), p.Float("gamma_high"), p.Float("threshold"),
            schedule, x.Optional("weight"), p.Int("ignore_index"), p.Reduction);
    }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(8,4) FLSD-53 mean", g => new() { ["input"] = Sample.Normal(g, [8, 4], 2), ["target"] = Sample.Labels(g, 8, 4) });
        yield return GradcheckCase.Of("(6,3) gammas 2/0.5 threshold 0.4 none", g => new() { ["input"] = Sample.Normal(g, [6, 3], 2), ["target"] = Sample.Labels(g, 6, 3) },
            ("gamma_low", "2"), ("gamma_high", "0.5"), ("threshold", "0.4"), ("reduction", "none"));
        yield return GradcheckCase.Of("(5,3) weighted, ignore, sum", g => new()
        {
            ["input"] = Sample.Normal(g, [5, 3], 2),
            ["target"] = torch.tensor(new long[] { 0, 2, -100, 1, 2 }),
            ["weight"] = Sample.Uniform(g, [3], 0.5, 2),
        }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(8,5) schedule 0.2;5;0.5;4 gamma_high 1", g => new() { ["input"] = Sample.Normal(g, [8, 5], 2), ["target"] = Sample.Labels(g, 8, 5) },
            ("schedule", "0.2;5;0.5;4"), ("gamma_high", "1"));
        yield return GradcheckCase.Of("(1,4) single sample", g => new() { ["input"] = Sample.Normal(g, [1, 4]), ["target"] = Sample.Labels(g, 1, 4) });
    }
}
