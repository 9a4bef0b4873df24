using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>One batch of a Dreamer-style world model's outputs and targets, for <see cref="WorldModelLoss"/>. The batch
/// dimensions B (e.g. batch and time) are those of the latents, (B..., Z).</summary>
/// <param name="ObsPred">The decoder's reconstruction, (B..., obs...).</param>
/// <param name="Obs">The observations, the shape of <paramref name="ObsPred"/>.</param>
/// <param name="PosteriorMean">The representation model's mean, (B..., Z).</param>
/// <param name="PosteriorStd">The representation model's standard deviation, (B..., Z), &gt; 0.</param>
/// <param name="PriorMean">The transition (dynamics) model's mean, (B..., Z).</param>
/// <param name="PriorStd">The transition model's standard deviation, (B..., Z), &gt; 0.</param>
/// <param name="RewardPred">The reward head's prediction, (B...), or null.</param>
/// <param name="Reward">The rewards, (B...), or null.</param>
/// <param name="ContinueLogits">The continue (discount) head's logits, (B...), or null.</param>
/// <param name="ContinueTarget">The continue flags, 1 - done, (B...), in [0, 1], or null.</param>
public sealed record WorldModelBatch(Tensor ObsPred, Tensor Obs, Tensor PosteriorMean, Tensor PosteriorStd, Tensor PriorMean, Tensor PriorStd,
    Tensor? RewardPred = null, Tensor? Reward = null, Tensor? ContinueLogits = null, Tensor? ContinueTarget = null);

/// <summary>The weights and KL settings of <see cref="Losses.world_model_loss"/>; the defaults are DreamerV2's (continuous control).</summary>
public sealed record WorldModelOptions
{
    /// <summary>DreamerV2's settings.</summary>
    public static WorldModelOptions Default { get; } = new();
    /// <summary>beta, the KL term's weight (DreamerV2: 1.0 for continuous control, 0.1 for Atari).</summary>
    public double KlScale { get; init; } = 1.0;
    /// <summary>alpha of KL balancing: the weight of <c>KL(sg(posterior) || prior)</c>, which trains the prior; 1 - alpha trains the posterior (0.8).</summary>
    public double KlBalance { get; init; } = 0.8;
    /// <summary>Free bits (nats): each side of the KL is clamped below at this value, so no gradient flows while it is under it (DreamerV2: 1.0; 0 turns it off).</summary>
    public double FreeBits { get; init; } = 1.0;
    /// <summary>Apply the free bits to the batch mean of the KL (DreamerV2's <c>free_avg</c>) rather than to each sample's KL.</summary>
    public bool FreeAverage { get; init; } = true;
    /// <summary>The reconstruction term's weight.</summary>
    public double ReconScale { get; init; } = 1.0;
    /// <summary>The reward term's weight.</summary>
    public double RewardScale { get; init; } = 1.0;
    /// <summary>The continue term's weight (DreamerV2: 1.0; 5.0 in some Atari settings).</summary>
    public double ContinueScale { get; init; } = 1.0;
    /// <summary>Average the reconstruction's squared errors over the observation's dimensions instead of summing them (Dreamer sums).</summary>
    public bool ObsMean { get; init; }
}

public static partial class Losses
{
    /// <summary>
    /// The world-model loss of Dreamer (Hafner et al. 2020, 2021): per step, <c>recon + beta * KL_balanced + reward + continue</c>
    /// (each with its weight), the negative ELBO of a recurrent state-space model with diagonal-Gaussian latents.
    /// </summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item>reconstruction: <c>1/2 sum_obs (obs_pred - obs)^2</c>, the negative log-likelihood of a unit-variance Gaussian
    /// decoder up to its constant (<see cref="WorldModelOptions.ObsMean"/>: the mean instead of the sum);</item>
    /// <item>KL balancing (DreamerV2): <c>alpha * KL(sg(q) || p) + (1 - alpha) * KL(q || sg(p))</c>, q the posterior, p the
    /// prior, alpha = 0.8, so the prior learns faster than the posterior is regularised. The stop-gradients are the held
    /// terms <c>posterior_mean</c>, <c>posterior_std</c>, <c>prior_mean</c>, <c>prior_std</c>. The value is the plain KL;
    /// only the gradient is split. Each side is clamped below at <see cref="WorldModelOptions.FreeBits"/> nats, on its
    /// batch mean (free_avg, DreamerV2's default) or per sample;</item>
    /// <item>reward: <c>1/2 (reward_pred - reward)^2</c> (unit-variance Gaussian); continue: binary cross-entropy with
    /// logits of the continue flag (DreamerV2's discount predictor), computed in log space.</item>
    /// </list>
    /// The KL of diagonal Gaussians is closed-form, summed over the latent dimensions:
    /// <c>sum_z log(sp/sq) + (sq^2 + (mq - mp)^2) / (2 sp^2) - 1/2</c>. The reward and continue terms are optional (both of a
    /// pair or neither). With free_avg, reduction none returns per-sample losses whose mean is the loss (a side below the
    /// free bits contributes the constant free-bits value to every sample).
    /// <code>
    /// var loss = Losses.world_model_loss(decoded, obs, postMean, postStd, priorMean, priorStd,
    ///     rewardPred, rewards, continueLogits, 1 - dones, new WorldModelOptions { KlScale = 0.1 });
    /// </code>
    /// </remarks>
    /// <param name="obs_pred">The decoder's reconstruction, (B..., obs...).</param>
    /// <param name="obs">The observations, the shape of <paramref name="obs_pred"/>.</param>
    /// <param name="posterior_mean">The posterior's mean, (B..., Z); its leading dimensions are the batch dimensions B.</param>
    /// <param name="posterior_std">The posterior's standard deviation, (B..., Z), &gt; 0.</param>
    /// <param name="prior_mean">The prior's mean, (B..., Z).</param>
    /// <param name="prior_std">The prior's standard deviation, (B..., Z), &gt; 0.</param>
    /// <param name="reward_pred">The predicted rewards, (B...), or null.</param>
    /// <param name="reward">The rewards, (B...), or null.</param>
    /// <param name="continue_logits">The continue head's logits, (B...), or null.</param>
    /// <param name="continue_target">The continue flags (1 - done), (B...), in [0, 1], or null.</param>
    /// <param name="options">The weights and KL settings (null: DreamerV2's).</param>
    /// <param name="reduction">none: per-step losses (B...); mean over all steps (the paper's); sum.</param>
    /// <returns>A scalar, or (B...) for reduction none.</returns>
    public static Tensor world_model_loss(Tensor obs_pred, Tensor obs, Tensor posterior_mean, Tensor posterior_std, Tensor prior_mean, Tensor prior_std,
        Tensor? reward_pred = null, Tensor? reward = null, Tensor? continue_logits = null, Tensor? continue_target = null,
        WorldModelOptions? options = null, Reduction reduction = Reduction.Mean) =>
        WorldModelCompute(new WorldModelBatch(obs_pred, obs, posterior_mean, posterior_std, prior_mean, prior_std, reward_pred, reward, continue_logits, continue_target),
            options ?? WorldModelOptions.Default, reduction, wantTerms: false).Loss;

    /// <summary>
    /// The world-model loss with the batch means of its unweighted terms (<c>recon</c>, <c>kl</c>, and <c>reward</c> and
    /// <c>continue</c> when given) for training logs; see <see cref="world_model_loss"/>.
    /// </summary>
    /// <param name="batch">The model's outputs and targets.</param>
    /// <param name="options">The weights and KL settings (null: DreamerV2's).</param>
    /// <param name="reduction">As <see cref="world_model_loss"/>'s.</param>
    public static (Tensor Loss, IReadOnlyDictionary<string, double> Terms) world_model_loss_terms(WorldModelBatch batch, WorldModelOptions? options = null, Reduction reduction = Reduction.Mean)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var (loss, terms) = WorldModelCompute(batch, options ?? WorldModelOptions.Default, reduction, wantTerms: true);
        return (loss, terms!);
    }

    private static (Tensor Loss, IReadOnlyDictionary<string, double>? Terms) WorldModelCompute(WorldModelBatch b, WorldModelOptions o, Reduction reduction, bool wantTerms)
    {
        const string name = "world_model_loss";
        WorldModelCheck(b, o, reduction, name);

        using var scope = NewDisposeScope();
        var batchDims = b.PosteriorMean.shape[..^1];
        var dtype = b.PosteriorMean.dtype;

        var sq = (b.ObsPred - b.Obs).square();
        var flat = sq.reshape(batchDims.Append(-1L).ToArray());
        var recon = (o.ObsMean ? flat.mean(new long[] { -1 }) : flat.sum(-1)) * 0.5;

        // KL balancing: the prior side trains the prior (posterior held), the posterior side trains the posterior (prior held).
        var qm = b.PosteriorMean; var qs = b.PosteriorStd; var pm = b.PriorMean; var ps = b.PriorStd;
        var priorSide = WorldModelGaussianKl(Surrogate.Hold("posterior_mean", qm), Surrogate.Hold("posterior_std", qs), pm, ps);
        var postSide = WorldModelGaussianKl(qm, qs, Surrogate.Hold("prior_mean", pm), Surrogate.Hold("prior_std", ps));
        var kl = WorldModelFreeBits(priorSide, o) * o.KlBalance + WorldModelFreeBits(postSide, o) * (1 - o.KlBalance);

        var perStep = recon.to_type(dtype) * o.ReconScale + kl * o.KlScale;
        Tensor? rewardTerm = null, continueTerm = null;
        if (b.RewardPred is not null)
        {
            rewardTerm = (b.RewardPred - b.Reward!).square() * 0.5;
            perStep = perStep + rewardTerm * o.RewardScale;
        }
        if (b.ContinueLogits is not null)
        {
            var y = b.ContinueTarget!.to_type(b.ContinueLogits.dtype);
            continueTerm = y * GanCommon.Softplus(-b.ContinueLogits) + (1 - y) * GanCommon.Softplus(b.ContinueLogits);
            perStep = perStep + continueTerm * o.ContinueScale;
        }
        var loss = Reduce.Apply(perStep, reduction, name);

        IReadOnlyDictionary<string, double>? terms = null;
        if (wantTerms)
        {
            using var noGrad = torch.no_grad();
            static double Mean(Tensor t) => t.mean().to_type(ScalarType.Float64).item<double>();
            var d = new Dictionary<string, double> { ["recon"] = Mean(recon), ["kl"] = Mean(postSide) };
            if (rewardTerm is not null) d["reward"] = Mean(rewardTerm);
            if (continueTerm is not null) d["continue"] = Mean(continueTerm);
            terms = d;
        }
        return (loss.MoveToOuterDisposeScope(), terms);
    }

    /// <summary>KL(N(mq, sq^2) || N(mp, sp^2)) of diagonal Gaussians, summed over the last dimension.</summary>
    private static Tensor WorldModelGaussianKl(Tensor mq, Tensor sq, Tensor mp, Tensor sp)
    {
        var ratio = (sq / sp).square();
        var diff = ((mq - mp) / sp).square();
        return ((ratio + diff - 1 - ratio.log()) * 0.5).sum(-1);
    }

    /// <summary>Free bits on one side of the KL: on the batch mean (free_avg) or per sample.</summary>
    private static Tensor WorldModelFreeBits(Tensor kl, WorldModelOptions o)
    {
        if (o.FreeBits == 0) return kl;
        if (!o.FreeAverage) return kl.clamp_min(o.FreeBits);
        // max(mean(kl), free) written per sample: kl itself while the mean is at or above the free bits, else the constant.
        var above = kl.mean().ge(o.FreeBits);
        return torch.where(above, kl, torch.full_like(kl, o.FreeBits));
    }

    private static void WorldModelCheck(WorldModelBatch b, WorldModelOptions o, Reduction reduction, string name)
    {
        ArgumentNullException.ThrowIfNull(o);
        Check.Floating(b.PosteriorMean, name, "posterior_mean");
        Check.MinRank(b.PosteriorMean, name, "posterior_mean", 2);
        Check.HasSamples(b.PosteriorMean, name, "posterior_mean");
        var latent = b.PosteriorMean.shape;
        var batchDims = latent[..^1];
        string what = $"the batch dimensions of 'posterior_mean' {Check.Shape(b.PosteriorMean)}";
        foreach (var (t, arg) in new[] { (b.PosteriorStd, "posterior_std"), (b.PriorMean, "prior_mean"), (b.PriorStd, "prior_std") })
        {
            Check.Floating(t, name, arg);
            Check.SameShape(b.PosteriorMean, "posterior_mean", t, arg, name);
        }
        Check.PositiveEntries(b.PosteriorStd, name, "posterior_std", "standard deviations");
        Check.PositiveEntries(b.PriorStd, name, "prior_std", "standard deviations");
        Check.Floating(b.ObsPred, name, "obs_pred");
        Check.ShapePrefix(b.ObsPred, batchDims, name, "obs_pred", what);
        Check.Floating(b.Obs, name, "obs");
        Check.SameShape(b.ObsPred, "obs_pred", b.Obs, "obs", name);
        if ((b.RewardPred is null) != (b.Reward is null))
            throw new ArgumentException($"{name}: 'reward_pred' and 'reward' must be given together (or neither)", b.RewardPred is null ? "reward_pred" : "reward");
        if ((b.ContinueLogits is null) != (b.ContinueTarget is null))
            throw new ArgumentException($"{name}: 'continue_logits' and 'continue_target' must be given together (or neither)", b.ContinueLogits is null ? "continue_logits" : "continue_target");
        if (b.RewardPred is not null)
        {
            Check.Floating(b.RewardPred, name, "reward_pred");
            Check.ShapePrefix(b.RewardPred, batchDims, name, "reward_pred", what, extra: 0);
            Check.Floating(b.Reward!, name, "reward");
            Check.SameShape(b.RewardPred, "reward_pred", b.Reward!, "reward", name);
        }
        if (b.ContinueLogits is not null)
        {
            Check.Floating(b.ContinueLogits, name, "continue_logits");
            Check.ShapePrefix(b.ContinueLogits, batchDims, name, "continue_logits", what, extra: 0);
            Check.NotNull(b.ContinueTarget, name, "continue_target");
            Check.SameShape(b.ContinueLogits, "continue_logits", b.ContinueTarget!, "continue_target", name);
            if (b.ContinueTarget!.dtype != ScalarType.Bool) Check.InRange(b.ContinueTarget, 0, 1, name, "continue_target");
        }
        Check.SameFloatType(name, (b.PosteriorMean, "posterior_mean"), (b.PosteriorStd, "posterior_std"), (b.PriorMean, "prior_mean"), (b.PriorStd, "prior_std"),
            (b.ObsPred, "obs_pred"), (b.RewardPred, "reward_pred"), (b.ContinueLogits, "continue_logits"));
        Check.SameDevice(name, (b.PosteriorMean, "posterior_mean"), (b.PosteriorStd, "posterior_std"), (b.PriorMean, "prior_mean"), (b.PriorStd, "prior_std"),
            (b.ObsPred, "obs_pred"), (b.Obs, "obs"), (b.RewardPred, "reward_pred"), (b.Reward, "reward"), (b.ContinueLogits, "continue_logits"), (b.ContinueTarget, "continue_target"));
        WorldModelCheckOptions(o, name);
        Reduce.NoBatchMean(reduction, name);
    }

    internal static void WorldModelCheckOptions(WorldModelOptions o, string name)
    {
        Check.Param(o.KlScale >= 0 && double.IsFinite(o.KlScale), name, "kl_scale", "a finite number >= 0", o.KlScale);
        Check.Param(o.KlBalance >= 0 && o.KlBalance <= 1, name, "kl_balance", "in [0, 1]", o.KlBalance);
        Check.Param(o.FreeBits >= 0 && double.IsFinite(o.FreeBits), name, "free_bits", "a finite number >= 0", o.FreeBits);
        Check.Param(o.ReconScale >= 0 && double.IsFinite(o.ReconScale), name, "recon_scale", "a finite number >= 0", o.ReconScale);
        Check.Param(o.RewardScale >= 0 && double.IsFinite(o.RewardScale), name, "reward_scale", "a finite number >= 0", o.RewardScale);
        Check.Param(o.ContinueScale >= 0 && double.IsFinite(o.ContinueScale), name, "continue_scale", "a finite number >= 0", o.ContinueScale);
    }
}

/// <summary>Dreamer's world-model loss as a module; see <see cref="Losses.world_model_loss"/>. <c>forward(batch)</c>.</summary>
public sealed class WorldModelLoss : nn.Module<WorldModelBatch, Tensor>
{
    private readonly WorldModelOptions options;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.world_model_loss"/>.</summary>
    public WorldModelLoss(WorldModelOptions? options = null, Reduction reduction = Reduction.Mean) : base(nameof(WorldModelLoss))
    {
        this.options = options ?? WorldModelOptions.Default;
        Losses.WorldModelCheckOptions(this.options, nameof(WorldModelLoss));
        Reduce.NoBatchMean(reduction, nameof(WorldModelLoss));
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(WorldModelBatch batch) => Losses.world_model_loss_terms(batch, options, reduction).Loss;
}

internal sealed class WorldModelDefinition : LossDefinition
{
    public override string Name => "world_model";
    public override string Family => "generative";
    public override string Summary => "Dreamer world-model loss: reconstruction + beta * balanced KL(posterior || prior) with free bits + reward + continue.";
    public override string Math => "l = r_s * 1/2 sum (obs_pred - obs)^2 + beta * [alpha max(KL(sg q || p), free) + (1 - alpha) max(KL(q || sg p), free)] + w_r * 1/2 (reward_pred - reward)^2 + w_c * BCE(continue_logits, continue_target)";
    public override string Reference => "Hafner et al. 2020, Dream to Control (Dreamer); Hafner et al. 2021, Mastering Atari with Discrete World Models (DreamerV2: KL balancing, free bits)";
    public override string Function => "Losses.world_model_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["posterior_mean", "posterior_std", "prior_mean", "prior_std"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("kl_scale", 1.0, "beta, the KL term's weight (DreamerV2 Atari: 0.1)", min: 0),
        ParamSpec.Float("kl_balance", 0.8, "alpha: weight of KL(sg(posterior) || prior), which trains the prior", min: 0, max: 1),
        ParamSpec.Float("free_bits", 1.0, "nats below which a KL side is clamped (0: off)", min: 0),
        ParamSpec.Bool("free_avg", true, "apply the free bits to the batch mean of the KL (DreamerV2) instead of per sample"),
        ParamSpec.Float("recon_scale", 1.0, "the reconstruction term's weight", min: 0),
        ParamSpec.Float("reward_scale", 1.0, "the reward term's weight", min: 0),
        ParamSpec.Float("continue_scale", 1.0, "the continue term's weight", min: 0),
        ParamSpec.Bool("obs_mean", false, "average the reconstruction's squared errors over observation dimensions instead of summing"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("obs_pred", "(B..., obs...) decoder reconstruction"),
        InputSpec.Data("obs", "(B..., obs...) observations"),
        InputSpec.Grad("posterior_mean", "(B..., Z) posterior mean"),
        InputSpec.Grad("posterior_std", "(B..., Z) posterior standard deviation, > 0"),
        InputSpec.Grad("prior_mean", "(B..., Z) prior mean"),
        InputSpec.Grad("prior_std", "(B..., Z) prior standard deviation, > 0"),
        new InputSpec("reward_pred", "(B...) predicted rewards", Required: false, Differentiable: true),
        InputSpec.Optional("reward", "(B...) rewards"),
        new InputSpec("continue_logits", "(B...) continue-flag logits", Required: false, Differentiable: true),
        InputSpec.Optional("continue_target", "(B...) continue flags 1 - done, in [0, 1]"),
    ];

    private static WorldModelOptions Options(LossParameters p) => new()
    {
        KlScale = p.Float("kl_scale"),
        KlBalance = p.Float("kl_balance"),
        FreeBits = p.Float("free_bits"),
        FreeAverage = p.Bool("free_avg"),
        ReconScale = p.Float("recon_scale"),
        RewardScale = p.Float("reward_scale"),
        ContinueScale = p.Float("continue_scale"),
        ObsMean = p.Bool("obs_mean"),
    };

    private static WorldModelBatch Batch(LossInputs x) => new(x.Required("obs_pred"), x.Required("obs"), x.Required("posterior_mean"), x.Required("posterior_std"),
        x.Required("prior_mean"), x.Required("prior_std"), x.Optional("reward_pred"), x.Optional("reward"), x.Optional("continue_logits"), x.Optional("continue_target"));

    public override Tensor Compute(LossInputs x, LossParameters p) => Losses.world_model_loss_terms(Batch(x), Options(p), p.Reduction).Loss;

    public override (Tensor Loss, IReadOnlyDictionary<string, double>? Terms) ComputeWithTerms(LossInputs x, LossParameters p) =>
        Losses.world_model_loss_terms(Batch(x), Options(p), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Make(long[] batch, long z, long[] obs, bool heads) => g =>
        {
            var lat = batch.Append(z).ToArray();
            var o = batch.Concat(obs).ToArray();
            var d = new Dictionary<string, Tensor>
            {
                ["obs_pred"] = Sample.Normal(g, o),
                ["obs"] = Sample.Normal(g, o),
                ["posterior_mean"] = Sample.Normal(g, lat),
                ["posterior_std"] = Sample.Uniform(g, lat, 0.4, 1.6),
                ["prior_mean"] = Sample.Normal(g, lat),
                ["prior_std"] = Sample.Uniform(g, lat, 0.4, 1.6),
            };
            if (heads)
            {
                d["reward_pred"] = Sample.Normal(g, batch);
                d["reward"] = Sample.Normal(g, batch);
                d["continue_logits"] = Sample.Normal(g, batch, 2);
                d["continue_target"] = Sample.Binary(g, batch);
            }
            return d;
        };
        yield return GradcheckCase.Of("(4) Z=3 obs (5) free_bits=0", Make([4], 3, [5], true), ("free_bits", "0"));
        yield return GradcheckCase.Of("(2,3) Z=4 obs (2,2) none free_bits=0 balance=0.5", Make([2, 3], 4, [2, 2], true), ("free_bits", "0"), ("kl_balance", "0.5"), ("reduction", "none"));
        yield return GradcheckCase.Of("(5) Z=2 obs (3) per-sample free bits 0.3", Make([5], 2, [3], true), ("free_bits", "0.3"), ("free_avg", "false"), ("kl_scale", "0.1"));
        yield return GradcheckCase.Of("(1) Z=3 obs (4) sum, no heads, obs_mean", Make([1], 3, [4], false), ("free_bits", "0"), ("obs_mean", "true"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(3) Z=2 obs (2) all KL under free bits", Make([3], 2, [2], true), ("free_bits", "100"), ("reward_scale", "2"), ("continue_scale", "0.5"));
        yield return GradcheckCase.Of("(4) Z=5 obs (2) free_avg above free bits", Make([4], 5, [2], true), ("free_bits", "0.05"), ("kl_balance", "0.8"));
    }
}
