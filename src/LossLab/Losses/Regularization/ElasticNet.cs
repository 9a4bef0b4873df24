using LossLab.Registry;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Elastic-net weight penalty in scikit-learn's parameterisation:
    /// <c>alpha * (l1_ratio * sum |w| + 0.5 * (1 - l1_ratio) * sum w^2)</c>.
    /// </summary>
    /// <remarks>
    /// <para>A mix of the L1 penalty (sparsity) and the L2 penalty (grouping of correlated weights, stability), as Zou &amp;
    /// Hastie 2005 and <c>sklearn.linear_model.ElasticNet</c>: <paramref name="l1_ratio"/> = 1 is
    /// <c>l1_penalty(w, l1: alpha)</c>, 0 is <c>l2_penalty(w, l2: alpha / 2)</c>. (Keras' <c>L1L2(l1, l2)</c> is
    /// <c>alpha = l1 + 2 l2</c>, <c>l1_ratio = l1 / alpha</c>.) Its gradient is
    /// <c>alpha (l1_ratio sign(w) + (1 - l1_ratio) w)</c>, with sign(0) = 0. The module and parameter-list forms sum over a
    /// model's parameters, skipping biases and normalisation layers by default (<see cref="PenalizedParameters"/>).</para>
    /// <code>
    /// var loss = Losses.mse_loss(model.call(x), y) + Losses.elastic_net_penalty(model, alpha: 1e-3, l1_ratio: 0.2);
    /// </code>
    /// </remarks>
    /// <param name="weights">The weights, any shape, floating-point.</param>
    /// <param name="alpha">The overall coefficient; finite and &gt;= 0.</param>
    /// <param name="l1_ratio">The share of the L1 part, in [0, 1].</param>
    /// <returns>A scalar.</returns>
    public static Tensor elastic_net_penalty(Tensor weights, double alpha = 0.01, double l1_ratio = 0.5)
    {
        CheckElasticNet("elastic_net_penalty", alpha, l1_ratio);
        return WeightPenalty(weights, alpha, "elastic_net_penalty", nameof(alpha), w => l1_ratio * w.abs() + 0.5 * (1 - l1_ratio) * w.square());
    }

    /// <summary>The elastic-net penalty summed over a model's parameters; see <see cref="elastic_net_penalty(Tensor, double, double)"/>.</summary>
    /// <param name="module">The model.</param>
    /// <param name="alpha">The overall coefficient; finite and &gt;= 0.</param>
    /// <param name="l1_ratio">The share of the L1 part, in [0, 1].</param>
    /// <param name="exclude">Returns true for parameter names to skip; null: biases and normalisation layers (<see cref="PenalizedParameters"/>).</param>
    /// <returns>A scalar (a float32 zero when no parameter is selected).</returns>
    public static Tensor elastic_net_penalty(nn.Module module, double alpha = 0.01, double l1_ratio = 0.5, Func<string, bool>? exclude = null) =>
        PenalizedParameters.Sum(PenalizedParameters.Select(module, exclude), w => elastic_net_penalty(w, alpha, l1_ratio));

    /// <summary>The elastic-net penalty summed over named parameters; see <see cref="elastic_net_penalty(Tensor, double, double)"/>.</summary>
    /// <param name="parameters">Named parameters, e.g. <c>model.named_parameters()</c>.</param>
    /// <param name="alpha">The overall coefficient; finite and &gt;= 0.</param>
    /// <param name="l1_ratio">The share of the L1 part, in [0, 1].</param>
    /// <param name="exclude">Returns true for parameter names to skip; null: names ending in <c>bias</c>.</param>
    /// <returns>A scalar (a float32 zero when no parameter is selected).</returns>
    public static Tensor elastic_net_penalty(IEnumerable<(string name, Parameter parameter)> parameters, double alpha = 0.01, double l1_ratio = 0.5, Func<string, bool>? exclude = null) =>
        PenalizedParameters.Sum(PenalizedParameters.Select(parameters, exclude), w => elastic_net_penalty(w, alpha, l1_ratio));

    internal static void CheckElasticNet(string name, double alpha, double l1Ratio)
    {
        Check.Param(alpha >= 0 && double.IsFinite(alpha), name, "alpha", "a finite number >= 0", alpha);
        Check.Param(l1Ratio >= 0 && l1Ratio <= 1, name, "l1_ratio", "in [0, 1]", l1Ratio);
    }
}

/// <summary>The elastic-net penalty as a module: <c>forward(weights)</c>, or <c>forward(model)</c> over a model's parameters;
/// see <see cref="Losses.elastic_net_penalty(Tensor, double, double)"/>.</summary>
public sealed class ElasticNetPenalty : WeightPenaltyModule
{
    private readonly double alpha, l1Ratio;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.elastic_net_penalty(nn.Module, double, double, Func{string, bool}?)"/>.</summary>
    public ElasticNetPenalty(double alpha = 0.01, double l1_ratio = 0.5, Func<string, bool>? exclude = null) : base(nameof(ElasticNetPenalty), exclude)
    {
        Losses.CheckElasticNet(nameof(ElasticNetPenalty), alpha, l1_ratio);
        this.alpha = alpha;
        l1Ratio = l1_ratio;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor weights) => Losses.elastic_net_penalty(weights, alpha, l1Ratio);

    /// <inheritdoc/>
    public override Tensor forward(nn.Module model) => Losses.elastic_net_penalty(model, alpha, l1Ratio, Exclude);
}

internal sealed class ElasticNetDefinition : WeightPenaltyDefinition
{
    public override string Name => "elastic_net";
    public override string Summary => "Elastic-net weight penalty alpha (l1_ratio |w|_1 + (1 - l1_ratio)/2 |w|_2^2), scikit-learn's parameterisation.";
    public override string Math => "l = alpha * (l1_ratio * sum |w| + 0.5 * (1 - l1_ratio) * sum w^2)";
    public override string Reference => "Zou & Hastie 2005, Regularization and Variable Selection via the Elastic Net; sklearn.linear_model.ElasticNet";
    public override string Function => "Losses.elastic_net_penalty";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("alpha", 0.01, "the overall coefficient", min: 0),
        ParamSpec.Float("l1_ratio", 0.5, "share of the L1 part (1: L1 only, 0: L2 only)", min: 0, max: 1),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) => Losses.elastic_net_penalty(x.Required("weights"), p.Float("alpha"), p.Float("l1_ratio"));

    protected override IReadOnlyList<(string key, string value)[]> Settings { get; } =
        [[], [("alpha", "2"), ("l1_ratio", "0.9")], [("alpha", "1"), ("l1_ratio", "0")], [("alpha", "0.3"), ("l1_ratio", "1")]];
}
