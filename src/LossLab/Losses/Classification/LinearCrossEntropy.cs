using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The final linear projection and the cross-entropy in one: <c>cross_entropy(hidden @ weight.T + bias, target)</c>
    /// without ever making the (N, V) logits, as Liger Kernel's FusedLinearCrossEntropy and Apple's Cut Cross-Entropy:
    /// for language models and classifiers with large vocabularies, where the logits (N x V) dwarf everything else.
    /// </summary>
    /// <remarks>
    /// <para><b>Math.</b> For a chunk of rows: <c>z = h W^T + b</c> (chunk, V), optionally soft-capped
    /// <c>x = c tanh(z / c)</c> (Gemma 2), <c>lse_i = logsumexp_j x_ij</c>, and row i costs
    /// <c>l_i = (1 - eps)(lse_i - x[i, y_i]) + eps (lse_i - mean_j x_ij)</c> (0 where <c>y_i = ignore_index</c>; mean
    /// divides the sum by the number of rows not ignored: NaN when there are none, with a zero gradient), as
    /// <see cref="cross_entropy"/> on the logits. Its gradient with respect to the logits is
    /// <c>G_ij = s_i (softmax(x_i)_j - (1 - eps)[j = y_i] - eps / V)</c>, s_i the row's incoming gradient (times
    /// <c>1 - tanh^2(z / c)</c> under the soft cap), and then <c>dL/dh = G W</c>, <c>dL/dW = G^T h</c>,
    /// <c>dL/db = sum_i G_i</c>: each chunk's G is folded into these at once and dropped.</para>
    /// <para><b>Memory.</b> For mean and sum, the gradients are computed during forward (as Liger does) and saved;
    /// backward only multiplies them by the incoming gradient (nothing when it is 1). Peak extra memory:
    /// <c>O(chunk x V)</c> for one block of logits (a few such blocks: the logits, libtorch's logsumexp temporaries, the
    /// soft cap's tanh) <c>+ V x D (+ V)</c> for the weight's (and bias's) gradient <c>+ N x D</c> for the hidden
    /// states' gradient, for the inputs that require a gradient: independent of N x V. The composite form keeps the
    /// (N, V) logits and log-probabilities and makes (N, V) gradients in backward. Without gradients (evaluation, or
    /// no input requiring one) forward computes the losses only. For reduction none the gradients depend on each row's
    /// incoming gradient, so forward saves nothing but the inputs and backward recomputes the logits chunk by chunk
    /// (twice the projection's compute, the same memory).</para>
    /// <para>Rows of a chunk share one matrix product, so larger chunks are faster and take more memory; 0 picks a
    /// chunk whose (chunk, V) block takes about 32 MiB. Float16 and bfloat16 logits are upcast to float32 for the
    /// softmax, as Liger does. Works on any device (libtorch operations only). Logits of magnitude 1e4 in float32 give
    /// finite values and gradients. The backward pass is not itself differentiable (no second derivatives,
    /// <c>create_graph</c>).</para>
    /// <code>
    /// var h = model.Body(tokens).reshape(-1, d);                       // (N, D) final hidden states
    /// var loss = Losses.linear_cross_entropy(h, lmHead.weight, labels.reshape(-1), ignore_index: -100);
    /// loss.backward();                                                  // gradients reach h (so the body) and lmHead.weight
    /// </code>
    /// Reference: Hsu et al. 2024, Liger Kernel (FusedLinearCrossEntropy); Wijmans et al. 2025, Cut Your Losses in
    /// Large-Vocabulary Language Models (Cut Cross-Entropy); PyTorch, <c>torch.nn.functional.cross_entropy</c>.
    /// </remarks>
    /// <param name="hidden">Hidden states (N, D), floating.</param>
    /// <param name="weight">The projection's weight (V, D), PyTorch's <c>Linear</c> layout, of the hidden states' dtype.</param>
    /// <param name="target">Class indices (N), integer.</param>
    /// <param name="bias">The projection's optional bias (V).</param>
    /// <param name="ignore_index">A target value whose rows are skipped.</param>
    /// <param name="label_smoothing">eps in [0, 1]: the target becomes <c>(1 - eps) one_hot + eps / V</c>.</param>
    /// <param name="reduction">none: per-row losses (N); mean over rows not ignored; sum.</param>
    /// <param name="chunk_size">Rows per chunk; 0 chooses it so that one (chunk, V) block takes about 32 MiB.</param>
    /// <param name="softcap">When positive, the logits are soft-capped to <c>softcap * tanh(z / softcap)</c>; 0: off.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor linear_cross_entropy(Tensor hidden, Tensor weight, Tensor target, Tensor? bias = null, long ignore_index = -100,
        double label_smoothing = 0.0, Reduction reduction = Reduction.Mean, long chunk_size = 0, double softcap = 0.0)
    {
        const string name = "linear_cross_entropy";
        Check.Floating(hidden, name, nameof(hidden));
        Check.Rank(hidden, name, nameof(hidden), 2);
        Check.Floating(weight, name, nameof(weight));
        Check.Rank(weight, name, nameof(weight), 2);
        Check.Size(weight, 1, hidden.shape[1], name, nameof(weight), "the hidden size D of 'hidden'");
        long v = weight.shape[0];
        Check.Param(v > 0, name, nameof(weight), "a (V, D) matrix with V >= 1 classes", Check.Shape(weight));
        if (bias is not null)
        {
            Check.Floating(bias, name, nameof(bias));
            Check.Rank(bias, name, nameof(bias), 1);
            Check.Size(bias, 0, v, name, nameof(bias), "the number of classes V, weight's first dimension");
        }
        Check.SameFloatType(name, (hidden, nameof(hidden)), (weight, nameof(weight)), (bias, nameof(bias)));
        Check.NotNull(target, name, nameof(target));
        Check.Integer(target, name, nameof(target));
        Check.Rank(target, name, nameof(target), 1);
        Check.SameBatch(hidden, nameof(hidden), target, nameof(target), name);
        Check.Param(label_smoothing >= 0 && label_smoothing <= 1, name, nameof(label_smoothing), "in [0, 1]", label_smoothing);
        Check.ChunkSize(chunk_size, name);
        Check.NonNegativeFinite(softcap, name, nameof(softcap));
        Reduce.NoBatchMean(reduction, name);
        Check.ClassIndices(target, v, name, nameof(target), ignore_index);
        Check.SameDevice(name, (hidden, nameof(hidden)), (weight, nameof(weight)), (bias, nameof(bias)), (target, nameof(target)));

        bool grad = torch.is_grad_enabled();
        var needs = new LinearCrossEntropyFunction.Needs(grad && hidden.requires_grad, grad && weight.requires_grad, grad && bias is not null && bias.requires_grad);
        return LinearCrossEntropyFunction.apply(hidden, weight, bias, target, ignore_index, label_smoothing, reduction, chunk_size, softcap, needs);
    }
}

/// <summary>
/// The autograd function of <see cref="Losses.linear_cross_entropy"/>: for mean and sum, forward computes and saves the
/// gradients of hidden, weight and bias chunk by chunk; for none, backward recomputes them.
/// </summary>
internal sealed class LinearCrossEntropyFunction : autograd.SingleTensorFunction<LinearCrossEntropyFunction>
{
    /// <summary>Which inputs need a gradient (known before forward, where autograd is off).</summary>
    public sealed record Needs(bool Hidden, bool Weight, bool Bias)
    {
        public bool Any => Hidden || Weight || Bias;
    }

    private sealed record Options(double Eps, double Softcap, long Rows);

    public override string Name => "LinearCrossEntropy";

    public override Tensor forward(autograd.AutogradContext ctx, object[] vars)
    {
        var hidden = (Tensor)vars[0];
        var weight = (Tensor)vars[1];
        var bias = vars[2] as Tensor;
        var target = (Tensor)vars[3];
        long ignore = (long)vars[4];
        var reduction = (Reduction)vars[6];
        var needs = (Needs)vars[9];
        long n = hidden.shape[0], v = weight.shape[0];
        var opt = new Options((double)vars[5], (double)vars[8], SoftmaxRows.ChunkRows(n, v, hidden.dtype, (long)vars[7]));

        using var scope = NewDisposeScope();
        var (safe, valid, validF) = SoftmaxRows.Targets(target, ignore, ComputeType(hidden.dtype));
        var count = validF.sum();
        bool gradsNow = needs.Any && reduction != Reduction.None;
        // the mean's 1 / count is folded into the gradients; rows not counted get 0
        Tensor? rowScale = gradsNow ? (reduction == Reduction.Mean ? validF / count.clamp_min(1) : validF) : null;
        var grads = gradsNow ? Grads.Zeros(hidden, weight, bias, needs) : null;
        var loss = Run(hidden, weight, bias, safe, valid, validF, rowScale, grads, opt);
        Tensor result = reduction switch
        {
            Reduction.None => loss,
            Reduction.Sum => loss.sum(),
            _ => loss.sum() / count,
        };
        result = result.to_type(hidden.dtype);
        if (grads is not null)
            ctx.save_for_backward(new List<Tensor> { grads.Hidden?.MoveToOuterDisposeScope()!, grads.Weight?.MoveToOuterDisposeScope()!, grads.Bias?.MoveToOuterDisposeScope()! });
        else if (needs.Any)
            ctx.save_for_backward(new List<Tensor> { hidden, weight, bias!, safe.MoveToOuterDisposeScope(), valid.MoveToOuterDisposeScope(), validF.MoveToOuterDisposeScope() });
        ctx.save_data("recompute", grads is null);
        ctx.save_data("needs", needs);
        ctx.save_data("options", opt);
        return result.MoveToOuterDisposeScope();
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        using var scope = NewDisposeScope();
        var saved = ctx.get_saved_variables();
        var needs = (Needs)ctx.get_data("needs");
        Tensor? gh, gw, gb;
        if ((bool)ctx.get_data("recompute"))
        {
            // reduction none: each row's gradient is scaled by its own incoming gradient, so the logits are recomputed
            Tensor hidden = saved[0], weight = saved[1], safe = saved[3], valid = saved[4], validF = saved[5];
            Tensor? bias = saved[2];
            var grads = Grads.Zeros(hidden, weight, bias, needs);
            Run(hidden, weight, bias, safe, valid, validF, grad_output.to_type(validF.dtype) * validF, grads, (Options)ctx.get_data("options"));
            (gh, gw, gb) = (grads.Hidden, grads.Weight, grads.Bias);
        }
        else
        {
            bool one = grad_output.numel() == 1 && grad_output.to_type(ScalarType.Float64).item<double>() == 1.0;
            Tensor? Scale(Tensor? g) => g is null ? null : one ? g.alias() : g * grad_output.to_type(g.dtype);
            (gh, gw, gb) = (Scale(saved[0]), Scale(saved[1]), Scale(saved[2]));
        }
        var result = new List<Tensor> { gh?.MoveToOuterDisposeScope()!, gw?.MoveToOuterDisposeScope()!, gb?.MoveToOuterDisposeScope()! };
        for (int i = 3; i < 10; i++) result.Add(null!);
        return result;
    }

    /// <summary>The gradient buffers of the inputs that need one.</summary>
    private sealed record Grads(Tensor? Hidden, Tensor? Weight, Tensor? Bias)
    {
        public static Grads Zeros(Tensor hidden, Tensor weight, Tensor? bias, Needs needs) => new(
            needs.Hidden ? torch.zeros_like(hidden) : null,
            needs.Weight ? torch.zeros_like(weight) : null,
            needs.Bias && bias is not null ? torch.zeros_like(bias) : null);
    }

    private static ScalarType ComputeType(ScalarType t) => t == ScalarType.Float16 || t == ScalarType.BFloat16 ? ScalarType.Float32 : t;

    /// <summary>
    /// The per-row losses (N), chunk by chunk; with <paramref name="rowScale"/> (each row's incoming gradient, 0 on rows
    /// not counted) also accumulates the gradients into <paramref name="grads"/>.
    /// </summary>
    private static Tensor Run(Tensor hidden, Tensor weight, Tensor? bias, Tensor safe, Tensor valid, Tensor validF, Tensor? rowScale, Grads? grads, Options opt)
    {
        long n = hidden.shape[0], v = weight.shape[0];
        var loss = torch.empty(new[] { n }, dtype: validF.dtype, device: hidden.device);
        var wt = weight.t();
        foreach (var (start, length) in PairMath.Chunks(n, opt.Rows))
        {
            using var inner = NewDisposeScope();
            var h = hidden.narrow(0, start, length);
            var ys = safe.narrow(0, start, length);
            var z = bias is null ? h.mm(wt) : torch.addmm(bias, h, wt, beta: 1, alpha: 1);                      // (chunk, V)
            if (z.dtype != validF.dtype) z = z.to_type(validF.dtype);
            Tensor? tanh = null;
            if (opt.Softcap > 0)
            {
                tanh = z.div_(opt.Softcap).tanh_();
                z = tanh * opt.Softcap;
            }
            // One (chunk, V) block: shifted by the row max in place, the loss's pieces read, then exponentiated in place.
            z.sub_(z.amax(new long[] { 1 }, keepdim: true));
            var pieces = SoftmaxRows.Pieces(z, ys, opt.Eps, null);
            var sumExp = z.exp_().sum(1);
            var vf = validF.narrow(0, start, length);
            loss.narrow(0, start, length).copy_(SoftmaxRows.RowLoss(sumExp.log(), pieces, valid.narrow(0, start, length), vf, opt.Eps, null, v));
            if (rowScale is null || grads is null) continue;

            var s = rowScale.narrow(0, start, length);
            SoftmaxRows.ExpToGradient(z, sumExp, ys, s, s * (1 - opt.Eps), opt.Eps > 0 ? s * (opt.Eps / v) : null, null);
            if (tanh is not null) z.mul_(tanh.mul_(tanh).neg_().add_(1.0));                  // d(c tanh(z / c))/dz = 1 - tanh^2
            var g = z.dtype == hidden.dtype ? z : z.to_type(hidden.dtype);
            grads.Hidden?.narrow(0, start, length).addmm_(g, weight);
            grads.Weight?.addmm_(g.t(), h);
            grads.Bias?.add_(g.sum(new long[] { 0 }));
        }
        return loss;
    }
}

/// <summary>
/// The fused projection and cross-entropy as a module <c>forward(hidden, weight, target)</c>; see
/// <see cref="Losses.linear_cross_entropy"/>.
/// </summary>
public sealed class LinearCrossEntropyLoss : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly long ignoreIndex;
    private readonly double labelSmoothing;
    private readonly Reduction reduction;
    private readonly long chunkSize;
    private readonly double softcap;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.linear_cross_entropy"/>.</summary>
    public LinearCrossEntropyLoss(long ignore_index = -100, double label_smoothing = 0.0, Reduction reduction = Reduction.Mean, long chunk_size = 0, double softcap = 0.0)
        : base(nameof(LinearCrossEntropyLoss))
    {
        Check.Param(label_smoothing >= 0 && label_smoothing <= 1, nameof(LinearCrossEntropyLoss), nameof(label_smoothing), "in [0, 1]", label_smoothing);
        Check.ChunkSize(chunk_size, nameof(LinearCrossEntropyLoss));
        Check.NonNegativeFinite(softcap, nameof(LinearCrossEntropyLoss), nameof(softcap));
        Reduce.NoBatchMean(reduction, nameof(LinearCrossEntropyLoss));
        ignoreIndex = ignore_index;
        labelSmoothing = label_smoothing;
        this.reduction = reduction;
        chunkSize = chunk_size;
        this.softcap = softcap;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden, Tensor weight, Tensor target) => forward(hidden, weight, target, null);

    /// <summary>The loss with a bias.</summary>
    /// <param name="hidden">Hidden states (N, D).</param>
    /// <param name="weight">The projection's weight (V, D).</param>
    /// <param name="target">Class indices (N).</param>
    /// <param name="bias">The projection's bias (V), or null.</param>
    public Tensor forward(Tensor hidden, Tensor weight, Tensor target, Tensor? bias) =>
        Losses.linear_cross_entropy(hidden, weight, target, bias, ignoreIndex, labelSmoothing, reduction, chunkSize, softcap);
}

internal sealed class LinearCrossEntropyDefinition : LossDefinition
{
    public override string Name => "linear_cross_entropy";
    public override string Family => "classification";
    public override string Summary => "Final linear projection fused with cross-entropy (Liger's FusedLinearCrossEntropy, Cut Cross-Entropy): the (N, V) logits are never made.";
    public override string Math => "x = h W^T + b [softcap: c tanh(x / c)];  l_i = (1-eps)(lse_i - x_{i,y_i}) + eps (lse_i - mean_j x_ij), mean over rows not ignored; per chunk G = s (softmax - (1-eps) onehot - eps/V), dh = G W, dW += G^T h, db += sum G";
    public override string Reference => "Hsu et al. 2024, Liger Kernel (FusedLinearCrossEntropy); Wijmans et al. 2025, Cut Your Losses in Large-Vocabulary Language Models";
    public override string Function => "Losses.linear_cross_entropy";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("ignore_index", -100, "target value whose rows are skipped"),
        ParamSpec.Float("label_smoothing", 0.0, "eps: target becomes (1 - eps) * one_hot + eps / V", min: 0, max: 1),
        ParamSpec.Reduction(),
        ParamSpec.Int("chunk_size", 0, "rows per chunk; 0: about 32 MiB of logits per chunk", min: 0),
        ParamSpec.Float("softcap", 0.0, "when > 0, logits become softcap * tanh(logits / softcap)", min: 0),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("hidden", "(N, D) hidden states"),
        InputSpec.Grad("weight", "(V, D) projection weight"),
        InputSpec.Data("target", "(N) class indices"),
        new InputSpec("bias", "(V) projection bias", Required: false, Differentiable: true),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.linear_cross_entropy(x.Required("hidden"), x.Required("weight"), x.Required("target"), x.Optional("bias"), p.Int("ignore_index"),
            p.Float("label_smoothing"), p.Reduction, p.Int("chunk_size"), p.Float("softcap"));

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(7,3)x(5,3) mean chunk=3", g => new()
        {
            ["hidden"] = Sample.Normal(g, [7, 3]), ["weight"] = Sample.Normal(g, [5, 3]), ["target"] = Sample.Labels(g, 7, 5),
        }, ("chunk_size", "3"));
        yield return GradcheckCase.Of("(6,4)x(5,4) bias, ignore, smoothing 0.2, sum chunk=4", g => new()
        {
            ["hidden"] = Sample.Normal(g, [6, 4]), ["weight"] = Sample.Normal(g, [5, 4]), ["bias"] = Sample.Normal(g, [5]),
            ["target"] = torch.tensor(new long[] { 4, -100, 0, 2, 2, 1 }),
        }, ("label_smoothing", "0.2"), ("reduction", "sum"), ("chunk_size", "4"));
        yield return GradcheckCase.Of("(5,3)x(4,3) bias, ignore, smoothing 0.1, none chunk=2", g => new()
        {
            ["hidden"] = Sample.Normal(g, [5, 3]), ["weight"] = Sample.Normal(g, [4, 3]), ["bias"] = Sample.Normal(g, [4]),
            ["target"] = torch.tensor(new long[] { 1, 3, -100, 0, 3 }),
        }, ("label_smoothing", "0.1"), ("reduction", "none"), ("chunk_size", "2"));
        yield return GradcheckCase.Of("(6,3)x(5,3) softcap 2, smoothing 0.3", g => new()
        {
            ["hidden"] = Sample.Normal(g, [6, 3], 2), ["weight"] = Sample.Normal(g, [5, 3]), ["bias"] = Sample.Normal(g, [5]),
            ["target"] = Sample.Labels(g, 6, 5),
        }, ("softcap", "2"), ("label_smoothing", "0.3"));
        yield return GradcheckCase.Of("(1,4)x(6,4) single row", g => new()
        {
            ["hidden"] = Sample.Normal(g, [1, 4]), ["weight"] = Sample.Normal(g, [6, 4]), ["target"] = Sample.Labels(g, 1, 6),
        });
    }
}
