using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Random Network Distillation's predictor loss (Burda et al. 2018): per sample, the mean over the features of
    /// <c>(f^(s) - f(s))^2</c>, where f is a fixed, randomly initialised target network (held: the held term
    /// <c>target_features</c>) and f^ the predictor trained to imitate it.
    /// </summary>
    /// <remarks>
    /// The predictor's error is large on states unlike those it was trained on, which makes it an exploration bonus
    /// (<see cref="IntrinsicReward.Rnd"/>). With <paramref name="mask"/> (the reference code's <c>update_proportion</c>, drawn
    /// with <see cref="IntrinsicReward.RndUpdateMask"/>) only the kept samples train the predictor: the mean is
    /// <c>sum(mask * l) / max(sum(mask), 1)</c>, as the reference code computes it, so an all-zero mask gives 0, not NaN.
    /// <code>
    /// var target = targetNet.forward(nextObs);          // never trained
    /// var predicted = predictor.forward(nextObs);
    /// var loss = Losses.rnd_loss(predicted, target, IntrinsicReward.RndUpdateMask(n, 0.25));
    /// </code>
    /// </remarks>
    /// <param name="input">The predictor's features f^(s), (N, F) or (N, ...).</param>
    /// <param name="target">The target network's features f(s), the shape of <paramref name="input"/>; held constant.</param>
    /// <param name="mask">Optional 0/1 (or bool) per-sample mask, (N): which samples train the predictor.</param>
    /// <param name="reduction">none: per-sample losses (N), times the mask; mean over the kept samples; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor rnd_loss(Tensor input, Tensor target, Tensor? mask = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "rnd_loss";
        IntrinsicReward.CheckFeatures(input, target, name, nameof(target), nameof(input));
        Check.HasSamples(input, name, nameof(input));
        if (mask is not null)
        {
            Check.NotNull(mask, name, nameof(mask));
            if (mask.dim() != 1 || mask.shape[0] != input.shape[0])
                throw new ArgumentException($"{name}: 'mask' must hold one 0/1 entry per sample, shape [{input.shape[0]}], got {Check.Shape(mask)}", nameof(mask));
            if (mask.dtype != ScalarType.Bool) Check.InRange(mask, 0, 1, name, nameof(mask));
        }
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (mask, nameof(mask)));

        using var scope = NewDisposeScope();
        var perSample = IntrinsicReward.SquaredErrorPerSample(input, Surrogate.Hold("target_features", target), mean: true);
        Tensor loss;
        if (mask is null) loss = Reduce.Apply(perSample, reduction, name);
        else
        {
            var m = mask.to_type(perSample.dtype);
            var kept = perSample * m;
            loss = reduction switch
            {
                Reduction.None => kept,
                Reduction.Sum => kept.sum(),
                _ => kept.sum() / m.sum().clamp_min(1.0),
            };
        }
        return loss.MoveToOuterDisposeScope();
    }
}

/// <summary>RND's predictor loss as a module; see <see cref="Losses.rnd_loss"/>. <c>forward(predicted, target)</c>.</summary>
public sealed class RndLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.rnd_loss"/>.</summary>
    public RndLoss(Reduction reduction = Reduction.Mean) : base(nameof(RndLoss))
    {
        Reduce.NoBatchMean(reduction, nameof(RndLoss));
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.rnd_loss(input, target, null, reduction);
}

internal sealed class RndDefinition : LossDefinition
{
    public override string Name => "rnd";
    public override string Family => "generative";
    public override string Summary => "Random Network Distillation: predictor's mean squared error to a fixed random target network's features (target held).";
    public override string Math => "l_i = mean_f (input_if - sg(target_if))^2; mean = sum(mask * l) / max(sum(mask), 1)";
    public override string Reference => "Burda, Edwards, Storkey, Klimov 2018, Exploration by Random Network Distillation";
    public override string Function => "Losses.rnd_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["target_features"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, F) predictor features"),
        InputSpec.Grad("target", "(N, F) fixed target network features (held: no gradient)"),
        InputSpec.Optional("mask", "(N) 0/1 samples that train the predictor (update_proportion)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.rnd_loss(x.Required("input"), x.Required("target"), x.Optional("mask"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Make(long[] shape, bool masked) => g =>
        {
            var d = new Dictionary<string, Tensor> { ["input"] = Sample.Normal(g, shape), ["target"] = Sample.Normal(g, shape) };
            if (masked) d["mask"] = Sample.Binary(g, [shape[0]]);
            return d;
        };
        yield return GradcheckCase.Of("(6,4) mean", Make([6, 4], false));
        yield return GradcheckCase.Of("(5,3) masked mean", Make([5, 3], true));
        yield return GradcheckCase.Of("(4,2,2) masked none", Make([4, 2, 2], true), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,3) sum", Make([1, 3], false), ("reduction", "sum"));
    }
}
