using LossLab.Registry;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// L1 weight penalty, as Keras' <c>regularizers.L1</c>: <c>l1 * sum |w|</c> over the given weights.
    /// </summary>
    /// <remarks>
    /// <para>Added to a loss it drives weights to exactly 0 (sparsity, implicit feature selection: the lasso of Tibshirani
    /// 1996). Its gradient is <c>l1 * sign(w)</c>, 0 at w = 0 (PyTorch's subgradient of <c>abs</c>); plain gradient
    /// descent makes weights oscillate around 0 rather than settle on it, so use a proximal step when exact zeros
    /// matter. The module and parameter-list forms sum over a model's parameters, skipping biases and normalisation
    /// layers by default (<see cref="PenalizedParameters"/>).</para>
    /// <code>
    /// var loss = Losses.cross_entropy(model.call(x), y) + Losses.l1_penalty(model, 1e-5);
    /// </code>
    /// </remarks>
    /// <param name="weights">The weights, any shape, floating-point.</param>
    /// <param name="l1">The coefficient; finite and &gt;= 0.</param>
    /// <returns>A scalar.</returns>
    public static Tensor l1_penalty(Tensor weights, double l1 = 0.01) =>
        WeightPenalty(weights, l1, "l1_penalty", nameof(l1), w => w.abs());

    /// <summary>The L1 penalty summed over a model's parameters; see <see cref="l1_penalty(Tensor, double)"/>.</summary>
    /// <param name="module">The model.</param>
    /// <param name="l1">The coefficient; finite and &gt;= 0.</param>
    /// <param name="exclude">Returns true for parameter names to skip; null: biases and normalisation layers (<see cref="PenalizedParameters"/>).</param>
    /// <returns>A scalar (a float32 zero when no parameter is selected).</returns>
    public static Tensor l1_penalty(nn.Module module, double l1 = 0.01, Func<string, bool>? exclude = null) =>
        PenalizedParameters.Sum(PenalizedParameters.Select(module, exclude), w => l1_penalty(w, l1));

    /// <summary>The L1 penalty summed over named parameters; see <see cref="l1_penalty(Tensor, double)"/>.</summary>
    /// <param name="parameters">Named parameters, e.g. <c>model.named_parameters()</c>.</param>
    /// <param name="l1">The coefficient; finite and &gt;= 0.</param>
    /// <param name="exclude">Returns true for parameter names to skip; null: names ending in <c>bias</c>.</param>
    /// <returns>A scalar (a float32 zero when no parameter is selected).</returns>
    public static Tensor l1_penalty(IEnumerable<(string name, Parameter parameter)> parameters, double l1 = 0.01, Func<string, bool>? exclude = null) =>
        PenalizedParameters.Sum(PenalizedParameters.Select(parameters, exclude), w => l1_penalty(w, l1));
}

/// <summary>The L1 weight penalty as a module: <c>forward(weights)</c>, or <c>forward(model)</c> over a model's parameters;
/// see <see cref="Losses.l1_penalty(Tensor, double)"/>.</summary>
public sealed class L1Penalty : WeightPenaltyModule
{
    private readonly double l1;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.l1_penalty(nn.Module, double, Func{string, bool}?)"/>.</summary>
    public L1Penalty(double l1 = 0.01, Func<string, bool>? exclude = null) : base(nameof(L1Penalty), exclude)
    {
        Check.Param(l1 >= 0 && double.IsFinite(l1), nameof(L1Penalty), nameof(l1), "a finite number >= 0", l1);
        this.l1 = l1;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor weights) => Losses.l1_penalty(weights, l1);

    /// <inheritdoc/>
    public override Tensor forward(nn.Module model) => Losses.l1_penalty(model, l1, Exclude);
}

internal sealed class L1PenaltyDefinition : WeightPenaltyDefinition
{
    public override string Name => "l1_penalty";
    public override string Summary => "L1 weight penalty l1 * sum |w| (Keras' L1 regulariser); over a model, biases and norm layers are skipped by default.";
    public override string Math => "l = l1 * sum |w|";
    public override string Reference => "Tibshirani 1996, Regression Shrinkage and Selection via the Lasso; keras.regularizers.L1";
    public override string Function => "Losses.l1_penalty";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Float("l1", 0.01, "the coefficient", min: 0)];

    public override Tensor Compute(LossInputs x, LossParameters p) => Losses.l1_penalty(x.Required("weights"), p.Float("l1"));

    protected override IReadOnlyList<(string key, string value)[]> Settings { get; } = [[], [("l1", "0.5")], [("l1", "3")], [("l1", "0")]];
}
