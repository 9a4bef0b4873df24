using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>Which self-supervised objective <see cref="Losses.contrastive_model_loss"/> computes.</summary>
public enum ContrastiveModelMode
{
    /// <summary>CURL: bilinear InfoNCE <c>q^T W k</c> between two augmentations, keys from the momentum encoder (held).</summary>
    Curl,
    /// <summary>SPR: negative cosine similarity between predicted and target (EMA) projections, summed over K future steps.</summary>
    Spr,
}

public static partial class Losses
{
    /// <summary>
    /// The self-supervised objectives of data-efficient RL encoders, with the target (momentum / EMA encoder) side held
    /// constant (the held term <c>target</c>):
    /// <list type="bullet">
    /// <item><description><b>curl</b> (Laskin, Srinivas, Abbeel 2020, "CURL: Contrastive Unsupervised Representations for
    /// Reinforcement Learning"): queries q (N, D) from the online encoder, keys k (N, D) from the momentum encoder, the
    /// bilinear logits <c>q_i^T W k_j / temperature</c> and the cross-entropy toward the diagonal,
    /// <c>l_i = -log softmax_j(q_i^T W sg(k_j) / t)_i</c>.</description></item>
    /// <item><description><b>spr</b> (Schwarzer et al. 2021, "Data-Efficient Reinforcement Learning with Self-Predictive
    /// Representations"): predicted projections y^ (N, K, D) of the K future latents (transition model, projection and
    /// predictor heads) and the target projections y~ (N, K, D) from the EMA encoder,
    /// <c>l_i = -sum_k m_ik cos(y^_ik, sg(y~_ik))</c>, with the optional mask m dropping steps past an episode's end.</description></item>
    /// </list>
    /// </summary>
    /// <remarks>
    /// <para>What is trained: the online encoder (and W, the transition model, the heads) through <paramref name="online"/>
    /// and <paramref name="weight"/>; the target side is held, as its encoder is updated as an exponential moving average of
    /// the online one, outside the gradient. CURL subtracts each row's maximum from the logits, which changes nothing in the
    /// cross-entropy (log_softmax already is shift-invariant and stable). CURL's W is learned (null here: the identity, the
    /// dot product); CURL has no temperature (1, the default), SPR ignores it. SPR's cosine normalises with
    /// <c>x / max(||x||, 1e-12)</c> (<c>F.normalize</c>): zero vectors give 0, not NaN. A (N, D) input in spr mode is K = 1.</para>
    /// <code>
    /// var curl = Losses.contrastive_model_loss(queries, keys, w);                                         // (N, D), (N, D), (D, D)
    /// var spr = Losses.contrastive_model_loss(predicted, targets, mask: notDone, mode: ContrastiveModelMode.Spr);   // (N, K, D)
    /// </code>
    /// </remarks>
    /// <param name="online">curl: queries (N, D). spr: predicted projections (N, K, D) or (N, D).</param>
    /// <param name="target">The momentum / EMA encoder's keys or target projections, the shape of <paramref name="online"/>; held.</param>
    /// <param name="weight">curl only: the bilinear matrix W (D, D); null: the identity.</param>
    /// <param name="mask">spr only: 0/1 (or bool) weights of the steps, (N, K) (or (N) for (N, D) inputs); null: every step.</param>
    /// <param name="mode">curl (the default) or spr.</param>
    /// <param name="temperature">curl: divides the logits, &gt; 0.</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor contrastive_model_loss(Tensor online, Tensor target, Tensor? weight = null, Tensor? mask = null, ContrastiveModelMode mode = ContrastiveModelMode.Curl,
        double temperature = 1.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "contrastive_model_loss";
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, $"{name}: 'mode' must be curl or spr");
        Check.Floating(online, name, nameof(online));
        Check.Floating(target, name, nameof(target));
        Check.SameShape(online, nameof(online), target, nameof(target), name);
        Check.SameFloatType(name, (online, nameof(online)), (target, nameof(target)));
        Check.SameDevice(name, (online, nameof(online)), (target, nameof(target)));
        Check.PositiveFinite(temperature, name, nameof(temperature));
        Reduce.NoBatchMean(reduction, name);
        if (mode == ContrastiveModelMode.Curl)
        {
            Check.Embeddings(online, name, nameof(online));
            BilinearInBatch.CheckWeight(weight, online.shape[1], online, nameof(online), name);
            if (mask is not null) throw new ArgumentException($"{name}: 'mask' is SPR's (mode spr); CURL compares every pair of the batch", nameof(mask));
        }
        else
        {
            Check.Rank(online, name, nameof(online), 2, 3);
            if (online.shape[0] == 0 || online.shape[^1] == 0)
                throw new ArgumentException($"{name}: 'online' must hold at least one sample of at least one dimension, got {Check.Shape(online)}", nameof(online));
            if (weight is not null) throw new ArgumentException($"{name}: 'weight' (the bilinear W) is CURL's (mode curl); SPR compares by cosine", nameof(weight));
            if (mask is not null)
            {
                var steps = online.shape[..^1];
                if (mask.dtype.IsComplex() || !mask.shape.SequenceEqual(steps))
                    throw new ArgumentException($"{name}: 'mask' must hold one 0/1 weight per step, shape [{string.Join(", ", steps)}], got {Check.Shape(mask)} ({mask.dtype})", nameof(mask));
                if (mask.dtype != ScalarType.Bool) Check.InRange(mask, 0, 1, name, nameof(mask));
                Check.SameDevice(name, (online, nameof(online)), (mask, nameof(mask)));
            }
        }

        using var scope = NewDisposeScope();
        var held = Surrogate.Hold("target", target);
        Tensor perSample;
        if (mode == ContrastiveModelMode.Curl)
            perSample = BilinearInBatch.DiagonalCrossEntropy(online, held, weight, temperature, 0);
        else
        {
            var cos = (InBatch.Prepare(online, PairSimilarity.Cosine) * InBatch.Prepare(held, PairSimilarity.Cosine)).sum(-1);   // (N, K) or (N)
            if (mask is not null) cos = cos * mask.to_type(cos.dtype);
            perSample = cos.dim() == 2 ? -cos.sum(1) : -cos;
        }
        return Reduce.Apply(perSample, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>CURL / SPR as a module; see <see cref="Losses.contrastive_model_loss"/>. <c>forward(online, target)</c>, with a
/// learned bilinear W (CURL) when created with <c>bilinear_size</c> &gt; 0.</summary>
public sealed class ContrastiveModelLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ContrastiveModelMode mode;
    private readonly double temperature;
    private readonly Reduction reduction;
    private readonly TorchSharp.Modules.Parameter? weight;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.contrastive_model_loss"/>.</summary>
    /// <param name="mode">curl or spr.</param>
    /// <param name="temperature">curl: divides the logits.</param>
    /// <param name="bilinear_size">curl: D &gt; 0 learns W (D, D) (float32), initialised to the identity (CURL's code draws it uniformly in [0, 1)); 0: no W.</param>
    /// <param name="reduction">The reduction.</param>
    public ContrastiveModelLoss(ContrastiveModelMode mode = ContrastiveModelMode.Curl, double temperature = 1.0, long bilinear_size = 0, Reduction reduction = Reduction.Mean) : base(nameof(ContrastiveModelLoss))
    {
        Check.PositiveFinite(temperature, nameof(ContrastiveModelLoss), nameof(temperature));
        Check.Param(bilinear_size >= 0, nameof(ContrastiveModelLoss), nameof(bilinear_size), ">= 0", bilinear_size);
        Check.Param(bilinear_size == 0 || mode == ContrastiveModelMode.Curl, nameof(ContrastiveModelLoss), nameof(bilinear_size), "0 for mode spr (W is CURL's)", bilinear_size);
        Reduce.NoBatchMean(reduction, nameof(ContrastiveModelLoss));
        this.mode = mode;
        this.temperature = temperature;
        this.reduction = reduction;
        if (bilinear_size > 0) weight = new TorchSharp.Modules.Parameter(torch.eye(bilinear_size));
        RegisterComponents();
    }

    /// <summary>The learned bilinear matrix W, or null.</summary>
    public Tensor? Weight => weight;

    /// <inheritdoc/>
    public override Tensor forward(Tensor online, Tensor target) => Losses.contrastive_model_loss(online, target, weight, null, mode, temperature, reduction);
}

internal sealed class ContrastiveModelDefinition : LossDefinition
{
    public override string Name => "contrastive_model";
    public override string Family => "contrastive";
    public override string Summary => "RL encoder objectives with a held momentum/EMA target: CURL's bilinear InfoNCE (mode=curl) or SPR's negative cosine over K future steps (mode=spr).";
    public override string Math => "curl: l_i = -log softmax_j(q_i^T W sg(k_j) / t)_i;  spr: l_i = -sum_k m_ik cos(y^_ik, sg(y~_ik))";
    public override string Reference => "Laskin, Srinivas, Abbeel 2020, CURL; Schwarzer et al. 2021, Data-Efficient Reinforcement Learning with Self-Predictive Representations (SPR)";
    public override string Function => "Losses.contrastive_model_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["target"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("mode", "curl", "CURL's bilinear InfoNCE or SPR's negative cosine", "curl", "spr"),
        ParamSpec.Float("temperature", 1.0, "curl: divides the logits", min: 0, minExclusive: true),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("online", "curl: (N, D) queries; spr: (N, K, D) predicted projections"),
        InputSpec.Grad("target", "keys / target projections from the momentum (EMA) encoder, the shape of online; held"),
        new InputSpec("weight", "curl: (D, D) bilinear matrix W; default: identity", Required: false, Differentiable: true),
        InputSpec.Optional("mask", "spr: (N, K) 0/1 steps to count (not past an episode's end)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.contrastive_model_loss(x.Required("online"), x.Required("target"), x.Optional("weight"), x.Optional("mask"),
            p.Choice("mode") == "spr" ? ContrastiveModelMode.Spr : ContrastiveModelMode.Curl, p.Float("temperature"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("curl (5,3) W", g => new() { ["online"] = Sample.Normal(g, [5, 3]), ["target"] = Sample.Normal(g, [5, 3]), ["weight"] = Sample.Normal(g, [3, 3], 0.5) });
        yield return GradcheckCase.Of("curl (4,2) identity t=0.5 none", g => new() { ["online"] = Sample.Normal(g, [4, 2]), ["target"] = Sample.Normal(g, [4, 2]) },
            ("temperature", "0.5"), ("reduction", "none"));
        yield return GradcheckCase.Of("curl (1,3) sum", g => new() { ["online"] = Sample.Normal(g, [1, 3]), ["target"] = Sample.Normal(g, [1, 3]) }, ("reduction", "sum"));
        yield return GradcheckCase.Of("spr (4,3,5) masked", g => new() { ["online"] = Sample.Normal(g, [4, 3, 5]), ["target"] = Sample.Normal(g, [4, 3, 5]), ["mask"] = Sample.Binary(g, [4, 3]) },
            ("mode", "spr"));
        yield return GradcheckCase.Of("spr (3,4) K=1 none", g => new() { ["online"] = Sample.Normal(g, [3, 4]), ["target"] = Sample.Normal(g, [3, 4]) },
            ("mode", "spr"), ("reduction", "none"));
    }
}
