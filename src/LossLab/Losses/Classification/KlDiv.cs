using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Kullback-Leibler divergence loss, as PyTorch's <c>torch.nn.functional.kl_div</c>: the input holds
    /// log-probabilities; per element <c>l = t * (log t - input)</c>, or <c>l = exp(t) * (t - input)</c> when the target
    /// holds log-probabilities too (<paramref name="log_target"/>).
    /// </summary>
    /// <remarks>
    /// <para><c>t * log t</c> is PyTorch's <c>xlogy(t, t)</c>: 0 where t = 0. The gradient flows to both input and target;
    /// as in PyTorch (libtorch's <c>xlogy</c> is used), the target's gradient where t = 0 and
    /// <paramref name="log_target"/> is false is NaN (the derivative of <c>t log t</c> is unbounded there).</para>
    /// <para><b>Defaults differ from TorchSharp's binding</b>: <paramref name="log_target"/> is false, as PyTorch.
    /// Reduction batchmean (the mathematically correct KL divergence per sample) is the sum divided by the input's first
    /// dimension; mean is the mean over all elements, as in PyTorch (which warns that it is not the KL divergence).
    /// Input and target broadcast together, as PyTorch.</para>
    /// <code>
    /// var loss = Losses.kl_div(torch.nn.functional.log_softmax(logits, 1), teacherProbs, Reduction.BatchMean);
    /// </code>
    /// Reference: PyTorch, <c>torch.nn.functional.kl_div</c>.
    /// </remarks>
    /// <param name="input">Log-probabilities, any shape.</param>
    /// <param name="target">Probabilities (or log-probabilities with <paramref name="log_target"/>), broadcasting with the input.</param>
    /// <param name="reduction">none: per-element values; mean over all elements; sum; batchmean: sum / input.size(0).</param>
    /// <param name="log_target">Whether the target holds log-probabilities. Default false, as PyTorch.</param>
    /// <returns>A scalar, or the broadcast shape for reduction none.</returns>
    public static Tensor kl_div(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool log_target = false)
    {
        const string name = "kl_div";
        Check.Floating(input, name, nameof(input));
        Check.Floating(target, name, nameof(target));
        Check.MutuallyBroadcastable(input, nameof(input), target, nameof(target), name);
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));

        using var scope = NewDisposeScope();
        var t = target.dtype == input.dtype ? target : target.to_type(input.dtype);
        var pointwise = log_target ? t.exp() * (t - input) : torch.xlogy(t, t) - t * input;
        Tensor result = reduction switch
        {
            Reduction.None => pointwise,
            Reduction.Mean => pointwise.mean(),
            Reduction.Sum => pointwise.sum(),
            Reduction.BatchMean => input.dim() == 0 ? pointwise.sum() : pointwise.sum() / (double)input.shape[0],
            _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"{name}: unknown reduction"),
        };
        return result.MoveToOuterDisposeScope();
    }
}

/// <summary>The KL divergence loss as a module (PyTorch's <c>KLDivLoss</c>); see <see cref="Losses.kl_div"/>.</summary>
public sealed class KLDivLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;
    private readonly bool logTarget;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.kl_div"/>.</summary>
    public KLDivLoss(Reduction reduction = Reduction.Mean, bool log_target = false) : base(nameof(KLDivLoss))
    {
        this.reduction = reduction;
        logTarget = log_target;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.kl_div(input, target, reduction, logTarget);
}

internal sealed class KlDivDefinition : LossDefinition
{
    public override string Name => "kl_div";
    public override string Family => "divergence";
    public override string Summary => "KL divergence between a target distribution and log-probabilities (PyTorch's kl_div, log_target=false by default).";
    public override string Math => "l = xlogy(t, t) - t * input  (log_target: exp(t) * (t - input)); batchmean = sum l / N";
    public override string Reference => "PyTorch, torch.nn.functional.kl_div";
    public override string Function => "Losses.kl_div";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Reduction(batchMean: true),
        ParamSpec.Bool("log_target", false, "whether the target holds log-probabilities"),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(*) log-probabilities"),
        InputSpec.Grad("target", "(*) probabilities (log-probabilities with log_target)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.kl_div(x.Required("input"), x.Required("target"), p.Reduction, p.Bool("log_target"));

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) batchmean", g => new() { ["input"] = torch.nn.functional.log_softmax(Sample.Normal(g, [6, 4]), 1), ["target"] = Sample.Simplex(g, 6, 4) }, ("reduction", "batchmean"));
        yield return GradcheckCase.Of("(5,3) mean", g => new() { ["input"] = torch.nn.functional.log_softmax(Sample.Normal(g, [5, 3]), 1), ["target"] = Sample.Simplex(g, 5, 3) });
        yield return GradcheckCase.Of("(4,5) none", g => new() { ["input"] = Sample.Normal(g, [4, 5]), ["target"] = Sample.Uniform(g, [4, 5], 0.05, 1) }, ("reduction", "none"));
        yield return GradcheckCase.Of("(6,4) log_target batchmean", g => new() { ["input"] = torch.nn.functional.log_softmax(Sample.Normal(g, [6, 4]), 1), ["target"] = torch.nn.functional.log_softmax(Sample.Normal(g, [6, 4]), 1) }, ("reduction", "batchmean"), ("log_target", "true"));
        yield return GradcheckCase.Of("(1,3) log_target sum", g => new() { ["input"] = Sample.Normal(g, [1, 3]), ["target"] = Sample.Normal(g, [1, 3]) }, ("reduction", "sum"), ("log_target", "true"));
    }
}
