using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Root-mean-square error: <c>sqrt(mean((input - target)^2) + eps)</c>, over all elements for reduction mean (the
    /// usual RMSE of a batch), or per sample (over all dimensions but the first) for reductions none and sum.
    /// </summary>
    /// <remarks>
    /// <para><b>eps and the gradient at zero error.</b> The derivative of <c>sqrt(m)</c> is <c>1 / (2 sqrt(m))</c>, unbounded
    /// at m = 0, so a plain <c>sqrt(mse)</c> gives a NaN gradient (0 * inf) when the prediction is exact. With
    /// <paramref name="eps"/> &gt; 0 the loss is <c>sqrt(m + eps)</c>: smooth everywhere, its gradient
    /// <c>(input - target) / (n sqrt(m + eps))</c> is 0 at zero error, and the value there is <c>sqrt(eps)</c> (1e-4 for
    /// the default 1e-8; that bias is the price of the smoothness). With eps = 0 the value is the exact RMSE and the
    /// gradient where m = 0 is defined as 0 (the subgradient at the minimum), so it is finite too.</para>
    /// <para><b>Reductions.</b> RMSE does not decompose over elements, so the reductions are: mean, the RMSE of all
    /// elements together (what Keras' <c>RootMeanSquaredError</c> and torchmetrics' <c>MeanSquaredError(squared=False)</c>
    /// report); none, the RMSE of each sample over its other dimensions, shape (N) (for a 1-D input, per element
    /// <c>sqrt((input - target)^2 + eps)</c>, a smoothed absolute error); sum, the sum of those per-sample values. So
    /// mean is not the mean of none. Gradients flow to both tensors, whose shapes must agree.</para>
    /// <para>Compared with <see cref="mse_loss"/> it has the same minimiser and the target's units; its gradient with respect to
    /// the input has the norm <c>1 / sqrt(n)</c> (eps = 0, n elements) whatever the size of the errors, so large errors
    /// do not give large steps.</para>
    /// <code>
    /// var loss = Losses.rmse_loss(prediction, target);                       // one scalar for the batch
    /// var perSample = Losses.rmse_loss(prediction, target, reduction: Reduction.None);
    /// </code>
    /// </remarks>
    /// <param name="input">Predictions, any shape, floating-point.</param>
    /// <param name="target">Targets, the shape of <paramref name="input"/>.</param>
    /// <param name="eps">Added to the mean square inside the root; finite and &gt;= 0.</param>
    /// <param name="reduction">mean: RMSE over all elements; none: per-sample RMSE, shape (N); sum: the sum of the per-sample RMSEs.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor rmse_loss(Tensor input, Tensor target, double eps = 1e-8, Reduction reduction = Reduction.Mean)
    {
        const string name = "rmse_loss";
        Check.ElementwisePair(input, target, name);
        Check.HasSamples(input, name, nameof(input));
        Check.Param(eps >= 0 && double.IsFinite(eps), name, nameof(eps), "a finite number >= 0", eps);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var sq = (input - target).square();
        Tensor ms;
        if (reduction == Reduction.Mean || sq.dim() == 0) ms = sq.mean();
        else if (sq.dim() == 1) ms = sq;
        else ms = sq.reshape(sq.shape[0], -1).mean([1]);
        ms = ms + eps;
        // sqrt only sees positive values, so that the gradient where ms = 0 (eps = 0, exact prediction) is 0, not NaN.
        var positive = ms.gt(0);
        var root = torch.where(positive, torch.where(positive, ms, torch.ones_like(ms)).sqrt(), torch.zeros_like(ms));
        Tensor result = reduction == Reduction.Sum ? root.sum() : root;
        return result.MoveToOuterDisposeScope();
    }
}

/// <summary>The root-mean-square error as a module; see <see cref="Losses.rmse_loss"/>.</summary>
public sealed class RmseLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double eps;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.rmse_loss"/>.</summary>
    public RmseLoss(double eps = 1e-8, Reduction reduction = Reduction.Mean) : base(nameof(RmseLoss))
    {
        Check.Param(eps >= 0 && double.IsFinite(eps), nameof(RmseLoss), nameof(eps), "a finite number >= 0", eps);
        Reduce.NoBatchMean(reduction, nameof(RmseLoss));
        this.eps = eps;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.rmse_loss(input, target, eps, reduction);
}

internal sealed class RmseDefinition : LossDefinition
{
    public override string Name => "rmse";
    public override string Family => "regression";
    public override string Summary => "Root-mean-square error, with eps inside the root so that the gradient at zero error is finite.";
    public override string Math => "mean: sqrt(mean over all elements of (input - target)^2 + eps);  none: the same per sample (over dims 1..), (N);  sum: sum of per-sample values";
    public override string Reference => "keras.metrics.RootMeanSquaredError; torchmetrics MeanSquaredError(squared=False)";
    public override string Function => "Losses.rmse_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("eps", 1e-8, "added inside the root (0: exact RMSE, gradient 0 at zero error)", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, *) predictions"),
        InputSpec.Grad("target", "(N, *) targets, the shape of input"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.rmse_loss(x.Required("input"), x.Required("target"), p.Float("eps"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,3) mean", g => new() { ["input"] = Sample.Normal(g, [6, 3]), ["target"] = Sample.Normal(g, [6, 3]) });
        yield return GradcheckCase.Of("(4,2,3) eps=0 sum", g => new() { ["input"] = Sample.Normal(g, [4, 2, 3]), ["target"] = Sample.Normal(g, [4, 2, 3]) }, ("eps", "0"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(5,2) eps=0.1 none", g => new() { ["input"] = Sample.Normal(g, [5, 2]), ["target"] = Sample.Normal(g, [5, 2]) }, ("eps", "0.1"), ("reduction", "none"));
        yield return GradcheckCase.Of("(7) none", g => new() { ["input"] = Sample.Normal(g, [7]), ["target"] = Sample.Normal(g, [7]) }, ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) mean", g => new() { ["input"] = Sample.Normal(g, [1, 4]), ["target"] = Sample.Normal(g, [1, 4]) });
    }
}
