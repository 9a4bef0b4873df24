using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// The common shape of the weight-penalty modules (<see cref="L1Penalty"/>, <see cref="L2Penalty"/>,
/// <see cref="ElasticNetPenalty"/>, <see cref="SpectralNormPenalty"/>): <c>forward(weights)</c> on one tensor, and
/// <see cref="forward(nn.Module)"/> over a model's parameters chosen by an exclusion (<see cref="PenalizedParameters"/>).
/// </summary>
public abstract class WeightPenaltyModule : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the module.</summary>
    /// <param name="name">The module's name.</param>
    /// <param name="exclude">Returns true for parameter names to skip; null: biases and normalisation layers.</param>
    protected WeightPenaltyModule(string name, Func<string, bool>? exclude) : base(name) => Exclude = exclude;

    /// <summary>The exclusion given at construction (null: the default of <see cref="PenalizedParameters"/>).</summary>
    protected Func<string, bool>? Exclude { get; }

    /// <summary>The penalty over <paramref name="model"/>'s parameters (those the exclusion keeps).</summary>
    public abstract Tensor forward(nn.Module model);
}

/// <summary>Registry entries of the penalties on one tensor of weights: the family, the input and the gradcheck shapes.</summary>
internal abstract class WeightPenaltyDefinition : LossDefinition
{
    public override string Family => "regularization";
    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.Grad("weights", "(*) the weights (a model's parameters, flattened or one tensor)")];

    /// <summary>Parameter settings, one per gradcheck case (shapes (4,3), (2,3,2), (7), (1,1) in turn).</summary>
    protected abstract IReadOnlyList<(string key, string value)[]> Settings { get; }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        long[][] shapes = [[4, 3], [2, 3, 2], [7], [1, 1]];
        for (int i = 0; i < Settings.Count; i++)
        {
            var shape = shapes[i % shapes.Length];
            var ps = Settings[i];
            string label = $"({string.Join(",", shape)}) " + string.Join(" ", ps.Select(p => p.key + "=" + p.value));
            yield return GradcheckCase.Of(label.TrimEnd(), g => new() { ["weights"] = Sample.Normal(g, shape) }, ps);
        }
    }
}

public static partial class Losses
{
    /// <summary>The checks and sum shared by the element-wise weight penalties: <c>coefficient * sum term(w)</c>.</summary>
    private static Tensor WeightPenalty(Tensor weights, double coefficient, string name, string coefficientName, Func<Tensor, Tensor> term)
    {
        Check.Floating(weights, name, nameof(weights));
        Check.Param(coefficient >= 0 && double.IsFinite(coefficient), name, coefficientName, "a finite number >= 0", coefficient);
        using var scope = NewDisposeScope();
        return (term(weights).sum() * coefficient).MoveToOuterDisposeScope();
    }
}
