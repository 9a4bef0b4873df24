using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>The factor of <see cref="Losses.sac_temperature_loss"/>.</summary>
public enum SacTemperatureForm
{
    /// <summary><c>-log_alpha * sg(log pi + target)</c> (SB3, the paper's objective in log_alpha).</summary>
    LogAlpha,
    /// <summary><c>-exp(log_alpha) * sg(log pi + target)</c> (CleanRL).</summary>
    Alpha,
}

public static partial class Losses
{
    /// <summary>
    /// SAC's automatic entropy tuning (Haarnoja et al. 2018b, "Soft Actor-Critic Algorithms and Applications"): per sample
    /// <c>-log_alpha * sg(log pi(a~ | s) + target_entropy)</c>, minimised over log_alpha, so that alpha rises when the
    /// policy's entropy falls below the target.
    /// </summary>
    /// <remarks>
    /// The default target entropy is <c>-|A|</c>, <c>-action_dim</c> (the paper's heuristic for continuous actions; for
    /// discrete SAC pass e.g. <c>0.98 * log |A|</c>). <see cref="SacTemperatureForm.LogAlpha"/> is SB3's and the spec's
    /// form; <see cref="SacTemperatureForm.Alpha"/> is CleanRL's current <c>-exp(log_alpha) * (log pi + target)</c>,
    /// whose gradient is alpha times as large.
    /// <code>
    /// var loss = Losses.sac_temperature_loss(logAlpha, logp, action_dim: 6);
    /// </code>
    /// </remarks>
    /// <param name="log_alpha">The learned log-temperature, shape () or (1).</param>
    /// <param name="log_probs">log pi(a~ | s) of actions sampled from the current policy, shape (N) (held).</param>
    /// <param name="action_dim">|A|, the dimension of the action space, for the default target, at least 1.</param>
    /// <param name="target_entropy">The target entropy (null: <c>-action_dim</c>).</param>
    /// <param name="form">Multiply by log_alpha (SB3) or by alpha (CleanRL).</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor sac_temperature_loss(Tensor log_alpha, Tensor log_probs, long action_dim = 1, double? target_entropy = null, SacTemperatureForm form = SacTemperatureForm.LogAlpha, Reduction reduction = Reduction.Mean)
    {
        const string name = "sac_temperature_loss";
        CheckSacAlpha(0, log_alpha, name);
        Check.Floating(log_probs, name, nameof(log_probs));
        Check.Rank(log_probs, name, nameof(log_probs), 1);
        Check.Param(action_dim >= 1, name, nameof(action_dim), ">= 1", action_dim);
        if (target_entropy is double te) Check.Param(double.IsFinite(te), name, nameof(target_entropy), "a finite number", te);
        if (!Enum.IsDefined(form)) throw new ArgumentOutOfRangeException(nameof(form), form, $"{name}: unknown form");
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (log_alpha, nameof(log_alpha)), (log_probs, nameof(log_probs)));

        using var scope = NewDisposeScope();
        var la = log_alpha.reshape(Array.Empty<long>());
        var gap = Surrogate.Hold("entropy_gap", log_probs.to_type(la.dtype) + (target_entropy ?? -action_dim));
        var loss = -(form == SacTemperatureForm.Alpha ? la.exp() : la) * gap;
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>SAC's temperature loss as a module; see <see cref="Losses.sac_temperature_loss"/>.</summary>
public sealed class SacTemperatureLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly long actionDim;
    private readonly double? targetEntropy;
    private readonly SacTemperatureForm form;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.sac_temperature_loss"/>.</summary>
    public SacTemperatureLoss(long action_dim = 1, double? target_entropy = null, SacTemperatureForm form = SacTemperatureForm.LogAlpha, Reduction reduction = Reduction.Mean) : base(nameof(SacTemperatureLoss))
    {
        Check.Param(action_dim >= 1, nameof(SacTemperatureLoss), nameof(action_dim), ">= 1", action_dim);
        Reduce.NoBatchMean(reduction, nameof(SacTemperatureLoss));
        (actionDim, targetEntropy, this.form, this.reduction) = (action_dim, target_entropy, form, reduction);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor log_alpha, Tensor log_probs) => Losses.sac_temperature_loss(log_alpha, log_probs, actionDim, targetEntropy, form, reduction);
}

internal sealed class SacTemperatureDefinition : LossDefinition
{
    public override string Name => "sac_temperature";
    public override string Family => Rl.Family;
    public override string Summary => "SAC automatic entropy tuning: -log_alpha times the held gap between log pi and the target entropy.";
    public override string Math => "l_i = -log_alpha * sg(log pi(a~_i|s_i) + target_entropy)  [alpha form: -exp(log_alpha) * ...];  target default -|A|";
    public override string Reference => "Haarnoja et al. 2018b, Soft Actor-Critic Algorithms and Applications (sec. 5); Stable-Baselines3 SAC; CleanRL";
    public override string Function => "Losses.sac_temperature_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["entropy_gap"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("target_entropy", -1.0, "target entropy; -|A| for continuous actions (the default -1 is |A| = 1)"),
        ParamSpec.Choice("form", "log_alpha", "log_alpha: -log_alpha * gap (SB3); alpha: -exp(log_alpha) * gap (CleanRL)", "log_alpha", "alpha"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("log_alpha", "() or (1) learned log-temperature"),
        InputSpec.Data("log_probs", "(N) log pi of actions sampled from the current policy (held)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.sac_temperature_loss(x.Required("log_alpha"), x.Required("log_probs"), target_entropy: p.Float("target_entropy"),
            form: p.Choice("form") == "alpha" ? SacTemperatureForm.Alpha : SacTemperatureForm.LogAlpha, reduction: p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6)", g => new() { ["log_alpha"] = Sample.Normal(g, []), ["log_probs"] = Sample.Normal(g, [6]) });
        yield return GradcheckCase.Of("(1) none, alpha form", g => new() { ["log_alpha"] = Sample.Normal(g, [1]), ["log_probs"] = Sample.Normal(g, [1]) }, ("form", "alpha"), ("reduction", "none"));
        yield return GradcheckCase.Of("(5) sum target=-3", g => new() { ["log_alpha"] = Sample.Normal(g, []), ["log_probs"] = Sample.Normal(g, [5]) }, ("target_entropy", "-3"), ("reduction", "sum"));
    }
}
