using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The CLIP loss (Radford et al. 2021): the symmetric InfoNCE of N matching image/text pairs. With
    /// <c>L = scale * cos(image_i, text_j)</c>, it averages the cross entropy of each row (image to text) and of each
    /// column (text to image) with the matching pair as target: <c>l_i = ((-L_ii + logsumexp_j L_ij) + (-L_ii + logsumexp_j L_ji)) / 2</c>.
    /// </summary>
    /// <remarks>
    /// <para>Use it to align two modalities (images and captions, audio and text, queries and documents) in one embedding
    /// space from paired data, with every other pair of the batch as negatives.</para>
    /// <para>The scale is CLIP's learnable temperature: pass <paramref name="logit_scale"/>, a scalar tensor holding
    /// <c>log(1 / temperature)</c> (CLIP initialises it at <c>log(1 / 0.07)</c>), and the loss uses
    /// <c>min(exp(logit_scale), max_scale)</c>, CLIP's clipping at 100 (no gradient past it). Without it the scale is
    /// the fixed <c>1 / temperature</c>. With the fixed scale it equals
    /// <see cref="multiple_negatives_ranking_loss"/> with <c>scale = 1 / temperature</c> and <c>symmetric</c>.</para>
    /// <para>Embeddings are normalised with <c>x / max(||x||, 1e-12)</c>; logits are bounded by the scale; the cross
    /// entropies use <c>logsumexp</c>. With <paramref name="chunk_size"/> &gt; 0 both directions are computed in chunks
    /// of rows, so that only one (chunk, N) block of logits exists at a time; the result is the same.</para>
    /// <code>
    /// var logitScale = torch.tensor(Math.Log(1 / 0.07), requires_grad: true);   // learnable
    /// var loss = Losses.clip_loss(imageEmbeddings, textEmbeddings, logitScale);
    /// </code>
    /// </remarks>
    /// <param name="image_embeds">Image embeddings (N, D), floating.</param>
    /// <param name="text_embeds">Text embeddings (N, D): text i describes image i.</param>
    /// <param name="logit_scale">Optional learnable log-scale, a scalar tensor; null: fixed <c>1 / temperature</c>.</param>
    /// <param name="temperature">The fixed temperature used without <paramref name="logit_scale"/>, &gt; 0.</param>
    /// <param name="max_scale">The largest scale <c>exp(logit_scale)</c> may give, &gt; 0 (CLIP's 100).</param>
    /// <param name="chunk_size">Rows per block of logits (0: all at once).</param>
    /// <param name="reduction">none: per-pair losses (N), the average of both directions; mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes or devices.</exception>
    public static Tensor clip_loss(Tensor image_embeds, Tensor text_embeds, Tensor? logit_scale = null, double temperature = 0.07, double max_scale = 100.0,
        long chunk_size = 0, Reduction reduction = Reduction.Mean)
    {
        const string name = "clip_loss";
        Check.Embeddings(image_embeds, name, nameof(image_embeds));
        Check.Floating(text_embeds, name, nameof(text_embeds));
        Check.SameShape(image_embeds, nameof(image_embeds), text_embeds, nameof(text_embeds), name);
        if (logit_scale is not null) Check.ScalarTensor(logit_scale, name, nameof(logit_scale));
        Check.SameFloatType(name, (image_embeds, nameof(image_embeds)), (text_embeds, nameof(text_embeds)), (logit_scale, nameof(logit_scale)));
        Check.SameDevice(name, (image_embeds, nameof(image_embeds)), (text_embeds, nameof(text_embeds)), (logit_scale, nameof(logit_scale)));
        Check.PositiveFinite(temperature, name, nameof(temperature));
        Check.PositiveFinite(max_scale, name, nameof(max_scale));
        Check.ChunkSize(chunk_size, name);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var img = InBatch.Prepare(image_embeds, PairSimilarity.Cosine);
        var txt = InBatch.Prepare(text_embeds, PairSimilarity.Cosine);
        var scale = logit_scale is null
            ? torch.tensor(1.0 / temperature, dtype: image_embeds.dtype, device: image_embeds.device)
            : logit_scale.reshape(Array.Empty<long>()).clamp_max(System.Math.Log(max_scale)).exp();
        var imageToText = InBatch.DiagonalCrossEntropy(img, txt, scale, chunk_size);
        var textToImage = InBatch.DiagonalCrossEntropy(txt, img, scale, chunk_size);
        var loss = (imageToText + textToImage) * 0.5;
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The CLIP loss as a module holding the learnable <see cref="LogitScale"/> (initialised at <c>log(1 / 0.07)</c>, or
/// fixed when <c>learnable</c> is false); <c>forward(image_embeds, text_embeds)</c>. See <see cref="Losses.clip_loss"/>.
/// </summary>
public sealed class ClipLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Parameter? logitScale;
    private readonly double temperature;
    private readonly double maxScale;
    private readonly long chunkSize;
    private readonly Reduction reduction;

    /// <summary>Creates the module.</summary>
    /// <param name="temperature">The initial (learnable) or fixed temperature, &gt; 0 (CLIP's 0.07).</param>
    /// <param name="learnable">Learn the temperature through a log-scale parameter.</param>
    /// <param name="max_scale">See <see cref="Losses.clip_loss"/>.</param>
    /// <param name="chunk_size">See <see cref="Losses.clip_loss"/>.</param>
    /// <param name="reduction">See <see cref="Losses.clip_loss"/>.</param>
    /// <param name="dtype">The log-scale's dtype (default float32).</param>
    public ClipLoss(double temperature = 0.07, bool learnable = true, double max_scale = 100.0, long chunk_size = 0, Reduction reduction = Reduction.Mean,
        ScalarType dtype = ScalarType.Float32) : base(nameof(ClipLoss))
    {
        Check.PositiveFinite(temperature, nameof(ClipLoss), nameof(temperature));
        Check.PositiveFinite(max_scale, nameof(ClipLoss), nameof(max_scale));
        Check.ChunkSize(chunk_size, nameof(ClipLoss));
        Reduce.NoBatchMean(reduction, nameof(ClipLoss));
        if (learnable) logitScale = new TorchSharp.Modules.Parameter(torch.tensor(System.Math.Log(1.0 / temperature), dtype: dtype));
        this.temperature = temperature;
        maxScale = max_scale;
        chunkSize = chunk_size;
        this.reduction = reduction;
        RegisterComponents();
    }

    /// <summary>The learnable log-scale, or null when the temperature is fixed.</summary>
    public TorchSharp.Modules.Parameter? LogitScale => logitScale;

    /// <inheritdoc/>
    public override Tensor forward(Tensor image_embeds, Tensor text_embeds) =>
        Losses.clip_loss(image_embeds, text_embeds, logitScale, temperature, maxScale, chunkSize, reduction);
}

internal sealed class ClipDefinition : LossDefinition
{
    public override string Name => "clip";
    public override string Family => "contrastive";
    public override string Summary => "CLIP's symmetric InfoNCE over matching image/text pairs, learnable (logit_scale) or fixed temperature.";
    public override string Math => "L = scale * cos(img_i, txt_j), scale = min(exp(logit_scale), max_scale) or 1/temperature;  l_i = (CE(L_i., i) + CE(L_.i, i)) / 2";
    public override string Reference => "Radford et al. 2021, Learning Transferable Visual Models From Natural Language Supervision (CLIP)";
    public override string Function => "Losses.clip_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("temperature", 0.07, "the fixed temperature used without a logit_scale input", min: 0, minExclusive: true),
        ParamSpec.Float("max_scale", 100.0, "the largest scale exp(logit_scale) may give", min: 0, minExclusive: true),
        ParamSpec.Int("chunk_size", 0, "rows per block of logits; 0: all at once", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("image_embeds", "(N, D) image embeddings"),
        InputSpec.Grad("text_embeds", "(N, D) text embeddings, text i for image i"),
        new InputSpec("logit_scale", "() learnable log of the inverse temperature", Required: false, Differentiable: true),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.clip_loss(x.Required("image_embeds"), x.Required("text_embeds"), x.Optional("logit_scale"), p.Float("temperature"), p.Float("max_scale"), p.Int("chunk_size"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(5,4) fixed t=0.5", g => new() { ["image_embeds"] = Sample.Normal(g, [5, 4]), ["text_embeds"] = Sample.Normal(g, [5, 4]) }, ("temperature", "0.5"));
        yield return GradcheckCase.Of("(6,3) logit_scale=log 3 chunk=4 none", g => new()
        {
            ["image_embeds"] = Sample.Normal(g, [6, 3]),
            ["text_embeds"] = Sample.Normal(g, [6, 3]),
            ["logit_scale"] = torch.tensor(System.Math.Log(3.0), dtype: ScalarType.Float64),
        }, ("chunk_size", "4"), ("reduction", "none"));
        yield return GradcheckCase.Of("(4,5) logit_scale=0.2 sum", g => new()
        {
            ["image_embeds"] = Sample.Normal(g, [4, 5]),
            ["text_embeds"] = Sample.Normal(g, [4, 5]),
            ["logit_scale"] = torch.tensor(0.2, dtype: ScalarType.Float64),
        }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,4) single pair", g => new() { ["image_embeds"] = Sample.Normal(g, [1, 4]), ["text_embeds"] = Sample.Normal(g, [1, 4]) });
    }
}
