using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Sampled softmax cross-entropy with the log-Q correction, from full logits (N, C): each sample's softmax runs over
    /// its target class and <paramref name="n_samples"/> negative classes drawn from the sampling distribution
    /// <paramref name="q"/>, the negatives' logits corrected by <c>-log(n_samples * q~_j)</c>.
    /// </summary>
    /// <remarks>
    /// <para><b>Definition.</b> For sample i with target y, negatives <c>S_i = (s_1, ..., s_n)</c> are drawn from
    /// <c>q~</c>: q itself, or, with <paramref name="remove_accidental_hits"/>, q with the target's entry removed and
    /// renormalised (so no negative can be the target). Then</para>
    /// <para><c>l_i = -o_y + log(exp(o_y) + sum_{s in S_i} exp(o_s - log(n q~_s)))</c>,</para>
    /// <para>where <c>sum_s exp(o_s) / (n q~_s)</c> is the importance-sampling estimate of <c>sum_{j != y} exp(o_j)</c>, so
    /// the loss and its gradient approach those of the full cross-entropy as n grows (they are biased for finite n, the
    /// bias coming from the logarithm). With uniform q, <paramref name="remove_accidental_hits"/> and n = C - 1 without
    /// replacement, every other class is drawn once and <c>n q~ = 1</c>: the loss is exactly the full cross-entropy.
    /// Without removal the target may be drawn as a negative and is then counted twice (an upward bias that the removal
    /// avoids). Without replacement, <c>n q~_j</c> is the inclusion probability for uniform q and an approximation of it
    /// otherwise (as TensorFlow's samplers approximate it).</para>
    /// <para><b>Randomness.</b> The draws come from <paramref name="generator"/> (torch's default generator when null); the
    /// same generator state gives the same negatives. Gradients flow to the logits of the target and of the drawn
    /// classes only.</para>
    /// <para><b>When to use it.</b> Classification over a very large vocabulary or catalogue (language models,
    /// recommendation, extreme classification), where computing all C logits is too costly: use the
    /// <c>hidden</c>/<c>weights</c> overload, which computes only the logits it needs. Non-uniform q (e.g. the unigram
    /// or a log-uniform / Zipfian distribution) with the log-Q correction gives the sampling-bias-corrected estimator of
    /// Bengio and Senécal 2008 and Jean et al. 2015.</para>
    /// <para>Computed with <c>logsumexp</c>: logits of magnitude 1e4 in float32 give finite values and gradients.</para>
    /// <code>
    /// var gen = new Generator(42);
    /// var loss = Losses.sampled_softmax_loss(logits, labels, n_samples: 64, generator: gen);
    /// </code>
    /// Reference: Jean, Cho, Memisevic, Bengio 2015, "On Using Very Large Target Vocabulary for Neural Machine Translation";
    /// Bengio and Senécal 2008; TensorFlow, <c>tf.nn.sampled_softmax_loss</c>.
    /// </remarks>
    /// <param name="input">Logits, shape (N, C).</param>
    /// <param name="target">Class indices, shape (N), int64.</param>
    /// <param name="n_samples">Negatives per sample, &gt;= 1 (at most the number of classes available without replacement).</param>
    /// <param name="q">Optional sampling distribution over the classes, shape (C), non-negative (normalised here); uniform when null.</param>
    /// <param name="replacement">Draw the negatives of a sample with replacement.</param>
    /// <param name="remove_accidental_hits">Exclude each sample's target from its negatives' distribution.</param>
    /// <param name="generator">The random generator (null: torch's default).</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor sampled_softmax_loss(Tensor input, Tensor target, long n_samples, Tensor? q = null, bool replacement = false, bool remove_accidental_hits = true,
        Generator? generator = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "sampled_softmax_loss";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        Check.Rank(target, name, nameof(target), 1);
        Check.SameBatch(input, nameof(input), target, nameof(target), name);
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (q, nameof(q)));
        SampledSoftmax.Validate(name, input.shape[1], target, n_samples, q, replacement, remove_accidental_hits, reduction);

        using var scope = NewDisposeScope();
        var y = target.to_type(ScalarType.Int64);
        var (negatives, correction) = SampledSoftmax.Draw(y, input.shape[1], n_samples, q, replacement, remove_accidental_hits, generator, input.dtype);
        var trueLogit = input.gather(1, y.unsqueeze(1));
        var sampled = input.gather(1, negatives);
        return SampledSoftmax.Loss(trueLogit, sampled, correction, reduction, name).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Sampled softmax cross-entropy from hidden states and the output layer's weights: the logits of the target and of the
    /// drawn negatives are computed as <c>hidden · weights[j] + bias[j]</c> and nothing else is. Otherwise as
    /// <see cref="sampled_softmax_loss(Tensor, Tensor, long, Tensor?, bool, bool, Generator?, Reduction)"/>.
    /// </summary>
    /// <remarks>
    /// Cost O(N (n + 1) D) instead of O(N C D). Gradients flow to the hidden states and to the rows of the weights (and
    /// bias) of the classes used. The draw itself needs O(N n) memory with replacement (rejection of the targets'
    /// draws); without replacement each row draws from its own distribution, an (N, C) matrix.
    /// <code>
    /// var loss = Losses.sampled_softmax_loss(hidden, outputLayer.weight, labels, n_samples: 64, bias: outputLayer.bias, generator: gen);
    /// </code>
    /// </remarks>
    /// <param name="hidden">Hidden states, shape (N, D).</param>
    /// <param name="weights">The output layer's weights, shape (C, D) (as <c>nn.Linear(D, C).weight</c>).</param>
    /// <param name="target">Class indices, shape (N), int64.</param>
    /// <param name="n_samples">Negatives per sample, &gt;= 1.</param>
    /// <param name="bias">Optional output bias, shape (C).</param>
    /// <param name="q">Optional sampling distribution, shape (C); uniform when null.</param>
    /// <param name="replacement">Draw with replacement.</param>
    /// <param name="remove_accidental_hits">Exclude each sample's target from its negatives' distribution.</param>
    /// <param name="generator">The random generator (null: torch's default).</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor sampled_softmax_loss(Tensor hidden, Tensor weights, Tensor target, long n_samples, Tensor? bias = null, Tensor? q = null, bool replacement = false,
        bool remove_accidental_hits = true, Generator? generator = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "sampled_softmax_loss";
        Check.Floating(hidden, name, nameof(hidden));
        Check.Rank(hidden, name, nameof(hidden), 2);
        Check.Floating(weights, name, nameof(weights));
        Check.Rank(weights, name, nameof(weights), 2);
        Check.Size(weights, 1, hidden.shape[1], name, nameof(weights), "the hidden size D of 'hidden'");
        Check.Rank(target, name, nameof(target), 1);
        Check.SameBatch(hidden, nameof(hidden), target, nameof(target), name);
        long c = weights.shape[0];
        if (bias is not null)
        {
            Check.Floating(bias, name, nameof(bias));
            if (bias.dim() != 1 || bias.shape[0] != c)
                throw new ArgumentException($"{name}: 'bias' must have shape ({c}) (one per class of 'weights'), got {Check.Shape(bias)}", nameof(bias));
        }
        Check.SameDevice(name, (hidden, nameof(hidden)), (weights, nameof(weights)), (target, nameof(target)), (bias, nameof(bias)), (q, nameof(q)));
        SampledSoftmax.Validate(name, c, target, n_samples, q, replacement, remove_accidental_hits, reduction);

        using var scope = NewDisposeScope();
        var y = target.to_type(ScalarType.Int64);
        var (negatives, correction) = SampledSoftmax.Draw(y, c, n_samples, q, replacement, remove_accidental_hits, generator, hidden.dtype);
        var w = weights.to_type(hidden.dtype);
        var trueLogit = (hidden * w.index_select(0, y)).sum(1, keepdim: true);
        var sampledWeights = w.index_select(0, negatives.reshape(-1)).reshape(negatives.shape[0], negatives.shape[1], w.shape[1]);
        var sampled = torch.einsum("nd,nkd->nk", hidden, sampledWeights);
        if (bias is not null)
        {
            var b = bias.to_type(hidden.dtype);
            trueLogit = trueLogit + b.index_select(0, y).unsqueeze(1);
            sampled = sampled + b.index_select(0, negatives.reshape(-1)).reshape(negatives.shape);
        }
        return SampledSoftmax.Loss(trueLogit, sampled, correction, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The shared core of the two forms of <see cref="Losses.sampled_softmax_loss(Tensor, Tensor, long, Tensor?, bool, bool, Generator?, Reduction)"/>.</summary>
internal static class SampledSoftmax
{
    public static void Validate(string name, long c, Tensor target, long nSamples, Tensor? q, bool replacement, bool removeHits, Reduction reduction)
    {
        Reduce.NoBatchMean(reduction, name);
        Check.ClassIndices(target, c, name, nameof(target));
        Check.Param(nSamples >= 1, name, "n_samples", ">= 1", nSamples);
        long available = c;
        if (q is not null)
        {
            Check.Floating(q, name, nameof(q));
            if (q.dim() != 1 || q.shape[0] != c)
                throw new ArgumentException($"{name}: 'q' must be a distribution over the {c} classes, shape ({c}), got {Check.Shape(q)}", nameof(q));
            Check.NonNegativeValues(q, name, nameof(q), "it is a sampling distribution");
            using var scope = NewDisposeScope();
            available = q.gt(0).sum().item<long>();
            if (!q.isfinite().all().item<bool>())
                throw new ArgumentException($"{name}: 'q' must be finite", nameof(q));
            if (available == 0)
                throw new ArgumentException($"{name}: 'q' has no positive entry to sample from", nameof(q));
            if (removeHits && target.numel() > 0)
            {
                var qy = q.index_select(0, target.to_type(ScalarType.Int64));
                if (qy.gt(0).any().item<bool>()) available -= 1;
            }
        }
        else if (removeHits) available = c - 1;
        if (available < 1 || (!replacement && nSamples > available))
        {
            string why = replacement ? "no class is left to sample" : $"only {available} class(es) can be drawn without replacement{(removeHits ? " once the target is removed" : "")}";
            throw new ArgumentOutOfRangeException("n_samples", nSamples, $"{name}: 'n_samples' = {nSamples} is too large: {why}");
        }
    }

    /// <summary>
    /// Draws the negatives (N, n) from q~ (q, without each row's target when removing hits) and returns them with their
    /// log-Q corrections <c>log(n q~_j)</c>, (N, n), on the targets' device. The draws are made on the CPU with the
    /// (CPU) generator, so a seed gives the same negatives whatever the device. With replacement they are i.i.d. draws
    /// from the vector q, the target's draws redrawn (rejection sampling, O(N n) memory); without replacement each row
    /// draws from its own (C) distribution (an (N, C) matrix).
    /// </summary>
    public static (Tensor Negatives, Tensor Correction) Draw(Tensor y, long c, long n, Tensor? q, bool replacement, bool removeHits, Generator? generator, ScalarType dtype)
    {
        var device = y.device;
        var yc = y.cpu();
        long rows = yc.shape[0];
        var qc = q is null ? torch.ones(c, dtype: ScalarType.Float64) : q.detach().cpu().to_type(ScalarType.Float64);
        qc = qc / qc.sum();
        if (rows == 0) return (torch.zeros(0, n, dtype: ScalarType.Int64, device: device), torch.zeros(0, n, dtype: dtype, device: device));
        Tensor negatives, probability;
        if (replacement)
        {
            negatives = torch.multinomial(qc, rows * n, true, generator).reshape(rows, n);
            if (removeHits)
            {
                var hits = negatives.eq(yc.unsqueeze(1));
                while (hits.any().item<bool>())
                {
                    negatives = negatives.masked_scatter(hits, torch.multinomial(qc, hits.sum().item<long>(), true, generator));
                    hits = negatives.eq(yc.unsqueeze(1));
                }
            }
            probability = qc.index_select(0, negatives.reshape(-1)).reshape(rows, n);
            if (removeHits) probability = probability / (1.0 - qc.index_select(0, yc)).unsqueeze(1);
        }
        else
        {
            var probs = qc.unsqueeze(0).expand(rows, c).clone();
            if (removeHits) probs = probs.scatter(1, yc.unsqueeze(1), torch.zeros(rows, 1, dtype: ScalarType.Float64));
            probs = probs / probs.sum(1, keepdim: true);
            negatives = torch.multinomial(probs, n, false, generator);
            probability = probs.gather(1, negatives);
        }
        var correction = (probability * n).log().to_type(dtype);
        return (negatives.to(device), correction.to(device));
    }

    /// <summary>Per row <c>logsumexp([o_y, o_s - corr_s]) - o_y</c>, reduced.</summary>
    public static Tensor Loss(Tensor trueLogit, Tensor sampled, Tensor correction, Reduction reduction, string name)
    {
        var logits = torch.cat(new[] { trueLogit, sampled - correction }, 1);
        var loss = torch.logsumexp(logits, 1) - trueLogit.squeeze(1);
        return Reduce.Apply(loss, reduction, name);
    }
}

/// <summary>Sampled softmax over full logits as a module; it owns a generator seeded at construction, so successive calls draw new negatives. See <see cref="Losses.sampled_softmax_loss(Tensor, Tensor, long, Tensor?, bool, bool, Generator?, Reduction)"/>.</summary>
public sealed class SampledSoftmaxLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly long nSamples;
    private readonly Tensor? q;
    private readonly bool replacement;
    private readonly bool removeAccidentalHits;
    private readonly Generator generator;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of the function, and <paramref name="seed"/> seeds the module's generator.</summary>
    /// <param name="n_samples">Negatives per sample.</param>
    /// <param name="q">Optional sampling distribution (C).</param>
    /// <param name="replacement">Draw with replacement.</param>
    /// <param name="remove_accidental_hits">Exclude each sample's target from its negatives' distribution.</param>
    /// <param name="seed">Seed of the module's generator.</param>
    /// <param name="reduction">The reduction.</param>
    public SampledSoftmaxLoss(long n_samples, Tensor? q = null, bool replacement = false, bool remove_accidental_hits = true, ulong seed = 0, Reduction reduction = Reduction.Mean) : base(nameof(SampledSoftmaxLoss))
    {
        Check.Param(n_samples >= 1, nameof(SampledSoftmaxLoss), nameof(n_samples), ">= 1", n_samples);
        Reduce.NoBatchMean(reduction, nameof(SampledSoftmaxLoss));
        nSamples = n_samples;
        this.q = q;
        this.replacement = replacement;
        removeAccidentalHits = remove_accidental_hits;
        generator = new Generator(seed);
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) =>
        Losses.sampled_softmax_loss(input, target, nSamples, q, replacement, removeAccidentalHits, generator, reduction);
}

internal sealed class SampledSoftmaxDefinition : LossDefinition
{
    public override string Name => "sampled_softmax";
    public override string Family => "classification";
    public override string Summary => "Sampled softmax cross-entropy with the log-Q correction, from full logits or hidden states and output weights; seeded negatives.";
    public override string Math => "S_i ~ q~ (q without y_i when removing hits), n draws; l_i = -o_y + log(exp(o_y) + sum_{s in S_i} exp(o_s - log(n q~_s)))";
    public override string Reference => "Jean et al. 2015, On Using Very Large Target Vocabulary for Neural Machine Translation; Bengio and Senecal 2008; tf.nn.sampled_softmax_loss";
    public override string Function => "Losses.sampled_softmax_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("n_samples", 5, "negatives drawn per sample", min: 1),
        ParamSpec.Bool("replacement", false, "draw the negatives with replacement"),
        ParamSpec.Bool("remove_accidental_hits", true, "exclude each sample's target from its negatives' distribution"),
        ParamSpec.Int("seed", 0, "seed of the torch.Generator drawing the negatives (same seed, same negatives)", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        new InputSpec("input", "(N, C) logits (or give hidden and weights)", Required: false, Differentiable: true),
        InputSpec.Data("target", "(N) class indices"),
        new InputSpec("hidden", "(N, D) hidden states (with weights, instead of input)", Required: false, Differentiable: true),
        new InputSpec("weights", "(C, D) output-layer weights (with hidden)", Required: false, Differentiable: true),
        new InputSpec("bias", "(C) output-layer bias (with hidden)", Required: false, Differentiable: true),
        InputSpec.Optional("q", "(C) sampling distribution (uniform when absent)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p)
    {
        var input = x.Optional("input");
        var hidden = x.Optional("hidden");
        var weights = x.Optional("weights");
        using var generator = new Generator((ulong)p.Int("seed"));
        if (input is not null)
        {
            if (hidden is not null || weights is not null || x.Optional("bias") is not null)
                throw new ArgumentException("sampled_softmax: give either 'input' (logits) or 'hidden' and 'weights' (and 'bias'), not both", "input");
            return Losses.sampled_softmax_loss(input, x.Required("target"), p.Int("n_samples"), x.Optional("q"), p.Bool("replacement"), p.Bool("remove_accidental_hits"), generator, p.Reduction);
        }
        if (hidden is null || weights is null)
            throw new ArgumentException("sampled_softmax: give 'input' (logits), or 'hidden' and 'weights'", hidden is null ? "hidden" : "weights");
        return Losses.sampled_softmax_loss(hidden, weights, x.Required("target"), p.Int("n_samples"), x.Optional("bias"), x.Optional("q"), p.Bool("replacement"),
            p.Bool("remove_accidental_hits"), generator, p.Reduction);
    }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,8) logits n=3 mean", g => new() { ["input"] = Sample.Normal(g, [6, 8], 2), ["target"] = Sample.Labels(g, 6, 8) }, ("n_samples", "3"));
        yield return GradcheckCase.Of("(4,6) hidden D=3 bias n=4 none", g => new()
        {
            ["hidden"] = Sample.Normal(g, [4, 3]),
            ["weights"] = Sample.Normal(g, [6, 3]),
            ["bias"] = Sample.Normal(g, [6], 0.5),
            ["target"] = Sample.Labels(g, 4, 6),
        }, ("n_samples", "4"), ("reduction", "none"), ("seed", "7"));
        yield return GradcheckCase.Of("(5,7) non-uniform q, replacement, hits kept, sum", g => new()
        {
            ["input"] = Sample.Normal(g, [5, 7], 2),
            ["target"] = Sample.Labels(g, 5, 7),
            ["q"] = Sample.Uniform(g, [7], 0.2, 1),
        }, ("n_samples", "6"), ("replacement", "true"), ("remove_accidental_hits", "false"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,5) all negatives n=4", g => new() { ["input"] = Sample.Normal(g, [1, 5]), ["target"] = Sample.Labels(g, 1, 5) }, ("n_samples", "4"));
    }
}
