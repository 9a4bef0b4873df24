using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Temporal contrastive loss (InfoNCE between latents k steps apart): CPC (van den Oord, Li, Vinyals 2018) and ATC
    /// (Stooke, Lee, Abbeel, Laskin 2021, "Decoupling Representation Learning from Reinforcement Learning"). Each latent
    /// <c>z_{b,t}</c> must pick out the latent of its own sequence k steps later, <c>z'_{b,t+k}</c>, among those of every
    /// (sequence, step) pair of the batch:
    /// <c>l_{b,t} = -log softmax_{(c,u)}(s(z_{b,t}, z'_{c,u+k}) / temperature)_{(b,t)}</c>, with the score
    /// <c>s(q, k) = q^T W k</c> (W the optional bilinear matrix, else the identity) of the rows, normalised first for the cosine.
    /// </summary>
    /// <remarks>
    /// <para>The positives are on the diagonal of the (M, M) score matrix, <c>M = B (T - k)</c>; every other pair of the batch,
    /// including other steps of the same sequence, is a negative. <paramref name="targets"/> are the key encoder's latents
    /// (ATC's momentum encoder, computed without gradient by the caller); without them the keys are the latents themselves
    /// and the gradient reaches both ends (CPC). CPC learns one W_k per offset: call once per k with its own W and add the
    /// losses. ATC's logits are <c>anchor W positive^T</c> with no temperature (1, the default). This is
    /// <see cref="info_nce_loss"/> with in-batch negatives over time-shifted pairs and an optional bilinear score; it is
    /// computed with <c>log_softmax</c> (finite for any scale) and, with <paramref name="chunk_size"/> &gt; 0, one
    /// (chunk, M) block of scores at a time.</para>
    /// <code>
    /// var z = encoder.forward(observations).reshape(b, t, -1);               // (B, T, D)
    /// Tensor zTarget;
    /// using (torch.no_grad()) zTarget = momentumEncoder.forward(observations).reshape(b, t, -1);
    /// var loss = Losses.temporal_contrastive_loss(predictor.forward(z), zTarget, w, k: 3);
    /// </code>
    /// </remarks>
    /// <param name="latents">The online latents (anchors) z, (B, T, D).</param>
    /// <param name="targets">The key latents z' (e.g. a momentum encoder's), the shape of <paramref name="latents"/>; null: the latents.</param>
    /// <param name="weight">Optional bilinear matrix W, (D, D).</param>
    /// <param name="k">The offset in steps between anchor and positive, in [1, T).</param>
    /// <param name="temperature">Divides the scores, &gt; 0.</param>
    /// <param name="similarity">Dot product (the default, CPC and ATC) or cosine (rows normalised before W).</param>
    /// <param name="chunk_size">Anchors per block of scores (0: all at once).</param>
    /// <param name="reduction">none: per-anchor losses (B, T - k); mean; sum.</param>
    /// <returns>A scalar, or (B, T - k) for reduction none.</returns>
    public static Tensor temporal_contrastive_loss(Tensor latents, Tensor? targets = null, Tensor? weight = null, long k = 1, double temperature = 1.0,
        PairSimilarity similarity = PairSimilarity.DotProduct, long chunk_size = 0, Reduction reduction = Reduction.Mean)
    {
        const string name = "temporal_contrastive_loss";
        Check.Floating(latents, name, nameof(latents));
        Check.Rank(latents, name, nameof(latents), 3);
        if (latents.shape[0] == 0 || latents.shape[2] == 0)
            throw new ArgumentException($"{name}: 'latents' must hold at least one sequence of latents of at least one dimension, shape (B, T, D), got {Check.Shape(latents)}", nameof(latents));
        if (targets is not null)
        {
            Check.Floating(targets, name, nameof(targets));
            Check.SameShape(latents, nameof(latents), targets, nameof(targets), name);
        }
        Check.Param(k >= 1 && k < latents.shape[1], name, nameof(k), $"in [1, {latents.shape[1] - 1}] (the sequence holds T = {latents.shape[1]} steps)", k);
        BilinearInBatch.CheckWeight(weight, latents.shape[2], latents, nameof(latents), name);
        Check.SameFloatType(name, (latents, nameof(latents)), (targets, nameof(targets)));
        Check.SameDevice(name, (latents, nameof(latents)), (targets, nameof(targets)));
        Check.PositiveFinite(temperature, name, nameof(temperature));
        if (!Enum.IsDefined(similarity))
            throw new ArgumentOutOfRangeException(nameof(similarity), similarity, $"{name}: 'similarity' must be one of {string.Join(", ", PairSimilarityNames.All)}");
        Check.ChunkSize(chunk_size, name);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        long b = latents.shape[0], steps = latents.shape[1] - k, d = latents.shape[2];
        var anchors = InBatch.Prepare(latents.narrow(1, 0, steps).reshape(b * steps, d), similarity);
        var keys = InBatch.Prepare((targets ?? latents).narrow(1, k, steps).reshape(b * steps, d), similarity);
        var perAnchor = BilinearInBatch.DiagonalCrossEntropy(anchors, keys, weight, temperature, chunk_size).reshape(b, steps);
        return Reduce.Apply(perAnchor, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The temporal contrastive loss as a module; see <see cref="Losses.temporal_contrastive_loss"/>.
/// <c>forward(latents, targets)</c>, with a learned bilinear W when created with <c>bilinear_size</c> &gt; 0.</summary>
public sealed class TemporalContrastiveLoss : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly long k, chunkSize;
    private readonly double temperature;
    private readonly PairSimilarity similarity;
    private readonly Reduction reduction;
    private readonly TorchSharp.Modules.Parameter? weight;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.temporal_contrastive_loss"/>.</summary>
    /// <param name="k">The offset in steps.</param>
    /// <param name="temperature">Divides the scores.</param>
    /// <param name="similarity">Dot product or cosine.</param>
    /// <param name="bilinear_size">D &gt; 0: learn a bilinear W (D, D), initialised to the identity; 0: no W.</param>
    /// <param name="chunk_size">Anchors per block of scores.</param>
    /// <param name="reduction">The reduction.</param>
    public TemporalContrastiveLoss(long k = 1, double temperature = 1.0, PairSimilarity similarity = PairSimilarity.DotProduct, long bilinear_size = 0, long chunk_size = 0, Reduction reduction = Reduction.Mean)
        : base(nameof(TemporalContrastiveLoss))
    {
        Check.Param(k >= 1, nameof(TemporalContrastiveLoss), nameof(k), ">= 1", k);
        Check.PositiveFinite(temperature, nameof(TemporalContrastiveLoss), nameof(temperature));
        Check.Param(bilinear_size >= 0, nameof(TemporalContrastiveLoss), nameof(bilinear_size), ">= 0", bilinear_size);
        Check.ChunkSize(chunk_size, nameof(TemporalContrastiveLoss));
        Reduce.NoBatchMean(reduction, nameof(TemporalContrastiveLoss));
        this.k = k;
        this.temperature = temperature;
        this.similarity = similarity;
        chunkSize = chunk_size;
        this.reduction = reduction;
        if (bilinear_size > 0) weight = new TorchSharp.Modules.Parameter(torch.eye(bilinear_size));
        RegisterComponents();
    }

    /// <summary>The learned bilinear matrix W, or null.</summary>
    public Tensor? Weight => weight;

    /// <inheritdoc/>
    public override Tensor forward(Tensor latents, Tensor? targets) =>
        Losses.temporal_contrastive_loss(latents, targets, weight, k, temperature, similarity, chunkSize, reduction);
}

internal sealed class TemporalContrastiveDefinition : LossDefinition
{
    public override string Name => "temporal_contrastive";
    public override string Family => "contrastive";
    public override string Summary => "Temporal InfoNCE (CPC, ATC): each latent picks its own sequence's latent k steps later among the batch's, score q^T W k / temperature.";
    public override string Math => "l_{b,t} = -log softmax_{(c,u)}(z_{b,t}^T W z'_{c,u+k} / t)_{(b,t)};  W = I when not given; z' = targets or latents";
    public override string Reference => "van den Oord, Li, Vinyals 2018 (CPC); Stooke, Lee, Abbeel, Laskin 2021, Decoupling Representation Learning from Reinforcement Learning (ATC)";
    public override string Function => "Losses.temporal_contrastive_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("k", 1, "steps between anchor and positive (< T)", min: 1),
        ParamSpec.Float("temperature", 1.0, "divides the scores", min: 0, minExclusive: true),
        ParamSpec.Choice("similarity", "dot_product", "dot product (CPC, ATC) or cosine (rows normalised before W)", "dot_product", "cosine"),
        ParamSpec.Int("chunk_size", 0, "anchors per block of scores; 0: all at once", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("latents", "(B, T, D) online latents (anchors)"),
        new InputSpec("targets", "(B, T, D) key latents (momentum encoder); default: latents", Required: false, Differentiable: true),
        new InputSpec("weight", "(D, D) bilinear matrix W; default: identity", Required: false, Differentiable: true),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.temporal_contrastive_loss(x.Required("latents"), x.Optional("targets"), x.Optional("weight"), p.Int("k"), p.Float("temperature"),
            PairSimilarityNames.Parse(p.Choice("similarity")), p.Int("chunk_size"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Make(long b, long t, long d, bool targets, bool weight) => g =>
        {
            var x = new Dictionary<string, Tensor> { ["latents"] = Sample.Normal(g, [b, t, d]) };
            if (targets) x["targets"] = Sample.Normal(g, [b, t, d]);
            if (weight) x["weight"] = Sample.Normal(g, [d, d], 0.5);
            return x;
        };
        yield return GradcheckCase.Of("(2,4,3) k=1 self-keys", Make(2, 4, 3, false, false));
        yield return GradcheckCase.Of("(3,5,2) k=2 targets W t=0.5 none", Make(3, 5, 2, true, true), ("k", "2"), ("temperature", "0.5"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,3,4) k=1 cosine W chunk=1 sum", Make(1, 3, 4, false, true), ("similarity", "cosine"), ("chunk_size", "1"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(2,6,3) k=3 targets cosine t=0.2", Make(2, 6, 3, true, false), ("k", "3"), ("similarity", "cosine"), ("temperature", "0.2"));
    }
}
