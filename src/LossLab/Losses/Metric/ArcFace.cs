using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// ArcFace, the additive angular margin loss (Deng et al. 2019): with <c>cos theta_j</c> the cosine between the
    /// normalised embedding and the normalised weight of class j, the target logit becomes <c>s cos(theta_y + m)</c>, the
    /// others stay <c>s cos theta_j</c>, and the loss is their cross entropy.
    /// </summary>
    /// <remarks>
    /// <para>Use it to train face (or speaker, or any open-set) embeddings with a classification head: the margin in
    /// angle space makes classes compact and separated on the hypersphere, so embeddings of unseen identities compare
    /// well by cosine. Defaults s = 64, m = 0.5 are the paper's.</para>
    /// <para>Computed as insightface does, without <c>arccos</c>: <c>cos(theta + m) = cos theta cos m - sin theta sin m</c>
    /// with <c>sin theta = sqrt(1 - cos^2 theta)</c> (a square root with a finite gradient at 0, so a feature aligned with
    /// its class weight gives no NaN). Past <c>theta + m &gt; pi</c>, where <c>cos(theta + m)</c> would turn back up, the
    /// target logit is <c>cos theta - m sin m</c> (the <c>th</c>/<c>mm</c> fallback of insightface); with
    /// <paramref name="easy_margin"/> the margin is applied only where <c>cos theta &gt; 0</c> and the logit is
    /// <c>cos theta</c> elsewhere. Logits are bounded by s, and the cross entropy uses <c>log_softmax</c>.</para>
    /// <code>
    /// var head = new ArcFaceLoss(numClasses: 1000, embeddingSize: 512);          // owns the (C, D) class weights
    /// var loss = head.forward(embeddings, labels);
    /// var same = Losses.arcface_loss(embeddings, head.Weight, labels, scale: 64, margin: 0.5);
    /// </code>
    /// </remarks>
    /// <param name="embeddings">Embeddings (N, D), floating; normalised inside.</param>
    /// <param name="weight">Class weight vectors (C, D); normalised inside.</param>
    /// <param name="labels">Class indices (N), integer, in [0, C).</param>
    /// <param name="scale">s, the radius of the hypersphere the logits live on, &gt; 0.</param>
    /// <param name="margin">m, the additive angular margin in radians, in [0, pi).</param>
    /// <param name="easy_margin">Apply the margin only where <c>cos theta &gt; 0</c>.</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, devices or class indices.</exception>
    public static Tensor arcface_loss(Tensor embeddings, Tensor weight, Tensor labels, double scale = 64.0, double margin = 0.5, bool easy_margin = false,
        Reduction reduction = Reduction.Mean)
    {
        const string name = "arcface_loss";
        AngularMargin.Validate(name, embeddings, weight, labels, scale, reduction);
        Check.Param(margin >= 0 && margin < System.Math.PI, name, nameof(margin), "in [0, pi)", margin);

        using var scope = NewDisposeScope();
        var cos = AngularMargin.Cosines(embeddings, weight);
        var c = AngularMargin.TargetCosine(cos, labels);
        var sin = PairMath.SafeSqrt(1.0 - c.square());
        var phi = c * System.Math.Cos(margin) - sin * System.Math.Sin(margin);
        phi = easy_margin
            ? torch.where(c.gt(0), phi, c)
            : torch.where(c.gt(System.Math.Cos(System.Math.PI - margin)), phi, c - System.Math.Sin(System.Math.PI - margin) * margin);
        var loss = AngularMargin.CrossEntropy(cos, labels, phi, scale);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// ArcFace as a classification head owning its class weights <see cref="AngularMarginHead.Weight"/> (C, D);
/// <c>forward(embeddings, labels)</c>. See <see cref="Losses.arcface_loss"/>.
/// </summary>
public sealed class ArcFaceLoss : AngularMarginHead
{
    private readonly double margin;
    private readonly bool easyMargin;

    /// <summary>Creates the head.</summary>
    /// <param name="numClasses">C, &gt; 0.</param>
    /// <param name="embeddingSize">D, &gt; 0.</param>
    /// <param name="scale">s (see <see cref="Losses.arcface_loss"/>).</param>
    /// <param name="margin">m in radians.</param>
    /// <param name="easy_margin">See <see cref="Losses.arcface_loss"/>.</param>
    /// <param name="reduction">See <see cref="Losses.arcface_loss"/>.</param>
    /// <param name="dtype">The weights' dtype (default float32).</param>
    public ArcFaceLoss(long numClasses, long embeddingSize, double scale = 64.0, double margin = 0.5, bool easy_margin = false,
        Reduction reduction = Reduction.Mean, ScalarType dtype = ScalarType.Float32) : base(nameof(ArcFaceLoss), numClasses, embeddingSize, scale, reduction, dtype)
    {
        Check.Param(margin >= 0 && margin < System.Math.PI, nameof(ArcFaceLoss), nameof(margin), "in [0, pi)", margin);
        this.margin = margin;
        easyMargin = easy_margin;
    }

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor embeddings, Tensor weight, Tensor labels) => Losses.arcface_loss(embeddings, weight, labels, Scale, margin, easyMargin, Reduction);
}

internal sealed class ArcFaceDefinition : LossDefinition
{
    public override string Name => "arcface";
    public override string Family => "metric_learning";
    public override string Summary => "ArcFace: softmax cross entropy with an additive angular margin on the target class, over normalised embeddings and class weights.";
    public override string Math => "cos theta_j = <x/|x|, W_j/|W_j|>;  logit_y = s cos(theta_y + m) [cos theta_y - m sin m past theta_y + m > pi; easy_margin: cos theta_y where cos theta_y <= 0], logit_j = s cos theta_j;  l = cross_entropy(logits, y)";
    public override string Reference => "Deng, Guo, Xue, Zafeiriou 2019, ArcFace: Additive Angular Margin Loss for Deep Face Recognition; insightface ArcMarginProduct";
    public override string Function => "Losses.arcface_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("scale", 64.0, "s: the logits' radius", min: 0, minExclusive: true),
        ParamSpec.Float("margin", 0.5, "m: additive angular margin in radians", min: 0, max: System.Math.PI, maxExclusive: true),
        ParamSpec.Bool("easy_margin", false, "apply the margin only where cos theta > 0"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs => MarginHead.Inputs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.arcface_loss(x.Required("embeddings"), x.Required("weight"), x.Required("labels"), p.Float("scale"), p.Float("margin"), p.Bool("easy_margin"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) C=5 s=8 m=0.5", g => MarginHead.Sample(g, 6, 5, 4), ("scale", "8"));
        yield return GradcheckCase.Of("(5,3) C=3 s=4 m=0.3 easy sum", g => MarginHead.Sample(g, 5, 3, 3), ("scale", "4"), ("margin", "0.3"), ("easy_margin", "true"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(7,6) C=4 s=16 m=2.5 none (fallback branch)", g => MarginHead.Sample(g, 7, 4, 6), ("scale", "16"), ("margin", "2.5"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) C=3 s=2", g => MarginHead.Sample(g, 1, 3, 4), ("scale", "2"));
    }
}
