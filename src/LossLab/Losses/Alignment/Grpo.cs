using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>How GRPO averages its per-token losses.</summary>
public enum GrpoLossType
{
    /// <summary>Mean over each sequence's tokens, then over sequences (DeepSeekMath's GRPO; TRL's <c>grpo</c>).</summary>
    Sequence,
    /// <summary>Sum over all tokens of the batch divided by their count (DAPO's token-level average; TRL's <c>bnpo</c>).</summary>
    Token,
}

public static partial class Losses
{
    /// <summary>
    /// Group Relative Policy Optimization (Shao et al. 2024, DeepSeekMath), as TRL's <c>GRPOTrainer</c> computes it.
    /// Rewards of the completions of one prompt form a group; the advantage of completion i is
    /// <c>A_i = (R_i - mean_group) / (std_group + eps)</c> (unbiased std; without scaling <c>R_i - mean_group</c>, Dr. GRPO).
    /// Per token: <c>rho = exp(logp - old_logp)</c>,
    /// <c>l_t = -min(rho A, clip(rho, 1 - epsilon, 1 + epsilon_high) A) + beta * k3_t</c>, with the reverse-KL estimate
    /// <c>k3_t = exp(ref_t - logp_t) - (ref_t - logp_t) - 1</c> differentiated as a loss ("k3 as loss").
    /// </summary>
    /// <remarks>
    /// Without <paramref name="old_logps"/> (one optimisation step per batch of samples) the old policy is the current one
    /// held constant (term <c>old_logps</c>): the ratio is 1 and its gradient is the score function, as TRL's
    /// <c>per_token_logps.detach()</c>. Groups are consecutive blocks of <paramref name="group_size"/> completions (TRL's
    /// layout; 0: the whole batch is one group) unless <paramref name="groups"/> gives a group id per completion.
    /// Every group needs at least two completions. <paramref name="loss_type"/> chooses the average over tokens
    /// (sequences with no token contribute 0, as TRL's clamp). Exponents are capped so that log-probabilities of
    /// magnitude 1e4 stay finite. Note that k3 as loss is a biased first-order surrogate of the reverse KL's gradient
    /// (Liu et al. 2025; see <see cref="kl_estimator"/>): its expected gradient is that of the forward KL(ref || pi).
    /// Use GRPO for RL from verifiable or model rewards without a value network.
    /// <code>
    /// var loss = Losses.grpo_loss(logps, mask, rewards, refLogps, group_size: 8, beta: 0.04);
    /// </code>
    /// </remarks>
    /// <param name="logps">Policy per-token log-probabilities of the sampled completions, (B, T).</param>
    /// <param name="mask">Completion token mask, (B, T) (null: all).</param>
    /// <param name="rewards">One reward per completion, (B).</param>
    /// <param name="ref_logps">Reference per-token log-probabilities, (B, T) (required when beta &gt; 0).</param>
    /// <param name="old_logps">Per-token log-probabilities of the sampling (old) policy, (B, T) (null: the current policy, held).</param>
    /// <param name="groups">Group id (prompt) per completion, (B) integer (null: consecutive blocks of group_size).</param>
    /// <param name="group_size">Completions per prompt when groups is null (0: one group), dividing B.</param>
    /// <param name="epsilon">Lower clipping range (ratio &gt;= 1 - epsilon), in (0, 1).</param>
    /// <param name="epsilon_high">Upper clipping range (ratio &lt;= 1 + epsilon_high; DAPO's clip-higher); null: epsilon.</param>
    /// <param name="beta">Coefficient of the KL term (0: none).</param>
    /// <param name="eps">Added to the group std.</param>
    /// <param name="scale_rewards">Divide advantages by the group std (false: Dr. GRPO).</param>
    /// <param name="loss_type">Sequence-level or token-level averaging.</param>
    /// <param name="reduction">none: per-token losses (B, T), zeros at padding; mean: the loss_type's average; sum: over all counted tokens.</param>
    /// <returns>A scalar, or (B, T) for reduction none.</returns>
    public static Tensor grpo_loss(Tensor logps, Tensor? mask, Tensor rewards, Tensor? ref_logps = null, Tensor? old_logps = null, Tensor? groups = null,
        long group_size = 0, double epsilon = 0.2, double? epsilon_high = null, double beta = 0.04, double eps = 1e-4, bool scale_rewards = true,
        GrpoLossType loss_type = GrpoLossType.Sequence, Reduction reduction = Reduction.Mean)
    {
        const string name = "grpo_loss";
        Check.TokenLogProbs(logps, name, nameof(logps));
        Check.TokenMask(mask, logps, name, nameof(mask), nameof(logps));
        Check.Floating(rewards, name, nameof(rewards));
        Check.PerSequence(rewards, logps, name, nameof(rewards), nameof(logps));
        Check.NaNFree(rewards, name, nameof(rewards));
        if (ref_logps is not null)
        {
            Check.Floating(ref_logps, name, nameof(ref_logps));
            Check.SameShape(logps, nameof(logps), ref_logps, nameof(ref_logps), name);
        }
        else if (beta != 0) throw new ArgumentNullException(nameof(ref_logps), $"{name}: 'ref_logps' is required when beta != 0 (got beta = {beta})");
        if (old_logps is not null)
        {
            Check.Floating(old_logps, name, nameof(old_logps));
            Check.SameShape(logps, nameof(logps), old_logps, nameof(old_logps), name);
        }
        Check.SameDevice(name, (logps, nameof(logps)), (ref_logps, nameof(ref_logps)), (old_logps, nameof(old_logps)), (groups, nameof(groups)));
        Check.Param(epsilon > 0 && epsilon < 1, name, nameof(epsilon), "in (0, 1)", epsilon);
        double epsHigh = epsilon_high ?? epsilon;
        Check.Param(epsHigh > 0 && double.IsFinite(epsHigh), name, nameof(epsilon_high), "a finite number > 0", epsHigh);
        Check.Param(beta >= 0 && double.IsFinite(beta), name, nameof(beta), "a finite number >= 0", beta);
        Check.Param(eps >= 0 && double.IsFinite(eps), name, nameof(eps), "a finite number >= 0", eps);
        Check.Param(group_size >= 0, name, nameof(group_size), ">= 0", group_size);
        if (!Enum.IsDefined(loss_type)) throw new ArgumentOutOfRangeException(nameof(loss_type), loss_type, $"{name}: unknown loss_type");
        Reduce.NoBatchMean(reduction, name);
        var groupIndex = AlignmentOps.GroupIndex(groups, group_size, logps, name);

        using var scope = NewDisposeScope();
        var dtype = logps.dtype;
        // padding may hold anything (NaN, -inf): zero it before any per-token op so no gradient reads it
        logps = AlignmentOps.Masked(logps, mask);
        var advantages = AlignmentOps.GroupAdvantages(rewards.to_type(dtype), groupIndex.to(logps.device), eps, scale_rewards).unsqueeze(1);
        var old = old_logps is null ? Surrogate.Hold("old_logps", logps) : AlignmentOps.Masked(old_logps.to_type(dtype), mask);
        var ratio = AlignmentOps.CappedExp(logps - old);
        var clipped = ratio.clamp(1 - epsilon, 1 + epsHigh);
        var perToken = -torch.minimum(ratio * advantages, clipped * advantages);
        if (beta != 0)
        {
            var logRatio = AlignmentOps.Masked(ref_logps!.to_type(dtype), mask) - logps;
            perToken = perToken + (AlignmentOps.CappedExp(logRatio) - logRatio - 1) * beta;
        }
        Tensor result;
        if (reduction == Reduction.Mean && loss_type == GrpoLossType.Sequence)
        {
            var w = AlignmentOps.Weights(logps, mask);
            result = (AlignmentOps.Masked(perToken, mask).sum(1) / w.sum(1).clamp_min(1.0)).mean();
        }
        else result = AlignmentOps.ReducePerToken(perToken, mask, reduction);
        return result.MoveToOuterDisposeScope();
    }
}

internal static partial class AlignmentOps
{
    /// <summary>Dense group indices (B) int64 from group ids or consecutive blocks, with every group of size &gt;= 2.</summary>
    public static Tensor GroupIndex(Tensor? groups, long groupSize, Tensor logps, string name)
    {
        long b = logps.shape[0];
        long[] index = new long[b];
        if (groups is not null)
        {
            Check.Integer(groups, name, nameof(groups));
            Check.PerSequence(groups, logps, name, nameof(groups), "logps");
            var ids = groups.detach().cpu().to_type(ScalarType.Int64).data<long>().ToArray();
            var dense = new Dictionary<long, long>();
            for (int i = 0; i < ids.Length; i++)
            {
                if (!dense.TryGetValue(ids[i], out long d)) dense[ids[i]] = d = dense.Count;
                index[i] = d;
            }
        }
        else
        {
            long g = groupSize == 0 ? b : groupSize;
            if (b % Math.Max(g, 1) != 0)
                throw new ArgumentException($"{name}: the batch of {b} completions is not a whole number of groups of group_size = {groupSize}", "group_size");
            for (long i = 0; i < b; i++) index[i] = i / g;
        }
        var counts = index.GroupBy(i => i).ToDictionary(k => k.Key, k => k.Count());
        var small = counts.FirstOrDefault(kv => kv.Value < 2);
        if (b > 0 && small.Value != 0)
            throw new ArgumentException($"{name}: every group needs at least 2 completions for a group-relative advantage; group {small.Key} has {small.Value}", groups is null ? "group_size" : "groups");
        return torch.tensor(index, dtype: ScalarType.Int64);
    }

    /// <summary>(R - group mean) / (group std + eps) (unbiased std), or R - group mean.</summary>
    public static Tensor GroupAdvantages(Tensor rewards, Tensor index, double eps, bool scale)
    {
        long g = rewards.shape[0] == 0 ? 0 : index.max().item<long>() + 1;
        var zeros = torch.zeros(g, dtype: rewards.dtype, device: rewards.device);
        var counts = zeros.index_add(0, index, torch.ones_like(rewards), 1);
        var mean = zeros.index_add(0, index, rewards, 1) / counts;
        var centred = rewards - mean.index_select(0, index);
        if (!scale) return centred;
        var std = (zeros.index_add(0, index, centred.square(), 1) / (counts - 1)).sqrt();
        return centred / (std.index_select(0, index) + eps);
    }
}

/// <summary>The GRPO loss as a module; see <see cref="Losses.grpo_loss"/>. Inputs: logps, mask, rewards, ref_logps
/// (null when beta = 0), old_logps (null: the current policy).</summary>
public sealed class GrpoLoss : nn.Module<Tensor, Tensor?, Tensor, Tensor?, Tensor?, Tensor>
{
    private readonly long groupSize;
    private readonly double epsilon;
    private readonly double? epsilonHigh;
    private readonly double beta;
    private readonly double eps;
    private readonly bool scaleRewards;
    private readonly GrpoLossType lossType;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.grpo_loss"/>.</summary>
    /// <param name="group_size">Completions per prompt (consecutive blocks; 0: one group).</param>
    /// <param name="epsilon">Lower clipping range.</param>
    /// <param name="epsilon_high">Upper clipping range (null: epsilon).</param>
    /// <param name="beta">KL coefficient.</param>
    /// <param name="eps">Added to the group std.</param>
    /// <param name="scale_rewards">Divide advantages by the group std.</param>
    /// <param name="loss_type">Sequence-level or token-level averaging.</param>
    /// <param name="reduction">The reduction.</param>
    public GrpoLoss(long group_size, double epsilon = 0.2, double? epsilon_high = null, double beta = 0.04, double eps = 1e-4, bool scale_rewards = true, GrpoLossType loss_type = GrpoLossType.Sequence, Reduction reduction = Reduction.Mean) : base(nameof(GrpoLoss))
    {
        Check.Param(group_size >= 0, nameof(GrpoLoss), nameof(group_size), ">= 0", group_size);
        Check.Param(epsilon > 0 && epsilon < 1, nameof(GrpoLoss), nameof(epsilon), "in (0, 1)", epsilon);
        groupSize = group_size;
        this.epsilon = epsilon;
        epsilonHigh = epsilon_high;
        this.beta = beta;
        this.eps = eps;
        scaleRewards = scale_rewards;
        lossType = loss_type;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor logps, Tensor? mask, Tensor rewards, Tensor? ref_logps, Tensor? old_logps) =>
        Losses.grpo_loss(logps, mask, rewards, ref_logps, old_logps, null, groupSize, epsilon, epsilonHigh, beta, eps, scaleRewards, lossType, reduction);
}

internal sealed class GrpoDefinition : LossDefinition
{
    public override string Name => "grpo";
    public override string Family => "alignment";
    public override string Summary => "GRPO: clipped policy-gradient loss with group-normalised advantages and the k3 KL estimate to the reference as a loss (TRL).";
    public override string Math => "A_i = (R_i - mean_g) / (std_g + eps); rho = exp(logp - old); l_t = -min(rho A, clip(rho, 1-eps_lo, 1+eps_hi) A) + beta (exp(ref - logp) - (ref - logp) - 1); sequence: mean_i mean_t, token: sum / count";
    public override string Reference => "Shao et al. 2024, DeepSeekMath (GRPO); Yu et al. 2025 (DAPO token-level, clip-higher); Liu et al. 2025 (Dr. GRPO); TRL GRPOTrainer";
    public override string Function => "Losses.grpo_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["old_logps"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("group_size", 0, "completions per prompt, consecutive (0: the whole batch is one group); ignored when 'groups' is given", min: 0),
        ParamSpec.Float("epsilon", 0.2, "lower clipping range", min: 0, max: 1, minExclusive: true, maxExclusive: true),
        ParamSpec.Float("epsilon_high", -1, "upper clipping range (negative: epsilon)"),
        ParamSpec.Float("beta", 0.04, "coefficient of the k3 KL term (0: none)", min: 0),
        ParamSpec.Float("eps", 1e-4, "added to the group std", min: 0),
        ParamSpec.Bool("scale_rewards", true, "divide advantages by the group std (false: Dr. GRPO)"),
        ParamSpec.Choice("loss_type", "sequence", "averaging: per-sequence mean then mean (sequence) or over all tokens (token)", "sequence", "token"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("logps", "(B, T) policy token log-probs"),
        InputSpec.Optional("mask", "(B, T) 0/1 completion mask"),
        InputSpec.Data("rewards", "(B) reward per completion"),
        InputSpec.Optional("ref_logps", "(B, T) reference token log-probs (needed when beta > 0)"),
        InputSpec.Optional("old_logps", "(B, T) sampling-policy token log-probs"),
        InputSpec.Optional("groups", "(B) group id per completion"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p)
    {
        double hi = p.Float("epsilon_high");
        return Losses.grpo_loss(x.Required("logps"), x.Optional("mask"), x.Required("rewards"), x.Optional("ref_logps"), x.Optional("old_logps"), x.Optional("groups"),
            p.Int("group_size"), p.Float("epsilon"), hi < 0 ? null : hi, p.Float("beta"), p.Float("eps"), p.Bool("scale_rewards"),
            p.Choice("loss_type") == "token" ? GrpoLossType.Token : GrpoLossType.Sequence, p.Reduction);
    }

    private static Dictionary<string, Tensor> Make(Generator g, long b, long t, bool old)
    {
        var logps = Sample.Uniform(g, [b, t], -3, -0.05);
        var d = new Dictionary<string, Tensor>
        {
            ["logps"] = logps,
            ["mask"] = AlignmentSamples.Mask(g, b, t),
            ["rewards"] = Sample.Normal(g, [b]),
            ["ref_logps"] = Sample.Uniform(g, [b, t], -3, -0.05),
        };
        if (old)
        {
            // log-ratios at +-0.1 or +-0.4: inside the clip range, or clearly outside it (no kink at 1 +- epsilon)
            var offsets = torch.tensor(new[] { -0.4, -0.1, 0.1, 0.4 }, dtype: ScalarType.Float64);
            var pick = torch.randint(0, 4, new[] { b, t }, dtype: ScalarType.Int64, generator: g);
            d["old_logps"] = logps - offsets.index_select(0, pick.reshape(-1)).reshape(b, t);
        }
        return d;
    }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) groups of 3, on-policy", g => Make(g, 6, 4, false), ("group_size", "3"));
        yield return GradcheckCase.Of("(8,3) groups of 4, off-policy token none", g => Make(g, 8, 3, true), ("group_size", "4"), ("loss_type", "token"), ("reduction", "none"));
        yield return GradcheckCase.Of("(6,5) off-policy clip-higher sum", g => Make(g, 6, 5, true), ("group_size", "2"), ("epsilon_high", "0.28"), ("reduction", "sum"), ("beta", "0.1"));
        yield return GradcheckCase.Of("(4,4) one group, Dr. GRPO, token", g => Make(g, 4, 4, true), ("scale_rewards", "false"), ("loss_type", "token"));
        yield return GradcheckCase.Of("(6,3) group ids, no KL", g =>
        {
            var d = Make(g, 6, 3, false);
            d.Remove("ref_logps");
            d["groups"] = torch.tensor(new long[] { 7, 2, 7, 2, 2, 7 });
            return d;
        }, ("beta", "0"));
    }
}
