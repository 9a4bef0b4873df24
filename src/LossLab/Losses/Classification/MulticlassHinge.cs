using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Multi-class hinge loss of Crammer and Singer (as optax's <c>multiclass_hinge_loss</c>): per sample
    /// <c>max_j (input_j + 1 - [j = y]) - input_y</c>, that is <c>max(0, 1 + max_{j != y} input_j - input_y)</c>.
    /// </summary>
    /// <remarks>
    /// Where several classes attain the maximum, the gradient is shared equally among them (<c>amax</c>, as JAX's max).
    /// Optax returns the per-sample losses; here the default reduction is mean.
    /// <code>
    /// var loss = Losses.multiclass_hinge_loss(scores, labels);
    /// </code>
    /// </remarks>
    /// <param name="input">Scores, shape (N, C), floating-point.</param>
    /// <param name="target">Class indices in [0, C), shape (N), int64.</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor multiclass_hinge_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        const string name = "multiclass_hinge_loss";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        Check.Rank(target, name, nameof(target), 1);
        Check.SameBatch(input, nameof(input), target, nameof(target), name);
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));
        Reduce.NoBatchMean(reduction, name);
        Check.ClassIndices(target, input.shape[1], name, nameof(target));

        using var scope = NewDisposeScope();
        var onehot = torch.nn.functional.one_hot(target, input.shape[1]).to_type(input.dtype);
        var scoreY = input.gather(1, target.unsqueeze(1)).squeeze(1);
        var loss = (input + 1.0 - onehot).amax(new long[] { 1 }) - scoreY;
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The Crammer-Singer multi-class hinge loss as a module; see <see cref="Losses.multiclass_hinge_loss"/>.</summary>
public sealed class MulticlassHingeLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.multiclass_hinge_loss"/>.</summary>
    public MulticlassHingeLoss(Reduction reduction = Reduction.Mean) : base(nameof(MulticlassHingeLoss))
    {
        Reduce.NoBatchMean(reduction, "MulticlassHingeLoss");
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.multiclass_hinge_loss(input, target, reduction);
}

internal sealed class MulticlassHingeDefinition : LossDefinition
{
    public override string Name => "multiclass_hinge";
    public override string Family => "classification";
    public override string Summary => "Crammer-Singer multi-class hinge: the target's score should beat every other by a margin of 1.";
    public override string Math => "l_i = max_j (input_ij + 1 - [j = y_i]) - input_{i,y_i}";
    public override string Reference => "Crammer & Singer 2001, On the Algorithmic Implementation of Multiclass Kernel-based Vector Machines; optax.multiclass_hinge_loss";
    public override string Function => "Losses.multiclass_hinge_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) scores"),
        InputSpec.Data("target", "(N) class indices"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.multiclass_hinge_loss(x.Required("input"), x.Required("target"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) mean", g => Separated(g, 6, 4));
        yield return GradcheckCase.Of("(5,3) sum", g => Separated(g, 5, 3), ("reduction", "sum"));
        yield return GradcheckCase.Of("(7,5) none", g => Separated(g, 7, 5), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,6) mean", g => Separated(g, 1, 6));
    }

    // Scores on a grid of spacing 0.37 (shuffled per row), so that no two candidates of the max (s_j + 1 for j != y, s_y)
    // tie: every pairwise gap is a multiple of 0.37 or differs from 1 by at least 0.11.
    private static Dictionary<string, Tensor> Separated(Generator g, long n, long c)
    {
        var rows = new List<Tensor>();
        for (long i = 0; i < n; i++) rows.Add(torch.randperm(c, generator: g).to_type(ScalarType.Float64) * 0.37);
        var scores = torch.stack(rows) - 0.5 + 0.01 * Sample.Normal(g, [n, 1]);
        return new() { ["input"] = scores, ["target"] = Sample.Labels(g, n, c) };
    }
}
