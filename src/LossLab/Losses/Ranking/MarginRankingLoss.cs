using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Margin ranking loss, as <c>torch.nn.functional.margin_ranking_loss</c>: per element
    /// <c>max(0, -target * (input1 - input2) + margin)</c>; target 1 asks input1 to rank above input2 by at least the margin,
    /// -1 the opposite.
    /// </summary>
    /// <remarks>
    /// The three tensors must have the same shape (PyTorch requires the same number of dimensions and broadcasts).
    /// Gradients flow to input1 and input2; at the hinge (<c>-target * (input1 - input2) + margin == 0</c>) the gradient is
    /// PyTorch's (that of <c>clamp_min</c>).
    /// <code>
    /// var loss = Losses.margin_ranking_loss(scoreA, scoreB, preferA, margin: 0.5);
    /// </code>
    /// </remarks>
    /// <param name="input1">Scores of the first items, shape (N) or any shape, floating-point.</param>
    /// <param name="input2">Scores of the second items, the shape of <paramref name="input1"/>.</param>
    /// <param name="target">1 where input1 should rank higher, -1 where input2 should; the shape of <paramref name="input1"/>, floating-point.</param>
    /// <param name="margin">The required score gap.</param>
    /// <param name="reduction">none: per-element losses; mean; sum.</param>
    /// <returns>A scalar, or the per-element losses for reduction none.</returns>
    public static Tensor margin_ranking_loss(Tensor input1, Tensor input2, Tensor target, double margin = 0.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "margin_ranking_loss";
        Check.Floating(input1, name, nameof(input1));
        Check.Floating(input2, name, nameof(input2));
        Check.Floating(target, name, nameof(target));
        Check.SameShape(input1, nameof(input1), input2, nameof(input2), name);
        Check.SameShape(input1, nameof(input1), target, nameof(target), name);
        Check.SameDevice(name, (input1, nameof(input1)), (input2, nameof(input2)), (target, nameof(target)));
        Check.Param(double.IsFinite(margin), name, nameof(margin), "a finite number", margin);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var loss = (-target * (input1 - input2) + margin).clamp_min(0.0);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The margin ranking loss as a module, <c>forward(input1, input2, target)</c>; see <see cref="Losses.margin_ranking_loss"/>.</summary>
public sealed class MarginRankingLoss : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly double margin;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.margin_ranking_loss"/>.</summary>
    public MarginRankingLoss(double margin = 0.0, Reduction reduction = Reduction.Mean) : base(nameof(MarginRankingLoss))
    {
        Check.Param(double.IsFinite(margin), "MarginRankingLoss", nameof(margin), "a finite number", margin);
        Reduce.NoBatchMean(reduction, "MarginRankingLoss");
        this.margin = margin;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input1, Tensor input2, Tensor target) => Losses.margin_ranking_loss(input1, input2, target, margin, reduction);
}

internal sealed class MarginRankingLossDefinition : LossDefinition
{
    public override string Name => "margin_ranking_loss";
    public override string Family => "ranking";
    public override string Summary => "Pairwise ranking hinge: input1 should exceed input2 by a margin where target is 1 (torch.nn.functional.margin_ranking_loss).";
    public override string Math => "l = max(0, -target * (input1 - input2) + margin), per element";
    public override string Reference => "torch.nn.functional.margin_ranking_loss";
    public override string Function => "Losses.margin_ranking_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("margin", 0.0, "the required score gap"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input1", "(N) scores of the first items"),
        InputSpec.Grad("input2", "(N) scores of the second items"),
        InputSpec.Data("target", "(N) 1 or -1: which item should rank higher"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.margin_ranking_loss(x.Required("input1"), x.Required("input2"), x.Required("target"), p.Float("margin"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        foreach (var (n, margin, red) in new (long, string, string)[] { (8, "0", "mean"), (6, "0.5", "sum"), (7, "1", "none"), (1, "0.3", "mean") })
            yield return GradcheckCase.Of($"({n}) margin={margin} {red}", g => AwayFromHinge(g, n, double.Parse(margin, System.Globalization.CultureInfo.InvariantCulture)), ("margin", margin), ("reduction", red));
    }

    // Pairs whose hinge argument -t (x1 - x2) + margin is at least 0.1 away from 0, on both sides (active and inactive pairs).
    private static Dictionary<string, Tensor> AwayFromHinge(Generator g, long n, double margin)
    {
        var x1 = Sample.Normal(g, [n]);
        var t = Sample.Signs(g, [n]);
        var u = Sample.Uniform(g, [n], 0, 1);
        var z = torch.where(u.lt(0.5), 0.1 + u * 2, -0.1 - (u - 0.5) * 2);   // the hinge argument
        var x2 = x1 + (z - margin) / t;
        return new() { ["input1"] = x1, ["input2"] = x2, ["target"] = t };
    }
}
