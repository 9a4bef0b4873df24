using LossLab.Registry;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// L2 weight penalty, as Keras' <c>regularizers.L2</c>: <c>l2 * sum w^2</c> over the given weights (no factor 1/2).
    /// </summary>
    /// <remarks>
    /// <para>Added to a loss it shrinks all weights towards 0 in proportion to their size (ridge regression, Hoerl &amp;
    /// Kennard 1970; "weight decay"). Its gradient is <c>2 l2 w</c>, so with plain SGD it equals PyTorch's
    /// <c>weight_decay = 2 l2</c>; with adaptive optimisers it is not decoupled weight decay (AdamW, Loshchilov &amp;
    /// Hutter 2019), since the penalty's gradient is rescaled with the loss's. The module and parameter-list forms sum
    /// over a model's parameters, skipping biases and normalisation layers by default (<see cref="PenalizedParameters"/>).</para>
    /// <code>
    /// var loss = Losses.cross_entropy(model.call(x), y) + Losses.l2_penalty(model, 5e-5);
    /// </code>
    /// </remarks>
    /// <param name="weights">The weights, any shape, floating-point.</param>
    /// <param name="l2">The coefficient; finite and &gt;= 0.</param>
    /// <returns>A scalar.</returns>
    public static Tensor l2_penalty(Tensor weights, double l2 = 0.01) =>
        WeightPenalty(weights, l2, "l2_penalty", nameof(l2), w => w.square());

    /// <summary>The L2 penalty summed over a model's parameters; see <see cref="l2_penalty(Tensor, double)"/>.</summary>
    /// <param name="module">The model.</param>
    /// <param name="l2">The coefficient; finite and &gt;= 0.</param>
    /// <param name="exclude">Returns true for parameter names to skip; null: biases and normalisation layers (<see cref="PenalizedParameters"/>).</param>
    /// <returns>A scalar (a float32 zero when no parameter is selected).</returns>
    public static Tensor l2_penalty(nn.Module module, double l2 = 0.01, Func<string, bool>? exclude = null) =>
        PenalizedParameters.Sum(PenalizedParameters.Select(module, exclude), w => l2_penalty(w, l2));

    /// <summary>The L2 penalty summed over named parameters; see <see cref="l2_penalty(Tensor, double)"/>.</summary>
    /// <param name="parameters">Named parameters, e.g. <c>model.named_parameters()</c>.</param>
    /// <param name="l2">The coefficient; finite and &gt;= 0.</param>
    /// <param name="exclude">Returns true for parameter names to skip; null: names ending in <c>bias</c>.</param>
    /// <returns>A scalar (a float32 zero when no parameter is selected).</returns>
    public static Tensor l2_penalty(IEnumerable<(string name, Parameter parameter)> parameters, double l2 = 0.01, Func<string, bool>? exclude = null) =>
        PenalizedParameters.Sum(PenalizedParameters.Select(parameters, exclude), w => l2_penalty(w, l2));
}

/// <summary>The L2 weight penalty as a module: <c>forward(weights)</c>, or <c>forward(model)</c> over a model's parameters;
/// see <see cref="Losses.l2_penalty(Tensor, double)"/>.</summary>
public sealed class L2Penalty : WeightPenaltyModule
{
    private readonly double l2;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.l2_penalty(nn.Module, double, Func{string, bool}?)"/>.</summary>
    public L2Penalty(double l2 = 0.01, Func<string, bool>? exclude = null) : base(nameof(L2Penalty), exclude)
    {
        Check.Param(l2 >= 0 && double.IsFinite(l2), nameof(L2Penalty), nameof(l2), "a finite number >= 0", l2);
        this.l2 = l2;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor weights) => Losses.l2_penalty(weights, l2);

    /// <inheritdoc/>
    public override Tensor forward(nn.Module model) => Losses.l2_penalty(model, l2, Exclude);
}

internal sealed class L2PenaltyDefinition : WeightPenaltyDefinition
{
    public override string Name => "l2_penalty";
    public override string Summary => "L2 weight penalty l2 * sum w^2 (Keras' L2 regulariser); over a model, biases and norm layers are skipped by default.";
    public override string Math => "l = l2 * sum w^2";
    public override string Reference => "Hoerl & Kennard 1970, Ridge Regression; keras.regularizers.L2";
    public override string Function => "Losses.l2_penalty";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Float("l2", 0.01, "the coefficient", min: 0)];

    public override Tensor Compute(LossInputs x, LossParameters p) => Losses.l2_penalty(x.Required("weights"), p.Float("l2"));

    protected override IReadOnlyList<(string key, string value)[]> Settings { get; } = [[], [("l2", "0.5")], [("l2", "3")], [("l2", "0")]];
}
