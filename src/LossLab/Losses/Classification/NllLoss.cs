using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Negative log-likelihood loss, as PyTorch's <c>torch.nn.functional.nll_loss</c>: per element
    /// <c>l = -w[y] * input[y]</c> (the input holds log-probabilities), 0 where the target is <paramref name="ignore_index"/>.
    /// </summary>
    /// <remarks>
    /// <para>Shapes: input (C) with a 0-dimensional target (unbatched), (N, C) with target (N), or (N, C, d1, ..., dk)
    /// with target (N, d1, ..., dk) (the K-dimensional form, e.g. per-pixel classification).</para>
    /// <para>Reduction mean is the weighted mean <c>sum_i w[y_i] * l_i / sum_i w[y_i]</c> over the elements whose
    /// target is not ignored (the plain mean over them without <paramref name="weight"/>). When that total weight is 0
    /// (every target ignored) the result is NaN, as in PyTorch, and the gradient is 0.</para>
    /// <para>Unlike TorchSharp's own <c>nll_loss</c> binding, this takes <paramref name="ignore_index"/> (default -100, as
    /// PyTorch).</para>
    /// <code>
    /// var logp = torch.nn.functional.log_softmax(logits, 1);
    /// var loss = Losses.nll_loss(logp, labels, ignore_index: 0);
    /// </code>
    /// Reference: PyTorch, <c>torch.nn.functional.nll_loss</c>.
    /// </remarks>
    /// <param name="input">Log-probabilities, shape (C), (N, C) or (N, C, d1, ..., dk).</param>
    /// <param name="target">Class indices (integer), shape (), (N) or (N, d1, ..., dk), in [0, C) or equal to <paramref name="ignore_index"/>.</param>
    /// <param name="weight">Optional per-class weights, shape (C).</param>
    /// <param name="ignore_index">A target value whose elements contribute neither to the loss nor to the mean's denominator.</param>
    /// <param name="reduction">none: per-element losses, the target's shape; mean (weighted, see remarks); sum.</param>
    /// <returns>A scalar, or the target's shape for reduction none.</returns>
    public static Tensor nll_loss(Tensor input, Tensor target, Tensor? weight = null, long ignore_index = -100, Reduction reduction = Reduction.Mean)
    {
        const string name = "nll_loss";
        Check.Floating(input, name, nameof(input));
        Check.MinRank(input, name, nameof(input), 1);
        Check.Integer(target, name, nameof(target));
        Check.ClassIndexTargetShape(input, target, name, nameof(target));
        Reduce.NoBatchMean(reduction, name);
        long c = input.dim() == 1 ? input.shape[0] : input.shape[1];
        Check.ClassIndices(target, c, name, nameof(target), ignore_index);
        Check.ClassWeights(weight, c, name, nameof(weight));
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (weight, nameof(weight)));

        using var scope = NewDisposeScope();
        bool unbatched = input.dim() == 1;
        var x = unbatched ? input.unsqueeze(0) : input;
        var y = unbatched ? target.unsqueeze(0) : target;
        var result = ClassIndexLoss.Compute(x, y, weight, ignore_index, reduction, 0.0, false);
        if (unbatched && reduction == Reduction.None) result = result.squeeze(0);
        return result.MoveToOuterDisposeScope();
    }
}

/// <summary>The shared core of <see cref="Losses.nll_loss"/> and <see cref="Losses.cross_entropy"/> with class-index targets.</summary>
internal static class ClassIndexLoss
{
    /// <summary>
    /// PyTorch's weighted NLL with optional label smoothing on batched log-probabilities <paramref name="logp"/>
    /// (N, C, d1, ...) and class indices <paramref name="target"/> (N, d1, ...), already validated.
    /// </summary>
    /// <remarks>
    /// Per element: <c>(1 - eps) * w[y] * (-logp[y]) + eps / C * s</c>, with <c>s = sum_c w[c] * (-logp[c])</c> (PyTorch)
    /// or <c>s = w[y] * sum_c (-logp[c])</c> (<paramref name="consistentSmoothing"/>), and 0 where the target is ignored.
    /// Mean: the sum over <c>sum w[y]</c> of the kept elements. Ignored elements are removed with <c>where</c>, not by
    /// multiplying by 0, so that an infinite log-probability there gives neither a NaN value nor a NaN gradient.
    /// </remarks>
    public static Tensor Compute(Tensor logp, Tensor target, Tensor? weight, long ignoreIndex, Reduction reduction, double smoothing, bool consistentSmoothing)
    {
        long c = logp.shape[1];
        var y = target.to_type(ScalarType.Int64);
        var valid = y.ne(ignoreIndex);
        var safe = torch.where(valid, y, torch.zeros_like(y));
        var picked = logp.gather(1, safe.unsqueeze(1)).squeeze(1);
        var zero = torch.zeros_like(picked);
        Tensor? w = weight?.to_type(logp.dtype);
        Tensor wy = w is null ? torch.ones_like(picked) : w.index_select(0, safe.reshape(-1)).reshape(safe.shape);
        var counted = torch.where(valid, wy, zero);
        var nll = torch.where(valid, -picked * wy, zero);
        Tensor loss = nll;
        if (smoothing > 0)
        {
            Tensor s;
            if (w is null) s = -logp.sum(1);
            else if (consistentSmoothing) s = -logp.sum(1) * wy;
            else
            {
                var shape = Enumerable.Repeat(1L, (int)logp.dim()).ToArray();
                shape[1] = c;
                s = -(logp * w.view(shape)).sum(1);
            }
            s = torch.where(valid, s, zero);
            loss = (1 - smoothing) * nll + smoothing / c * s;
        }
        return reduction switch
        {
            Reduction.None => loss,
            Reduction.Sum => loss.sum(),
            Reduction.Mean => Reduce.WeightedMean(loss, counted),
            _ => throw new ArgumentException($"reduction '{reduction.ToPyTorchName()}' is not defined for this loss", nameof(reduction)),
        };
    }
}

/// <summary>The negative log-likelihood loss as a module (PyTorch's <c>NLLLoss</c>); see <see cref="Losses.nll_loss"/>.</summary>
public sealed class NLLLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Tensor? weight;
    private readonly long ignoreIndex;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.nll_loss"/>.</summary>
    public NLLLoss(Tensor? weight = null, long ignore_index = -100, Reduction reduction = Reduction.Mean) : base(nameof(NLLLoss))
    {
        Reduce.NoBatchMean(reduction, "NLLLoss");
        this.weight = weight;
        ignoreIndex = ignore_index;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.nll_loss(input, target, weight, ignoreIndex, reduction);
}

internal sealed class NllLossDefinition : LossDefinition
{
    public override string Name => "nll_loss";
    public override string Family => "classification";
    public override string Summary => "Negative log-likelihood of class indices given log-probabilities (PyTorch's nll_loss).";
    public override string Math => "l = -w[y] * input[y] (0 where y = ignore_index); mean = sum l / sum w[y] over kept elements";
    public override string Reference => "PyTorch, torch.nn.functional.nll_loss";
    public override string Function => "Losses.nll_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("ignore_index", -100, "target value whose elements are skipped"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) or (N, C, d1, ...) log-probabilities, or (C) unbatched"),
        InputSpec.Data("target", "(N) or (N, d1, ...) class indices, or () unbatched"),
        InputSpec.Optional("weight", "(C) per-class weights"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.nll_loss(x.Required("input"), x.Required("target"), x.Optional("weight"), p.Int("ignore_index"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) mean", g => new() { ["input"] = torch.nn.functional.log_softmax(Sample.Normal(g, [6, 4]), 1), ["target"] = Sample.Labels(g, 6, 4) });
        yield return GradcheckCase.Of("(5,3) weighted, ignore, mean", g => new()
        {
            ["input"] = Sample.Normal(g, [5, 3]),
            ["target"] = torch.tensor(new long[] { 0, 2, -100, 1, 2 }),
            ["weight"] = Sample.Uniform(g, [3], 0.5, 2),
        });
        yield return GradcheckCase.Of("(2,3,4) K-dim weighted none", g => new()
        {
            ["input"] = Sample.Normal(g, [2, 3, 4]),
            ["target"] = torch.randint(0, 3, new long[] { 2, 4 }, dtype: ScalarType.Int64, generator: g),
            ["weight"] = Sample.Uniform(g, [3], 0.5, 2),
        }, ("reduction", "none"));
        yield return GradcheckCase.Of("(1,5) sum", g => new() { ["input"] = Sample.Normal(g, [1, 5]), ["target"] = Sample.Labels(g, 1, 5) }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(4) unbatched, ignore_index=1", g => new() { ["input"] = Sample.Normal(g, [4]), ["target"] = torch.tensor(2L) }, ("ignore_index", "1"));
    }
}
