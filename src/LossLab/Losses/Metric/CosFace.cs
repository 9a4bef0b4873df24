using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// CosFace, the additive cosine margin loss (Wang et al. 2018; also AM-Softmax, Wang et al. 2018): the target logit
    /// is <c>s (cos theta_y - m)</c>, the others <c>s cos theta_j</c>, over normalised embeddings and normalised class
    /// weights; the loss is their cross entropy.
    /// </summary>
    /// <remarks>
    /// <para>Use it like <see cref="arcface_loss"/> to learn open-set embeddings with a classification head; the margin is
    /// subtracted from the cosine itself, which is simpler and smooth everywhere (no angle, no branch). Defaults s = 64,
    /// m = 0.35 as the paper (and pytorch-metric-learning's <c>CosFaceLoss</c>). Logits are bounded by s; the cross
    /// entropy uses <c>log_softmax</c>. With m = 0 it is the normalised softmax (NormFace) cross entropy.</para>
    /// <code>
    /// var head = new CosFaceLoss(numClasses: 1000, embeddingSize: 512);
    /// var loss = head.forward(embeddings, labels);
    /// </code>
    /// </remarks>
    /// <param name="embeddings">Embeddings (N, D), floating; normalised inside.</param>
    /// <param name="weight">Class weight vectors (C, D); normalised inside.</param>
    /// <param name="labels">Class indices (N), integer, in [0, C).</param>
    /// <param name="scale">s, &gt; 0.</param>
    /// <param name="margin">m, the cosine margin, &gt;= 0.</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, devices or class indices.</exception>
    public static Tensor cosface_loss(Tensor embeddings, Tensor weight, Tensor labels, double scale = 64.0, double margin = 0.35, Reduction reduction = Reduction.Mean)
    {
        const string name = "cosface_loss";
        AngularMargin.Validate(name, embeddings, weight, labels, scale, reduction);
        Check.NonNegativeFinite(margin, name, nameof(margin));

        using var scope = NewDisposeScope();
        var cos = AngularMargin.Cosines(embeddings, weight);
        var target = AngularMargin.TargetCosine(cos, labels) - margin;
        var loss = AngularMargin.CrossEntropy(cos, labels, target, scale);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// CosFace as a classification head owning its class weights <see cref="AngularMarginHead.Weight"/> (C, D) (Xavier uniform);
/// <c>forward(embeddings, labels)</c>. See <see cref="Losses.cosface_loss"/>.
/// </summary>
public sealed class CosFaceLoss : AngularMarginHead
{
    private readonly double margin;

    /// <summary>Creates the head.</summary>
    /// <param name="numClasses">C, &gt; 0.</param>
    /// <param name="embeddingSize">D, &gt; 0.</param>
    /// <param name="scale">s.</param>
    /// <param name="margin">m.</param>
    /// <param name="reduction">See <see cref="Losses.cosface_loss"/>.</param>
    /// <param name="dtype">The weights' dtype (default float32).</param>
    public CosFaceLoss(long numClasses, long embeddingSize, double scale = 64.0, double margin = 0.35, Reduction reduction = Reduction.Mean,
        ScalarType dtype = ScalarType.Float32) : base(nameof(CosFaceLoss), numClasses, embeddingSize, scale, reduction, dtype)
    {
        Check.NonNegativeFinite(margin, nameof(CosFaceLoss), nameof(margin));
        this.margin = margin;
    }

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor embeddings, Tensor weight, Tensor labels) => Losses.cosface_loss(embeddings, weight, labels, Scale, margin, Reduction);
}

internal sealed class CosFaceDefinition : LossDefinition
{
    public override string Name => "cosface";
    public override string Family => "metric_learning";
    public override string Summary => "CosFace / AM-Softmax: softmax cross entropy with an additive cosine margin on the target class, over normalised embeddings and class weights.";
    public override string Math => "cos theta_j = <x/|x|, W_j/|W_j|>;  logit_y = s (cos theta_y - m), logit_j = s cos theta_j;  l = cross_entropy(logits, y)";
    public override string Reference => "Wang et al. 2018, CosFace: Large Margin Cosine Loss for Deep Face Recognition; Wang et al. 2018, Additive Margin Softmax";
    public override string Function => "Losses.cosface_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("scale", 64.0, "s: the logits' radius", min: 0, minExclusive: true),
        ParamSpec.Float("margin", 0.35, "m: additive cosine margin", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs => MarginHead.Inputs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.cosface_loss(x.Required("embeddings"), x.Required("weight"), x.Required("labels"), p.Float("scale"), p.Float("margin"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) C=5 s=8", g => MarginHead.Sample(g, 6, 5, 4), ("scale", "8"));
        yield return GradcheckCase.Of("(5,3) C=3 s=4 m=0.1 sum", g => MarginHead.Sample(g, 5, 3, 3), ("scale", "4"), ("margin", "0.1"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(7,6) C=4 s=16 m=0.5 none", g => MarginHead.Sample(g, 7, 4, 6), ("scale", "16"), ("margin", "0.5"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) C=3 s=2 m=0", g => MarginHead.Sample(g, 1, 3, 4), ("scale", "2"), ("margin", "0"));
    }
}
