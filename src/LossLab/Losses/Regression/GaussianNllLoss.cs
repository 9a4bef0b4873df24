using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Negative log-likelihood of a Gaussian with predicted mean and variance, as
    /// <c>torch.nn.functional.gaussian_nll_loss</c>: per element
    /// <c>0.5 * (log(max(var, eps)) + (input - target)^2 / max(var, eps))</c>, plus <c>0.5 * log(2 pi)</c> when
    /// <paramref name="full"/>.
    /// </summary>
    /// <remarks>
    /// <para>The variance is clamped at <paramref name="eps"/> for stability the way PyTorch does it, without recording the
    /// clamp: the value uses <c>max(var, eps)</c>, and the gradient with respect to <paramref name="var"/> is the gradient
    /// with respect to the clamped variance, passed through unchanged (also where var &lt; eps). The clamp's offset is the
    /// held term <c>var_clamp</c>. Gradients flow to <paramref name="input"/>, <paramref name="target"/> and
    /// <paramref name="var"/> (TorchSharp's own binding passes none to var).</para>
    /// <para>Shapes, as PyTorch allows: <paramref name="var"/> has the shape of <paramref name="input"/> (heteroscedastic),
    /// or that shape with the last dimension 1, or that shape without the last dimension (one variance per row,
    /// homoscedastic); <paramref name="target"/> has the shape of <paramref name="input"/>, where some dimensions may be 1
    /// (broadcast). Negative variances are an error.</para>
    /// <code>
    /// var (mean, variance) = model.forward(x);
    /// var loss = Losses.gaussian_nll_loss(mean, y, variance, full: true);
    /// </code>
    /// </remarks>
    /// <param name="input">Predicted means, shape (N, *), floating-point.</param>
    /// <param name="target">Observations, the shape of <paramref name="input"/> (dimensions of size 1 broadcast).</param>
    /// <param name="var">Predicted variances, &gt;= 0: shape (N, *), (N, *) with last dimension 1, or (N, *) without its last dimension.</param>
    /// <param name="full">Whether to add the constant <c>0.5 * log(2 pi)</c>.</param>
    /// <param name="eps">The smallest variance used; &gt;= 0.</param>
    /// <param name="reduction">none: per-element losses (the shape of input); mean (over all elements); sum.</param>
    /// <returns>A scalar, or the per-element losses for reduction none.</returns>
    public static Tensor gaussian_nll_loss(Tensor input, Tensor target, Tensor var, bool full = false, double eps = 1e-6, Reduction reduction = Reduction.Mean)
    {
        const string name = "gaussian_nll_loss";
        Check.Floating(input, name, nameof(input));
        Check.Floating(target, name, nameof(target));
        Check.Floating(var, name, nameof(var));
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (var, nameof(var)));
        Check.Param(eps >= 0 && double.IsFinite(eps), name, nameof(eps), "a finite number >= 0", eps);
        Reduce.NoBatchMean(reduction, name);
        if (target.dim() != input.dim() || Enumerable.Range(0, (int)input.dim()).Any(i => target.shape[i] != input.shape[i] && target.shape[i] != 1))
            throw new ArgumentException($"{name}: 'target' must have the shape of 'input' {Check.Shape(input)} (dimensions of size 1 broadcast), got {Check.Shape(target)}", nameof(target));
        bool unsqueeze = GaussianVarNeedsUnsqueeze(input, var, name);
        Check.NonNegativeValues(var, name, nameof(var), "variances");

        using var scope = NewDisposeScope();
        var v = unsqueeze ? var.unsqueeze(-1) : var;
        // PyTorch clamps a clone of var in place under no_grad: the value is max(var, eps), the gradient passes straight through.
        var clamped = v + Surrogate.Hold("var_clamp", v.clamp_min(eps) - v);
        var loss = 0.5 * (clamped.log() + (input - target).square() / clamped);
        if (full) loss = loss + 0.5 * System.Math.Log(2 * System.Math.PI);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }

    /// <summary>Checks the shape of gaussian_nll_loss's var against input; true when var lacks input's last dimension.</summary>
    private static bool GaussianVarNeedsUnsqueeze(Tensor input, Tensor var, string name)
    {
        var ins = input.shape;
        var vs = var.shape;
        if (ins.SequenceEqual(vs)) return false;
        var prefix = ins.Length == 0 ? ins : ins[..^1];
        if (prefix.SequenceEqual(vs)) return true;
        if (vs.Length == ins.Length && vs.Length > 0 && vs[^1] == 1 && prefix.SequenceEqual(vs[..^1])) return false;
        throw new ArgumentException($"{name}: 'var' must have the shape of 'input' {Check.Shape(input)}, that shape with the last dimension 1, or that shape without its last dimension; got {Check.Shape(var)}", nameof(var));
    }
}

/// <summary>The Gaussian negative log-likelihood as a module, <c>forward(input, target, var)</c>; see <see cref="Losses.gaussian_nll_loss"/>.</summary>
public sealed class GaussianNllLoss : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly bool full;
    private readonly double eps;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.gaussian_nll_loss"/>.</summary>
    public GaussianNllLoss(bool full = false, double eps = 1e-6, Reduction reduction = Reduction.Mean) : base(nameof(GaussianNllLoss))
    {
        Check.Param(eps >= 0 && double.IsFinite(eps), "GaussianNllLoss", nameof(eps), "a finite number >= 0", eps);
        Reduce.NoBatchMean(reduction, "GaussianNllLoss");
        this.full = full;
        this.eps = eps;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target, Tensor var) => Losses.gaussian_nll_loss(input, target, var, full, eps, reduction);
}

internal sealed class GaussianNllLossDefinition : LossDefinition
{
    public override string Name => "gaussian_nll_loss";
    public override string Family => "regression";
    public override string Summary => "Gaussian negative log-likelihood with predicted variance (torch.nn.functional.gaussian_nll_loss).";
    public override string Math => "v = max(var, eps) (gradient passed straight through);  l = 0.5 (log v + (input - target)^2 / v) [+ 0.5 log(2 pi) if full]";
    public override string Reference => "Nix & Weigend 1994, Estimating the mean and variance of the target probability distribution; torch.nn.functional.gaussian_nll_loss";
    public override string Function => "Losses.gaussian_nll_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["var_clamp"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Bool("full", false, "add the constant 0.5 log(2 pi)"),
        ParamSpec.Float("eps", 1e-6, "the smallest variance used (the clamp passes gradients straight through)", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, *) predicted means"),
        InputSpec.Grad("target", "(N, *) observations"),
        InputSpec.Grad("var", "(N, *), (N, *, 1) or (N, *) without the last dimension: predicted variances >= 0"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.gaussian_nll_loss(x.Required("input"), x.Required("target"), x.Required("var"), p.Bool("full"), p.Float("eps"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,3) mean", g => new() { ["input"] = Sample.Normal(g, [6, 3]), ["target"] = Sample.Normal(g, [6, 3]), ["var"] = Sample.Uniform(g, [6, 3], 0.2, 2) });
        yield return GradcheckCase.Of("(5,3) var (5,1) full sum", g => new() { ["input"] = Sample.Normal(g, [5, 3]), ["target"] = Sample.Normal(g, [5, 3]), ["var"] = Sample.Uniform(g, [5, 1], 0.2, 2) }, ("full", "true"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(4,2) var (4) none", g => new() { ["input"] = Sample.Normal(g, [4, 2]), ["target"] = Sample.Normal(g, [4, 2]), ["var"] = Sample.Uniform(g, [4], 0.2, 2) }, ("reduction", "none"));
        // One variance below eps: its gradient is the clamped variance's, passed straight through (the clamp offset is held).
        yield return GradcheckCase.Of("(1,3) eps=0.1, var partly clamped", g => new() { ["input"] = Sample.Normal(g, [1, 3]), ["target"] = Sample.Normal(g, [1, 3]), ["var"] = torch.tensor(new[] { 0.03, 0.4, 1.3 }, dtype: ScalarType.Float64).reshape(1, 3) }, ("eps", "0.1"));
    }
}
