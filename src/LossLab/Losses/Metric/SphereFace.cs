using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// SphereFace, the multiplicative angular margin loss (A-Softmax, Liu et al. 2017), over normalised embeddings and
    /// class weights: the target logit is <c>s psi(theta_y)</c> with
    /// <c>psi(theta) = (-1)^k cos(m theta) - 2k</c> for <c>theta in [k pi/m, (k+1) pi/m]</c>, the others <c>s cos theta_j</c>;
    /// the loss is their cross entropy.
    /// </summary>
    /// <remarks>
    /// <para>Use it, like ArcFace and CosFace, to learn open-set embeddings with a classification head; the integer margin
    /// m multiplies the target angle (m = 4 in the paper), a stronger but less smooth constraint than the additive ones.
    /// <c>psi</c> is the paper's monotonic extension of <c>cos(m theta)</c> to [0, pi]: continuous and decreasing.</para>
    /// <para>This is the normalised form (features and weights on the unit sphere, logits scaled by s, as the later
    /// SphereFace revisions and pytorch-metric-learning use), not the original's unnormalised features with an annealed
    /// lambda. It is computed without <c>arccos</c>: <c>cos(m theta)</c> is the Chebyshev polynomial <c>T_m(cos theta)</c>
    /// and k counts the thresholds <c>cos(j pi / m)</c> that <c>cos theta</c> lies below, so the gradient is finite
    /// everywhere, including where the embedding is aligned with its class weight. With m = 1 it is the normalised
    /// softmax (NormFace) cross entropy.</para>
    /// <code>
    /// var head = new SphereFaceLoss(numClasses: 1000, embeddingSize: 512, scale: 30, margin: 4);
    /// var loss = head.forward(embeddings, labels);
    /// </code>
    /// </remarks>
    /// <param name="embeddings">Embeddings (N, D), floating; normalised inside.</param>
    /// <param name="weight">Class weight vectors (C, D); normalised inside.</param>
    /// <param name="labels">Class indices (N), integer, in [0, C).</param>
    /// <param name="scale">s, &gt; 0.</param>
    /// <param name="margin">m, the integer angle multiplier, in [1, 32].</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, devices or class indices.</exception>
    public static Tensor sphereface_loss(Tensor embeddings, Tensor weight, Tensor labels, double scale = 30.0, long margin = 4, Reduction reduction = Reduction.Mean)
    {
        const string name = "sphereface_loss";
        AngularMargin.Validate(name, embeddings, weight, labels, scale, reduction);
        Check.Param(margin >= 1 && margin <= 32, name, nameof(margin), "an integer in [1, 32]", margin);

        using var scope = NewDisposeScope();
        var cos = AngularMargin.Cosines(embeddings, weight);
        var c = AngularMargin.TargetCosine(cos, labels).clamp(-1.0, 1.0);
        // T_m(c) = cos(m theta) by the Chebyshev recurrence T_{j+1} = 2 c T_j - T_{j-1}.
        Tensor previous = torch.ones_like(c), current = c;
        for (long j = 1; j < margin; j++)
        {
            var next = 2.0 * c * current - previous;
            previous = current;
            current = next;
        }
        // k = #{ j in 1..m-1 : theta >= j pi / m } = #{ j : c <= cos(j pi / m) }: piecewise constant, no gradient.
        var k = torch.zeros_like(c);
        for (long j = 1; j < margin; j++) k = k + c.le(System.Math.Cos(j * System.Math.PI / margin)).to_type(c.dtype);
        var sign = 1.0 - 2.0 * k.remainder(2.0);
        var psi = sign * current - 2.0 * k;
        var loss = AngularMargin.CrossEntropy(cos, labels, psi, scale);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// SphereFace as a classification head owning its class weights <see cref="AngularMarginHead.Weight"/> (C, D) (Xavier uniform);
/// <c>forward(embeddings, labels)</c>. See <see cref="Losses.sphereface_loss"/>.
/// </summary>
public sealed class SphereFaceLoss : AngularMarginHead
{
    private readonly long margin;

    /// <summary>Creates the head.</summary>
    /// <param name="numClasses">C, &gt; 0.</param>
    /// <param name="embeddingSize">D, &gt; 0.</param>
    /// <param name="scale">s.</param>
    /// <param name="margin">m, an integer in [1, 32].</param>
    /// <param name="reduction">See <see cref="Losses.sphereface_loss"/>.</param>
    /// <param name="dtype">The weights' dtype (default float32).</param>
    public SphereFaceLoss(long numClasses, long embeddingSize, double scale = 30.0, long margin = 4, Reduction reduction = Reduction.Mean,
        ScalarType dtype = ScalarType.Float32) : base(nameof(SphereFaceLoss), numClasses, embeddingSize, scale, reduction, dtype)
    {
        Check.Param(margin >= 1 && margin <= 32, nameof(SphereFaceLoss), nameof(margin), "an integer in [1, 32]", margin);
        this.margin = margin;
    }

    /// <inheritdoc/>
    protected override Tensor Compute(Tensor embeddings, Tensor weight, Tensor labels) => Losses.sphereface_loss(embeddings, weight, labels, Scale, margin, Reduction);
}

internal sealed class SphereFaceDefinition : LossDefinition
{
    public override string Name => "sphereface";
    public override string Family => "metric_learning";
    public override string Summary => "SphereFace (A-Softmax): softmax cross entropy with a multiplicative angular margin psi(m theta) on the target class, normalised form.";
    public override string Math => "cos theta_j = <x/|x|, W_j/|W_j|>;  logit_y = s psi(theta_y), psi(theta) = (-1)^k cos(m theta) - 2k on [k pi/m, (k+1) pi/m];  logit_j = s cos theta_j;  l = cross_entropy(logits, y)";
    public override string Reference => "Liu et al. 2017, SphereFace: Deep Hypersphere Embedding for Face Recognition";
    public override string Function => "Losses.sphereface_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("scale", 30.0, "s: the logits' radius", min: 0, minExclusive: true),
        ParamSpec.Int("margin", 4, "m: the integer angle multiplier", min: 1, max: 32),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs => MarginHead.Inputs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.sphereface_loss(x.Required("embeddings"), x.Required("weight"), x.Required("labels"), p.Float("scale"), p.Int("margin"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) C=5 s=4 m=4", g => MarginHead.Sample(g, 6, 5, 4), ("scale", "4"));
        yield return GradcheckCase.Of("(5,3) C=3 s=2 m=2 sum", g => MarginHead.Sample(g, 5, 3, 3), ("scale", "2"), ("margin", "2"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(7,6) C=4 s=3 m=3 none", g => MarginHead.Sample(g, 7, 4, 6), ("scale", "3"), ("margin", "3"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) C=3 s=2 m=1", g => MarginHead.Sample(g, 1, 3, 4), ("scale", "2"), ("margin", "1"));
    }
}
