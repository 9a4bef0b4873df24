using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Elastic weight consolidation penalty (Kirkpatrick et al. 2017):
    /// <c>lambda / 2 * sum_i F_i (theta_i - theta*_i)^2</c>, a quadratic anchor that keeps each weight near its value
    /// after a previous task in proportion to its importance there, the diagonal Fisher information <c>F_i</c>.
    /// </summary>
    /// <remarks>
    /// <para>For continual learning: after training on task A, record the weights (<see cref="Ewc.Snapshot"/>) and estimate
    /// the diagonal Fisher on task A's data (<see cref="Ewc.EstimateDiagonalFisher"/>); while training on task B, add this
    /// penalty to B's loss. It is the Laplace approximation of the posterior after task A, used as a prior for task B.
    /// The gradient with respect to the weights is <c>lambda F (theta - theta*)</c>; anchor and Fisher are data (no gradient
    /// is meant for them). Kirkpatrick et al. tune lambda over orders of magnitude (hundreds to thousands are common).</para>
    /// <code>
    /// var anchor = Ewc.Snapshot(model);
    /// var fisher = Ewc.EstimateDiagonalFisher(model, taskABatches, b => Losses.cross_entropy(model.call(b.x), b.y, reduction: Reduction.Sum));
    /// // ... on task B:
    /// var loss = Losses.cross_entropy(model.call(x), y) + Losses.ewc_penalty(model, anchor, fisher, lambda: 400);
    /// </code>
    /// Reference: Kirkpatrick et al. 2017, Overcoming catastrophic forgetting in neural networks, PNAS, eq. 3.
    /// </remarks>
    /// <param name="weights">The current weights theta, any shape, floating-point.</param>
    /// <param name="anchor">The weights after the previous task theta*, the shape of <paramref name="weights"/>.</param>
    /// <param name="fisher">The diagonal Fisher information F &gt;= 0, the shape of <paramref name="weights"/>.</param>
    /// <param name="lambda">The strength; finite and &gt;= 0.</param>
    /// <returns>A scalar.</returns>
    public static Tensor ewc_penalty(Tensor weights, Tensor anchor, Tensor fisher, double lambda = 1.0)
    {
        const string name = "ewc_penalty";
        Check.ElementwisePair(weights, anchor, name, nameof(weights), nameof(anchor));
        Check.ElementwisePair(weights, fisher, name, nameof(weights), nameof(fisher));
        Check.Param(lambda >= 0 && double.IsFinite(lambda), name, nameof(lambda), "a finite number >= 0", lambda);
        Check.NonNegativeValues(fisher, name, nameof(fisher), "a diagonal Fisher information");

        using var scope = NewDisposeScope();
        var penalty = (fisher * (weights - anchor).square()).sum() * (0.5 * lambda);
        return penalty.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The EWC penalty over a model's parameters: the sum of <see cref="ewc_penalty(Tensor, Tensor, Tensor, double)"/> over
    /// every parameter named in <paramref name="fisher"/> (parameters not named there are not anchored).
    /// </summary>
    /// <param name="module">The model being trained.</param>
    /// <param name="anchor">Parameter name to its value after the previous task (<see cref="Ewc.Snapshot"/>); every name of <paramref name="fisher"/> must be present.</param>
    /// <param name="fisher">Parameter name to its diagonal Fisher (<see cref="Ewc.EstimateDiagonalFisher"/>).</param>
    /// <param name="lambda">The strength; finite and &gt;= 0.</param>
    /// <returns>A scalar (a float32 zero when <paramref name="fisher"/> is empty).</returns>
    /// <exception cref="ArgumentException">A name of <paramref name="fisher"/> is not a parameter of the module or has no anchor.</exception>
    public static Tensor ewc_penalty(nn.Module module, IReadOnlyDictionary<string, Tensor> anchor, IReadOnlyDictionary<string, Tensor> fisher, double lambda = 1.0)
    {
        const string name = "ewc_penalty";
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(anchor);
        ArgumentNullException.ThrowIfNull(fisher);
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var terms = new List<(Tensor w, Tensor a, Tensor f)>();
        foreach (var (key, f) in fisher)
        {
            if (!parameters.TryGetValue(key, out var w))
                throw new ArgumentException($"{name}: 'fisher' names '{key}', which is not a parameter of the module", nameof(fisher));
            if (!anchor.TryGetValue(key, out var a))
                throw new ArgumentException($"{name}: 'anchor' has no value for the parameter '{key}'", nameof(anchor));
            terms.Add((w, a, f));
        }
        if (terms.Count == 0) return torch.zeros(Array.Empty<long>(), dtype: ScalarType.Float32);
        using var scope = NewDisposeScope();
        var total = ewc_penalty(terms[0].w, terms[0].a, terms[0].f, lambda);
        for (int i = 1; i < terms.Count; i++) total = total + ewc_penalty(terms[i].w, terms[i].a, terms[i].f, lambda);
        return total.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Helpers for elastic weight consolidation (<see cref="Losses.ewc_penalty(nn.Module, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, Tensor}, double)"/>):
/// the anchor weights and the diagonal Fisher information of a trained model.
/// </summary>
public static class Ewc
{
    /// <summary>A detached copy of every parameter of <paramref name="module"/>, by name: the anchor theta*.</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (torch.no_grad())
            foreach (var (n, p) in module.named_parameters()) result[n] = p.detach().clone();
        return result;
    }

    /// <summary>
    /// Estimates the diagonal Fisher information of <paramref name="module"/>'s trainable parameters from data: the
    /// average over batches of the squared gradient of the batch's negative log-likelihood,
    /// <c>F = (1/B) sum_b (d NLL_b / d theta)^2</c>.
    /// </summary>
    /// <remarks>
    /// <para><paramref name="lossFn"/> runs the model on a batch and returns the batch's negative log-likelihood as a scalar
    /// (e.g. <c>cross_entropy(..., reduction: Sum)</c>). With batches of one sample and the data's labels this is the
    /// empirical Fisher used by Kirkpatrick et al.; with labels sampled from the model inside <paramref name="lossFn"/> it
    /// is the (Monte-Carlo) true Fisher; with larger batches it is the cheaper batch approximation (the square of a
    /// batch's summed gradient, not the sum of per-sample squares).</para>
    /// <para>Each batch is evaluated in its own dispose scope, and gradients are taken with <c>torch.autograd.grad</c>, so the
    /// parameters' <c>.grad</c> fields are left untouched and no graph outlives its batch. Parameters that do not require
    /// a gradient are left out; a parameter the loss does not use gets a Fisher of 0. The model's mode (train/eval) is
    /// the caller's choice.</para>
    /// </remarks>
    /// <typeparam name="TBatch">The type of a batch (e.g. a tuple of input and target tensors).</typeparam>
    /// <param name="module">The trained model.</param>
    /// <param name="batches">The batches of the previous task's data (enumerated once).</param>
    /// <param name="lossFn">Computes a batch's negative log-likelihood (a scalar) with the model.</param>
    /// <returns>Parameter name to its diagonal Fisher, detached, with the parameter's shape, dtype and device.</returns>
    /// <exception cref="ArgumentException">No batch, no trainable parameter, or a loss that is not a scalar.</exception>
    public static Dictionary<string, Tensor> EstimateDiagonalFisher<TBatch>(nn.Module module, IEnumerable<TBatch> batches, Func<TBatch, Tensor> lossFn)
    {
        const string name = "Ewc.EstimateDiagonalFisher";
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(lossFn);
        var named = module.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        if (named.Count == 0)
            throw new ArgumentException($"{name}: the module has no parameter that requires a gradient", nameof(module));
        var leaves = named.Select(p => (Tensor)p.parameter).ToList();

        using var scope = NewDisposeScope();
        List<Tensor> sums;
        using (torch.no_grad()) sums = leaves.Select(p => torch.zeros_like(p)).ToList();
        int count = 0;
        foreach (var batch in batches)
        {
            using var perBatch = NewDisposeScope();
            var loss = lossFn(batch);
            if (loss is null || loss.numel() != 1 || !loss.dtype.IsFloatingPoint())
                throw new ArgumentException($"{name}: 'lossFn' must return a floating-point scalar (the batch's negative log-likelihood), got {(loss is null ? "null" : Check.Shape(loss) + " " + loss.dtype)}", nameof(lossFn));
            if (!loss.requires_grad)
                throw new ArgumentException($"{name}: the loss of a batch does not depend on the module's parameters (no gradient); run the model inside 'lossFn'", nameof(lossFn));
            var grads = torch.autograd.grad(new List<Tensor> { loss.reshape(Array.Empty<long>()) }, leaves, allow_unused: true);
            using (torch.no_grad())
            {
                for (int k = 0; k < sums.Count; k++)
                    if (grads[k] is not null && !grads[k].IsInvalid) sums[k].add_(grads[k].square());
            }
            count++;
        }
        if (count == 0)
            throw new ArgumentException($"{name}: 'batches' is empty; at least one batch is needed", nameof(batches));
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (torch.no_grad())
            for (int k = 0; k < sums.Count; k++)
            {
                sums[k].div_(count);
                result[named[k].name] = sums[k].MoveToOuterDisposeScope();
            }
        return result;
    }
}

/// <summary>
/// The EWC penalty as a module: <c>forward(weights, anchor, fisher)</c> on tensors, or <c>forward(model)</c> with the
/// anchor and Fisher given at construction; see <see cref="Losses.ewc_penalty(Tensor, Tensor, Tensor, double)"/>.
/// </summary>
public sealed class EwcPenalty : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly double lambda;
    private readonly IReadOnlyDictionary<string, Tensor>? anchor;
    private readonly IReadOnlyDictionary<string, Tensor>? fisher;

    /// <summary>Creates the module.</summary>
    /// <param name="lambda">The strength; finite and &gt;= 0.</param>
    /// <param name="anchor">For <see cref="forward(nn.Module)"/>: the weights after the previous task, by name (<see cref="Ewc.Snapshot"/>).</param>
    /// <param name="fisher">For <see cref="forward(nn.Module)"/>: the diagonal Fisher, by name (<see cref="Ewc.EstimateDiagonalFisher"/>).</param>
    public EwcPenalty(double lambda = 1.0, IReadOnlyDictionary<string, Tensor>? anchor = null, IReadOnlyDictionary<string, Tensor>? fisher = null) : base(nameof(EwcPenalty))
    {
        Check.Param(lambda >= 0 && double.IsFinite(lambda), nameof(EwcPenalty), nameof(lambda), "a finite number >= 0", lambda);
        if ((anchor is null) != (fisher is null))
            throw new ArgumentException($"{nameof(EwcPenalty)}: give both 'anchor' and 'fisher', or neither", anchor is null ? nameof(anchor) : nameof(fisher));
        this.lambda = lambda;
        this.anchor = anchor;
        this.fisher = fisher;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor weights, Tensor anchor, Tensor fisher) => Losses.ewc_penalty(weights, anchor, fisher, lambda);

    /// <summary>The penalty over <paramref name="model"/>'s parameters, with the anchor and Fisher given at construction.</summary>
    /// <exception cref="InvalidOperationException">The module was created without anchor and Fisher.</exception>
    public Tensor forward(nn.Module model) =>
        anchor is not null && fisher is not null
            ? Losses.ewc_penalty(model, anchor, fisher, lambda)
            : throw new InvalidOperationException($"{nameof(EwcPenalty)}: forward(model) needs the 'anchor' and 'fisher' given at construction");
}

internal sealed class EwcDefinition : LossDefinition
{
    public override string Name => "ewc";
    public override string Family => "regularization";
    public override string Summary => "Elastic weight consolidation: lambda/2 * sum F (theta - theta*)^2 anchoring weights by their Fisher importance.";
    public override string Math => "l = lambda / 2 * sum_i fisher_i (weights_i - anchor_i)^2";
    public override string Reference => "Kirkpatrick et al. 2017, Overcoming catastrophic forgetting in neural networks (PNAS), eq. 3";
    public override string Function => "Losses.ewc_penalty";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Float("lambda", 1.0, "strength of the anchor", min: 0)];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("weights", "(*) current weights theta"),
        InputSpec.Data("anchor", "(*) weights after the previous task theta*, the shape of weights"),
        InputSpec.Data("fisher", "(*) diagonal Fisher information >= 0, the shape of weights"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.ewc_penalty(x.Required("weights"), x.Required("anchor"), x.Required("fisher"), p.Float("lambda"));

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> Make(Generator g, long[] shape) => new()
        {
            ["weights"] = Sample.Normal(g, shape),
            ["anchor"] = Sample.Normal(g, shape),
            ["fisher"] = Sample.Uniform(g, shape, 0, 2),
        };
        yield return GradcheckCase.Of("(4,3)", g => Make(g, [4, 3]));
        yield return GradcheckCase.Of("(2,3,2) lambda=400", g => Make(g, [2, 3, 2]), ("lambda", "400"));
        yield return GradcheckCase.Of("(7) lambda=0.5", g => Make(g, [7]), ("lambda", "0.5"));
        yield return GradcheckCase.Of("(1,1)", g => Make(g, [1, 1]));
    }
}
