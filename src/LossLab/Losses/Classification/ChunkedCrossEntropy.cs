using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Cross-entropy of (N, V) logits with class-index targets, exactly as <see cref="cross_entropy"/> (class weights,
    /// <c>ignore_index</c>, label smoothing, reductions), computed chunk by chunk of rows so that, beyond the input and
    /// its gradient, the extra memory is one (chunk, V) block instead of several (N, V) matrices: for large
    /// vocabularies.
    /// </summary>
    /// <remarks>
    /// <para><b>Math.</b> With <c>lse_i = logsumexp_c x[i, c]</c>, <c>eps</c> the label smoothing and <c>w</c> the class
    /// weights (1 without <paramref name="weight"/>), row i costs
    /// <c>l_i = (1 - eps) w[y_i] (lse_i - x[i, y_i]) + eps / V sum_c w[c] (lse_i - x[i, c])</c>, 0 where
    /// <c>y_i = ignore_index</c>; mean is <c>sum l / sum w[y]</c> over the rows not ignored (NaN when there are none, with
    /// a zero gradient), as PyTorch. The gradient of row i, with <c>p = softmax(x_i)</c> and s_i the incoming gradient
    /// of the row (<c>grad / sum w[y]</c> for mean), is
    /// <c>s_i [ ((1 - eps) w[y_i] + eps / V sum_c w[c]) p_j - (1 - eps) w[y_i] [j = y_i] - eps / V w[j] ]</c>.</para>
    /// <para><b>Memory.</b> A custom autograd function: forward computes the logsumexp of <paramref name="chunk_size"/>
    /// rows at a time and saves only those N values (with the input, which is not copied); the losses need only
    /// (N)-sized reductions of the input. Backward writes <c>exp(x - lse)</c> chunk by chunk straight into the (N, V)
    /// gradient and finishes it in place. Extra memory: O(chunk x V) (libtorch's logsumexp temporaries of one chunk);
    /// libtorch's composite keeps the (N, V) log-softmax for backward and makes further (N, V) temporaries there. The
    /// values and gradients are those of <see cref="cross_entropy"/> up to rounding.</para>
    /// <para>Works on any device (libtorch operations only). Logits of magnitude 1e4 in float32 give finite values and
    /// gradients. The backward pass is not itself differentiable (no second derivatives,
    /// <c>create_graph</c>).</para>
    /// <code>
    /// var loss = Losses.chunked_cross_entropy(logits /* (N, 50257) */, tokens, ignore_index: -100, label_smoothing: 0.1);
    /// </code>
    /// Reference: PyTorch, <c>torch.nn.functional.cross_entropy</c>; the chunked recomputation follows Liger Kernel's
    /// cross-entropy (Hsu et al. 2024).
    /// </remarks>
    /// <param name="input">Logits, shape (N, V), floating.</param>
    /// <param name="target">Class indices, shape (N), integer.</param>
    /// <param name="weight">Optional per-class weights, shape (V).</param>
    /// <param name="ignore_index">A target value whose rows are skipped.</param>
    /// <param name="reduction">none: per-row losses (N); mean (see remarks); sum.</param>
    /// <param name="label_smoothing">eps in [0, 1].</param>
    /// <param name="chunk_size">Rows per chunk; 0 chooses it so that one (chunk, V) block takes about 32 MiB.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor chunked_cross_entropy(Tensor input, Tensor target, Tensor? weight = null, long ignore_index = -100,
        Reduction reduction = Reduction.Mean, double label_smoothing = 0.0, long chunk_size = 0)
    {
        const string name = "chunked_cross_entropy";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        Check.NotNull(target, name, nameof(target));
        Check.Integer(target, name, nameof(target));
        Check.Rank(target, name, nameof(target), 1);
        Check.SameBatch(input, nameof(input), target, nameof(target), name);
        Check.Param(label_smoothing >= 0 && label_smoothing <= 1, name, nameof(label_smoothing), "in [0, 1]", label_smoothing);
        Check.ChunkSize(chunk_size, name);
        Reduce.NoBatchMean(reduction, name);
        Check.ClassIndices(target, input.shape[1], name, nameof(target), ignore_index);
        Check.ClassWeights(weight, input.shape[1], name, nameof(weight));
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (weight, nameof(weight)));
        return ChunkedCrossEntropyFunction.apply(input, target, weight, ignore_index, label_smoothing, reduction, chunk_size);
    }
}

/// <summary>The autograd function of <see cref="Losses.chunked_cross_entropy"/>: saves the row logsumexp, recomputes the softmax in backward.</summary>
internal sealed class ChunkedCrossEntropyFunction : autograd.SingleTensorFunction<ChunkedCrossEntropyFunction>
{
    public override string Name => "ChunkedCrossEntropy";

    public override Tensor forward(autograd.AutogradContext ctx, object[] vars)
    {
        var input = (Tensor)vars[0];
        var target = (Tensor)vars[1];
        var classWeight = vars[2] as Tensor;
        long ignore = (long)vars[3];
        double eps = (double)vars[4];
        var reduction = (Reduction)vars[5];
        long n = input.shape[0], v = input.shape[1];
        long rows = SoftmaxRows.ChunkRows(n, v, input.dtype, (long)vars[6]);

        using var scope = NewDisposeScope();
        var (safe, valid, validF) = SoftmaxRows.Targets(target, ignore, input.dtype);
        var w = classWeight?.to_type(input.dtype);
        var wy = w is null ? validF : w.index_select(0, safe) * validF;
        var lse = torch.empty(new[] { n }, dtype: input.dtype, device: input.device);
        foreach (var (start, length) in PairMath.Chunks(n, rows))
        {
            using var inner = NewDisposeScope();
            lse.narrow(0, start, length).copy_(input.narrow(0, start, length).logsumexp(1));
        }
        var loss = SoftmaxRows.RowLoss(lse, SoftmaxRows.Pieces(input, safe, eps, w), valid, wy, eps, w, v);
        var den = wy.sum();
        Tensor result = reduction switch
        {
            Reduction.None => loss,
            Reduction.Sum => loss.sum(),
            _ => loss.sum() / den,
        };
        ctx.save_for_backward(new List<Tensor> { input, lse.MoveToOuterDisposeScope(), safe.MoveToOuterDisposeScope(), validF.MoveToOuterDisposeScope(),
            wy.MoveToOuterDisposeScope(), den.MoveToOuterDisposeScope(), w?.MoveToOuterDisposeScope()! });
        ctx.save_data("eps", eps);
        ctx.save_data("reduction", reduction);
        ctx.save_data("rows", rows);
        return result.MoveToOuterDisposeScope();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        Tensor input = saved[0], lse = saved[1], safe = saved[2], validF = saved[3], wy = saved[4], den = saved[5];
        Tensor? w = saved[6];
        double eps = (double)ctx.get_data("eps");
        var reduction = (Reduction)ctx.get_data("reduction");
        long rows = (long)ctx.get_data("rows");
        long n = input.shape[0], v = input.shape[1];

        // s_i: the incoming gradient of each row's loss
        var go = grad_output.to_type(input.dtype);
        var s = reduction == Reduction.Mean ? torch.where(den.gt(0), go / den, torch.zeros_like(go)) : go;
        var onTarget = s * wy * (1 - eps);
        Tensor onSoftmax = onTarget, uniform = null!;
        if (eps > 0)
        {
            uniform = s * validF * (eps / v);
            onSoftmax = onTarget + uniform * (w is null ? v : w.sum());
        }
        onSoftmax = onSoftmax.expand(n);
        onTarget = onTarget.expand(n);
        uniform = uniform?.expand(n)!;

        var grad = torch.empty(new[] { n, v }, dtype: input.dtype, device: input.device);
        foreach (var (start, length) in PairMath.Chunks(n, rows))
        {
            using var inner = NewDisposeScope();
            var block = grad.narrow(0, start, length);
            block.copy_(input.narrow(0, start, length));
            SoftmaxRows.ToGradient(block, lse.narrow(0, start, length), safe.narrow(0, start, length), onSoftmax.narrow(0, start, length),
                onTarget.narrow(0, start, length), uniform?.narrow(0, start, length), w);
        }
        return new List<Tensor> { grad.MoveToOuterDisposeScope(), null!, null!, null!, null!, null!, null! };
    }
}

/// <summary>The chunked cross-entropy as a module; see <see cref="Losses.chunked_cross_entropy"/>.</summary>
public sealed class ChunkedCrossEntropyLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Tensor? weight;
    private readonly long ignoreIndex;
    private readonly Reduction reduction;
    private readonly double labelSmoothing;
    private readonly long chunkSize;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.chunked_cross_entropy"/>.</summary>
    public ChunkedCrossEntropyLoss(Tensor? weight = null, long ignore_index = -100, Reduction reduction = Reduction.Mean, double label_smoothing = 0.0, long chunk_size = 0)
        : base(nameof(ChunkedCrossEntropyLoss))
    {
        Check.Param(label_smoothing >= 0 && label_smoothing <= 1, nameof(ChunkedCrossEntropyLoss), nameof(label_smoothing), "in [0, 1]", label_smoothing);
        Check.ChunkSize(chunk_size, nameof(ChunkedCrossEntropyLoss));
        Reduce.NoBatchMean(reduction, nameof(ChunkedCrossEntropyLoss));
        this.weight = weight;
        ignoreIndex = ignore_index;
        this.reduction = reduction;
        labelSmoothing = label_smoothing;
        chunkSize = chunk_size;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) =>
        Losses.chunked_cross_entropy(input, target, weight, ignoreIndex, reduction, labelSmoothing, chunkSize);
}

internal sealed class ChunkedCrossEntropyDefinition : LossDefinition
{
    public override string Name => "chunked_cross_entropy";
    public override string Family => "classification";
    public override string Summary => "Cross-entropy of (N, V) logits with class indices (weights, ignore_index, label smoothing) in chunks of rows: O(chunk x V) extra memory, for large vocabularies.";
    public override string Math => "lse_i = logsumexp_c x_ic;  l_i = (1-eps) w[y_i] (lse_i - x_{i,y_i}) + eps/V sum_c w[c] (lse_i - x_ic), mean = sum l / sum w[y]; backward recomputes softmax = exp(x - lse) chunk by chunk";
    public override string Reference => "PyTorch, torch.nn.functional.cross_entropy; Hsu et al. 2024, Liger Kernel (chunked cross-entropy)";
    public override string Function => "Losses.chunked_cross_entropy";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("ignore_index", -100, "target value whose rows are skipped"),
        ParamSpec.Reduction(),
        ParamSpec.Float("label_smoothing", 0.0, "eps: target becomes (1 - eps) * one_hot + eps / V", min: 0, max: 1),
        ParamSpec.Int("chunk_size", 0, "rows per chunk; 0: about 32 MiB of logits per chunk", min: 0),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, V) logits"),
        InputSpec.Data("target", "(N) class indices"),
        InputSpec.Optional("weight", "(V) per-class weights"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.chunked_cross_entropy(x.Required("input"), x.Required("target"), x.Optional("weight"), p.Int("ignore_index"), p.Reduction,
            p.Float("label_smoothing"), p.Int("chunk_size"));

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(7,5) mean chunk=3", g => new() { ["input"] = Sample.Normal(g, [7, 5], 2), ["target"] = Sample.Labels(g, 7, 5) }, ("chunk_size", "3"));
        yield return GradcheckCase.Of("(6,4) weighted, ignore, smoothing 0.2, chunk=4", g => new()
        {
            ["input"] = Sample.Normal(g, [6, 4]),
            ["target"] = torch.tensor(new long[] { 0, 3, -100, 1, 2, 2 }),
            ["weight"] = Sample.Uniform(g, [4], 0.5, 2),
        }, ("label_smoothing", "0.2"), ("chunk_size", "4"));
        yield return GradcheckCase.Of("(5,6) smoothing 0.1 sum chunk=2", g => new() { ["input"] = Sample.Normal(g, [5, 6]), ["target"] = Sample.Labels(g, 5, 6) },
            ("label_smoothing", "0.1"), ("reduction", "sum"), ("chunk_size", "2"));
        yield return GradcheckCase.Of("(5,3) weighted, ignore, none, auto chunk", g => new()
        {
            ["input"] = Sample.Normal(g, [5, 3]),
            ["target"] = torch.tensor(new long[] { 2, -100, 0, 1, 0 }),
            ["weight"] = Sample.Uniform(g, [3], 0.5, 2),
        }, ("label_smoothing", "0.3"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,5) single row", g => new() { ["input"] = Sample.Normal(g, [1, 5]), ["target"] = Sample.Labels(g, 1, 5) });
    }
}
