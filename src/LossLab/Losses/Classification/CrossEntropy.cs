using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Cross-entropy between logits and class indices or class probabilities, exactly as PyTorch's
    /// <c>torch.nn.functional.cross_entropy</c>, including class weights, <c>ignore_index</c>, label smoothing,
    /// probability targets, the K-dimensional form and unbatched input.
    /// </summary>
    /// <remarks>
    /// <para><b>Shapes.</b> input (C) unbatched, (N, C), or (N, C, d1, ..., dk); the class dimension is 1 (0 when
    /// unbatched). When the target has the input's shape it holds class <i>probabilities</i> (floating point);
    /// otherwise it holds class <i>indices</i> (integer) of shape (), (N) or (N, d1, ..., dk).</para>
    /// <para><b>Class indices</b>, with <c>logp = log_softmax(input)</c> over the class dimension, <c>eps</c> the label
    /// smoothing and <c>w</c> the weights (all 1 without <paramref name="weight"/>), per element:
    /// <c>l = (1 - eps) * w[y] * (-logp[y]) + eps / C * sum_c w[c] * (-logp[c])</c>, and 0 where
    /// <c>y = ignore_index</c>. Reduction mean is <c>sum l / sum w[y]</c> over the elements not ignored (so the
    /// smoothing term too is divided by the targets' weights, as PyTorch does); NaN when that sum is 0 (every target
    /// ignored), with a zero gradient, as PyTorch.</para>
    /// <para><b>Class probabilities</b> t: the smoothed target is <c>q = (1 - eps) * t + eps / C</c> and per element
    /// <c>l = -sum_c w[c] * q[c] * logp[c]</c>; reduction mean divides the sum by the number of elements
    /// (N * d1 * ... * dk), <i>not</i> by the weights, as PyTorch. <paramref name="ignore_index"/> must then be negative
    /// (PyTorch rejects it otherwise). Gradients flow to a floating target too.</para>
    /// <para><b>The label smoothing / class weight pitfall.</b> In PyTorch's formula the smoothing mass <c>eps / C</c>
    /// of each class c is multiplied by that class's weight <c>w[c]</c>, while the sample's own term carries
    /// <c>w[y]</c> and the mean divides by <c>sum w[y]</c>. So the smoothing term is not weighted (nor normalised) by
    /// the weight that the sample carries: per sample the loss is <c>-sum_c w[c] q[c] logp[c]</c>, whose minimiser is
    /// <c>p[c] ∝ w[c] q[c]</c>, not the smoothed target q. With weights (0.01, 0.99), eps = 0.1 and target class 0
    /// the minimiser puts only 0.16 on class 0: the loss pushes a correctly labelled sample of a down-weighted class
    /// towards the other classes (PyTorch issue #104776). With
    /// <paramref name="consistent_smoothing_weights"/> = true (off by default) the smoothing term of each sample is
    /// instead weighted by the sample's weight: <c>l = w[y] * ((1 - eps) * (-logp[y]) + eps / C * sum_c (-logp[c]))</c>
    /// (for probability targets, by <c>s = sum_c w[c] t[c]</c>: <c>l = -(1 - eps) sum_c w[c] t[c] logp[c] + s * eps / C *
    /// sum_c (-logp[c])</c>), so that each sample's loss is minimised at its smoothed target and the mean divides
    /// the smoothing term by the same weights it was multiplied with. Without weights, or with eps = 0, the option
    /// changes nothing.</para>
    /// <para>Computed in log space (<c>log_softmax</c>): logits of magnitude 1e4 in float32 give finite values and
    /// gradients.</para>
    /// <code>
    /// var loss = Losses.cross_entropy(logits, labels, weight: classWeights, label_smoothing: 0.1);
    /// var soft = Losses.cross_entropy(logits, probabilities);              // class-probability targets
    /// var seg = Losses.cross_entropy(pixelLogits /* (N, C, H, W) */, masks /* (N, H, W) */, ignore_index: 255);
    /// </code>
    /// Reference: PyTorch, <c>torch.nn.functional.cross_entropy</c> (aten <c>cross_entropy_loss</c>); Szegedy et al.
    /// 2016 (label smoothing).
    /// </remarks>
    /// <param name="input">Logits, shape (C), (N, C) or (N, C, d1, ..., dk).</param>
    /// <param name="target">Class indices (integer; shape (), (N) or (N, d1, ..., dk)) or class probabilities (floating; the input's shape).</param>
    /// <param name="weight">Optional per-class weights, shape (C).</param>
    /// <param name="ignore_index">A class-index target value whose elements are skipped (class-index targets only).</param>
    /// <param name="reduction">none: per-element losses, shape (), (N) or (N, d1, ..., dk); mean (see remarks); sum.</param>
    /// <param name="label_smoothing">eps in [0, 1]: the target becomes <c>(1 - eps) * target + eps / C</c>.</param>
    /// <param name="consistent_smoothing_weights">Not PyTorch's: weight the smoothing term by each sample's weight (see remarks). Default false (PyTorch's formula).</param>
    /// <returns>A scalar, or the per-element losses for reduction none.</returns>
    public static Tensor cross_entropy(Tensor input, Tensor target, Tensor? weight = null, long ignore_index = -100, Reduction reduction = Reduction.Mean, double label_smoothing = 0.0, bool consistent_smoothing_weights = false)
    {
        const string name = "cross_entropy";
        Check.Floating(input, name, nameof(input));
        Check.MinRank(input, name, nameof(input), 1);
        Check.NotNull(target, name, nameof(target));
        Check.Param(label_smoothing >= 0 && label_smoothing <= 1, name, nameof(label_smoothing), "in [0, 1]", label_smoothing);
        Reduce.NoBatchMean(reduction, name);
        long c = input.dim() == 1 ? input.shape[0] : input.shape[1];
        bool probabilities = target.shape.SequenceEqual(input.shape);
        if (probabilities)
        {
            if (!target.dtype.IsFloatingPoint())
                throw new ArgumentException($"{name}: 'target' has the input's shape {Check.Shape(input)}, so it is read as class probabilities and must be floating-point, got {target.dtype} (class indices have shape (N) or (N, d1, ..., dk))", nameof(target));
            Check.Param(ignore_index < 0, name, nameof(ignore_index), "negative with class-probability targets (PyTorch does not support ignore_index for them)", ignore_index);
        }
        else
        {
            if (target.dtype.IsFloatingPoint())
                throw new ArgumentException($"{name}: 'target' is floating-point, so it must hold class probabilities of the input's shape {Check.Shape(input)}, got shape {Check.Shape(target)}; class indices must be an integer tensor", nameof(target));
            Check.Integer(target, name, nameof(target));
            Check.ClassIndexTargetShape(input, target, name, nameof(target));
            Check.ClassIndices(target, c, name, nameof(target), ignore_index);
        }
        Check.ClassWeights(weight, c, name, nameof(weight));
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (weight, nameof(weight)));
        if (Kernels.FusedCrossEntropy.Applies(input, target, weight, probabilities))
            return Kernels.FusedCrossEntropy.Apply(input, target, weight, ignore_index, reduction, label_smoothing, consistent_smoothing_weights, probabilities);

        using var scope = NewDisposeScope();
        bool unbatched = input.dim() == 1;
        var x = unbatched ? input.unsqueeze(0) : input;
        var t = unbatched ? target.unsqueeze(0) : target;
        var logp = torch.nn.functional.log_softmax(x, 1);
        Tensor result = probabilities
            ? ProbabilityTargetCrossEntropy(logp, t.to_type(logp.dtype), weight, reduction, label_smoothing, consistent_smoothing_weights)
            : ClassIndexLoss.Compute(logp, t, weight, ignore_index, reduction, label_smoothing, consistent_smoothing_weights);
        if (unbatched && reduction == Reduction.None) result = result.squeeze(0);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>PyTorch's cross-entropy with class-probability targets on batched log-probabilities (N, C, d1, ...).</summary>
    private static Tensor ProbabilityTargetCrossEntropy(Tensor logp, Tensor target, Tensor? weight, Reduction reduction, double smoothing, bool consistent)
    {
        long c = logp.shape[1];
        Tensor? w = null;
        if (weight is not null)
        {
            var shape = Enumerable.Repeat(1L, (int)logp.dim()).ToArray();
            shape[1] = c;
            w = weight.to_type(logp.dtype).view(shape);
        }
        Tensor loss;
        if (smoothing > 0 && consistent && w is not null)
        {
            var sampleWeight = (target * w).sum(1);
            loss = -(1 - smoothing) * (logp * target * w).sum(1) - sampleWeight * (smoothing / c) * logp.sum(1);
        }
        else
        {
            var q = smoothing > 0 ? target * (1 - smoothing) + smoothing / c : target;
            var prod = logp * q;
            if (w is not null) prod = prod * w;
            loss = -prod.sum(1);
        }
        return reduction switch
        {
            Reduction.None => loss,
            Reduction.Sum => loss.sum(),
            // PyTorch divides by the number of elements, N * d1 * ... * dk (NaN when there are none).
            Reduction.Mean => loss.sum() / (double)loss.numel(),
            _ => throw new ArgumentException($"cross_entropy: reduction '{reduction.ToPyTorchName()}' is not defined", nameof(reduction)),
        };
    }
}

/// <summary>Cross-entropy as a module (PyTorch's <c>CrossEntropyLoss</c>); see <see cref="Losses.cross_entropy"/>.</summary>
public sealed class CrossEntropyLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Tensor? weight;
    private readonly long ignoreIndex;
    private readonly Reduction reduction;
    private readonly double labelSmoothing;
    private readonly bool consistentSmoothingWeights;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.cross_entropy"/>.</summary>
    public CrossEntropyLoss(Tensor? weight = null, long ignore_index = -100, Reduction reduction = Reduction.Mean, double label_smoothing = 0.0, bool consistent_smoothing_weights = false) : base(nameof(CrossEntropyLoss))
    {
        Check.Param(label_smoothing >= 0 && label_smoothing <= 1, "CrossEntropyLoss", nameof(label_smoothing), "in [0, 1]", label_smoothing);
        Reduce.NoBatchMean(reduction, "CrossEntropyLoss");
        this.weight = weight;
        ignoreIndex = ignore_index;
        this.reduction = reduction;
        labelSmoothing = label_smoothing;
        consistentSmoothingWeights = consistent_smoothing_weights;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) =>
        Losses.cross_entropy(input, target, weight, ignoreIndex, reduction, labelSmoothing, consistentSmoothingWeights);
}

internal sealed class CrossEntropyDefinition : LossDefinition
{
    public override string Name => "cross_entropy";
    public override string Family => "classification";
    public override string Summary => "Softmax cross-entropy with class indices or probabilities, weights, ignore_index and label smoothing (PyTorch's cross_entropy).";
    public override string Math => "logp = log_softmax(input); indices: l = (1-eps) w[y] (-logp[y]) + eps/C sum_c w[c] (-logp[c]), mean = sum l / sum w[y]; probabilities: l = -sum_c w[c] ((1-eps) t[c] + eps/C) logp[c], mean = sum l / #elements";
    public override string Reference => "PyTorch, torch.nn.functional.cross_entropy; Szegedy et al. 2016 (label smoothing); pytorch/pytorch#104776 (the weights/smoothing pitfall)";
    public override string Function => "Losses.cross_entropy";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("ignore_index", -100, "class-index target value whose elements are skipped"),
        ParamSpec.Reduction(),
        ParamSpec.Float("label_smoothing", 0.0, "eps: target becomes (1 - eps) * target + eps / C", min: 0, max: 1),
        ParamSpec.Bool("consistent_smoothing_weights", false, "not PyTorch's: weight the smoothing term by the sample's weight instead of per class"),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) or (N, C, d1, ...) logits, or (C) unbatched"),
        InputSpec.Grad("target", "(N) / (N, d1, ...) class indices, or class probabilities of the input's shape"),
        InputSpec.Optional("weight", "(C) per-class weights"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.cross_entropy(x.Required("input"), x.Required("target"), x.Optional("weight"), p.Int("ignore_index"), p.Reduction,
            p.Float("label_smoothing"), p.Bool("consistent_smoothing_weights"));

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) indices mean", g => new() { ["input"] = Sample.Normal(g, [6, 4], 2), ["target"] = Sample.Labels(g, 6, 4) });
        yield return GradcheckCase.Of("(5,3) weighted, ignore, smoothing 0.2", g => new()
        {
            ["input"] = Sample.Normal(g, [5, 3]),
            ["target"] = torch.tensor(new long[] { 0, 2, -100, 1, 2 }),
            ["weight"] = Sample.Uniform(g, [3], 0.5, 2),
        }, ("label_smoothing", "0.2"));
        yield return GradcheckCase.Of("(2,3,2,2) K-dim weighted, smoothing 0.1, sum", g => new()
        {
            ["input"] = Sample.Normal(g, [2, 3, 2, 2]),
            ["target"] = torch.randint(0, 3, new long[] { 2, 2, 2 }, dtype: ScalarType.Int64, generator: g),
            ["weight"] = Sample.Uniform(g, [3], 0.5, 2),
        }, ("label_smoothing", "0.1"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(5,4) probabilities, weighted, smoothing 0.1", g => new()
        {
            ["input"] = Sample.Normal(g, [5, 4]),
            ["target"] = Sample.Simplex(g, 5, 4),
            ["weight"] = Sample.Uniform(g, [4], 0.5, 2),
        }, ("label_smoothing", "0.1"));
        yield return GradcheckCase.Of("(1,5) none", g => new() { ["input"] = Sample.Normal(g, [1, 5]), ["target"] = Sample.Labels(g, 1, 5) }, ("reduction", "none"));
        yield return GradcheckCase.Of("(6,4) consistent smoothing weights, ignore, none", g => new()
        {
            ["input"] = Sample.Normal(g, [6, 4]),
            ["target"] = torch.tensor(new long[] { 3, -100, 0, 1, 2, 0 }),
            ["weight"] = Sample.Uniform(g, [4], 0.5, 2),
        }, ("label_smoothing", "0.3"), ("consistent_smoothing_weights", "true"), ("reduction", "none"));
    }
}
