using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Multi-class focal loss (Lin et al. 2017, in the softmax form of Mukhoti et al. 2020, "Calibrating Deep Neural
    /// Networks using Focal Loss"): per sample <c>-(1 - p_t)^gamma * log p_t</c>, where <c>p_t</c> is the softmax
    /// probability of the target class.
    /// </summary>
    /// <remarks>
    /// Computed in log space: <c>log p_t</c> from <c>log_softmax</c> and <c>1 - p_t = -expm1(log p_t)</c>, so that logits of
    /// magnitude 1e4 in float32 give finite values and gradients. gamma = 0 is cross-entropy.
    /// With a class <paramref name="weight"/> (alpha per class), the mean is <c>sum(w_y l) / sum(w_y)</c> as PyTorch's
    /// weighted cross-entropy; samples whose target is <paramref name="ignore_index"/> count in neither sum.
    /// <code>
    /// var loss = Losses.focal_loss(logits, labels, gamma: 3.0);
    /// </code>
    /// </remarks>
    /// <param name="input">Logits, shape (N, C).</param>
    /// <param name="target">Class indices, shape (N), int64.</param>
    /// <param name="gamma">The focusing parameter, at least 0.</param>
    /// <param name="weight">Optional per-class weights (alpha), shape (C).</param>
    /// <param name="ignore_index">A target value whose samples are skipped.</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor focal_loss(Tensor input, Tensor target, double gamma = 2.0, Tensor? weight = null, long ignore_index = -100, Reduction reduction = Reduction.Mean)
    {
        const string name = "focal_loss";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        Check.Rank(target, name, nameof(target), 1);
        Check.SameBatch(input, nameof(input), target, nameof(target), name);
        Check.Param(gamma >= 0 && !double.IsNaN(gamma), name, nameof(gamma), ">= 0", gamma);
        Reduce.NoBatchMean(reduction, name);
        long c = input.shape[1];
        Check.ClassIndices(target, c, name, nameof(target), ignore_index);
        if (weight is not null)
        {
            Check.Floating(weight, name, nameof(weight));
            Check.Rank(weight, name, nameof(weight), 1);
            Check.Size(weight, 0, c, name, nameof(weight), "the number of classes");
        }
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (weight, nameof(weight)));
        if (Kernels.FusedFocal.Applies(input, weight))
            return Kernels.FusedFocal.Apply(input, target, gamma, weight, ignore_index, reduction);

        using var scope = NewDisposeScope();
        var valid = target.ne(ignore_index);
        var safeTarget = torch.where(valid, target, torch.zeros_like(target));
        var logp = torch.nn.functional.log_softmax(input, 1);
        var logpt = logp.gather(1, safeTarget.unsqueeze(1)).squeeze(1);
        var q = (-torch.special.expm1(logpt)).clamp_min(0.0);
        Tensor modulator;
        if (gamma == 0) modulator = torch.ones_like(q);
        else
        {
            // (1 - p_t)^gamma with a finite gradient where 1 - p_t underflows to 0 (also for gamma < 1).
            var positive = q.gt(0);
            var safeQ = torch.where(positive, q, torch.ones_like(q));
            modulator = torch.where(positive, safeQ.pow(gamma), torch.zeros_like(q));
        }
        var loss = -modulator * logpt;
        var w = valid.to_type(input.dtype);
        if (weight is not null) w = w * weight.to_type(input.dtype).index_select(0, safeTarget);
        loss = loss * w;
        Tensor result = reduction switch
        {
            Reduction.None => loss,
            Reduction.Sum => loss.sum(),
            _ => Reduce.WeightedMean(loss, w),
        };
        return result.MoveToOuterDisposeScope();
    }
}

/// <summary>The multi-class focal loss as a module; see <see cref="Losses.focal_loss"/>.</summary>
public sealed class FocalLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double gamma;
    private readonly Tensor? weight;
    private readonly long ignoreIndex;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.focal_loss"/>.</summary>
    public FocalLoss(double gamma = 2.0, Tensor? weight = null, long ignore_index = -100, Reduction reduction = Reduction.Mean) : base(nameof(FocalLoss))
    {
        Check.Param(gamma >= 0, "FocalLoss", nameof(gamma), ">= 0", gamma);
        this.gamma = gamma;
        this.weight = weight;
        ignoreIndex = ignore_index;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.focal_loss(input, target, gamma, weight, ignoreIndex, reduction);
}

internal sealed class FocalDefinition : LossDefinition
{
    public override string Name => "focal";
    public override string Family => "classification";
    public override string Summary => "Multi-class focal loss: cross-entropy down-weighted on well-classified samples.";
    public override string Math => "l_i = -(1 - p_{i,y_i})^gamma * log p_{i,y_i},  p = softmax(input)";
    public override string Reference => "Lin et al. 2017, Focal Loss for Dense Object Detection; Mukhoti et al. 2020, Calibrating Deep Neural Networks using Focal Loss";
    public override string Function => "Losses.focal_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("gamma", 2.0, "focusing parameter; 0 gives cross-entropy", min: 0),
        ParamSpec.Int("ignore_index", -100, "target value whose samples are skipped"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) logits"),
        InputSpec.Data("target", "(N) class indices"),
        InputSpec.Optional("weight", "(C) per-class weights (alpha)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.focal_loss(x.Required("input"), x.Required("target"), p.Float("gamma"), x.Optional("weight"), p.Int("ignore_index"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        foreach (var (gamma, red) in new[] { ("0", "mean"), ("0.5", "none"), ("2", "mean"), ("3", "sum") })
            yield return GradcheckCase.Of($"(6,4) gamma={gamma} {red}", g => new() { ["input"] = Sample.Normal(g, [6, 4], 2), ["target"] = Sample.Labels(g, 6, 4) }, ("gamma", gamma), ("reduction", red));
        yield return GradcheckCase.Of("(5,3) weighted, ignore", g => new()
        {
            ["input"] = Sample.Normal(g, [5, 3]),
            ["target"] = torch.tensor(new long[] { 0, 2, -100, 1, 2 }),
            ["weight"] = Sample.Uniform(g, [3], 0.5, 2),
        }, ("gamma", "2"));
        yield return GradcheckCase.Of("(1,7)", g => new() { ["input"] = Sample.Normal(g, [1, 7]), ["target"] = Sample.Labels(g, 1, 7) }, ("gamma", "1"));
    }
}
