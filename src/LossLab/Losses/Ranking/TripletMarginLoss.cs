using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Triplet margin loss, as <c>torch.nn.functional.triplet_margin_loss</c>: per triplet
    /// <c>max(0, margin + d(anchor, positive) - d(anchor, negative))</c>, with
    /// <c>d(x, y) = ||x - y + eps||_p</c> over the last dimension (<c>torch.nn.functional.pairwise_distance</c>).
    /// </summary>
    /// <remarks>
    /// With <paramref name="swap"/> (Balntas et al. 2016, distance swap), the negative distance is
    /// <c>min(d(anchor, negative), d(positive, negative))</c>. Note that <paramref name="eps"/> is added to the difference
    /// before the norm, exactly as PyTorch does, which keeps the norm differentiable where two embeddings coincide.
    /// Gradients flow to all three inputs.
    /// <code>
    /// var loss = Losses.triplet_margin_loss(a, pos, neg, margin: 0.2, swap: true);
    /// </code>
    /// </remarks>
    /// <param name="anchor">Anchor embeddings, shape (N, D) (or (D), or (N, *, D)), floating-point.</param>
    /// <param name="positive">Embeddings of the same class, the shape of <paramref name="anchor"/>.</param>
    /// <param name="negative">Embeddings of another class, the shape of <paramref name="anchor"/>.</param>
    /// <param name="margin">The required gap between the distances.</param>
    /// <param name="p">The norm degree, &gt; 0.</param>
    /// <param name="eps">Added to each difference before the norm.</param>
    /// <param name="swap">Whether to use the distance swap.</param>
    /// <param name="reduction">none: per-triplet losses (N); mean; sum.</param>
    /// <returns>A scalar, or the per-triplet losses (the shape of anchor without its last dimension) for reduction none.</returns>
    public static Tensor triplet_margin_loss(Tensor anchor, Tensor positive, Tensor negative, double margin = 1.0, double p = 2.0, double eps = 1e-6, bool swap = false, Reduction reduction = Reduction.Mean)
    {
        const string name = "triplet_margin_loss";
        Check.Floating(anchor, name, nameof(anchor));
        Check.Floating(positive, name, nameof(positive));
        Check.Floating(negative, name, nameof(negative));
        Check.MinRank(anchor, name, nameof(anchor), 1);
        Check.SameShape(anchor, nameof(anchor), positive, nameof(positive), name);
        Check.SameShape(anchor, nameof(anchor), negative, nameof(negative), name);
        Check.SameDevice(name, (anchor, nameof(anchor)), (positive, nameof(positive)), (negative, nameof(negative)));
        Check.Param(double.IsFinite(margin), name, nameof(margin), "a finite number", margin);
        Check.Param(p > 0, name, nameof(p), "> 0", p);
        Check.Param(double.IsFinite(eps), name, nameof(eps), "a finite number", eps);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var dPos = torch.nn.functional.pairwise_distance(anchor, positive, p, eps);
        var dNeg = torch.nn.functional.pairwise_distance(anchor, negative, p, eps);
        if (swap) dNeg = torch.minimum(dNeg, torch.nn.functional.pairwise_distance(positive, negative, p, eps));
        var loss = (margin + dPos - dNeg).clamp_min(0.0);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The triplet margin loss as a module, <c>forward(anchor, positive, negative)</c>; see <see cref="Losses.triplet_margin_loss"/>.</summary>
public sealed class TripletMarginLoss : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly double margin;
    private readonly double p;
    private readonly double eps;
    private readonly bool swap;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.triplet_margin_loss"/>.</summary>
    public TripletMarginLoss(double margin = 1.0, double p = 2.0, double eps = 1e-6, bool swap = false, Reduction reduction = Reduction.Mean) : base(nameof(TripletMarginLoss))
    {
        Check.Param(double.IsFinite(margin), "TripletMarginLoss", nameof(margin), "a finite number", margin);
        Check.Param(p > 0, "TripletMarginLoss", nameof(p), "> 0", p);
        Check.Param(double.IsFinite(eps), "TripletMarginLoss", nameof(eps), "a finite number", eps);
        Reduce.NoBatchMean(reduction, "TripletMarginLoss");
        this.margin = margin;
        this.p = p;
        this.eps = eps;
        this.swap = swap;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor anchor, Tensor positive, Tensor negative) => Losses.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction);
}

internal sealed class TripletMarginLossDefinition : LossDefinition
{
    public override string Name => "triplet_margin_loss";
    public override string Family => "ranking";
    public override string Summary => "Triplet loss: the anchor should be closer to the positive than to the negative by a margin (torch.nn.functional.triplet_margin_loss).";
    public override string Math => "d(x, y) = ||x - y + eps||_p;  l = max(0, margin + d(a, p) - d(a, n))  [swap: d(a, n) -> min(d(a, n), d(p, n))]";
    public override string Reference => "Schroff et al. 2015, FaceNet; Balntas et al. 2016 (swap); torch.nn.functional.triplet_margin_loss";
    public override string Function => "Losses.triplet_margin_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("margin", 1.0, "the required gap between the distances"),
        ParamSpec.Float("p", 2.0, "the norm degree", min: 0, minExclusive: true),
        ParamSpec.Float("eps", 1e-6, "added to each difference before the norm"),
        ParamSpec.Bool("swap", false, "use min(d(a, n), d(p, n)) as the negative distance"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("anchor", "(N, D) anchor embeddings"),
        InputSpec.Grad("positive", "(N, D) positive embeddings"),
        InputSpec.Grad("negative", "(N, D) negative embeddings"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.triplet_margin_loss(x.Required("anchor"), x.Required("positive"), x.Required("negative"), p.Float("margin"), p.Float("p"), p.Float("eps"), p.Bool("swap"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        // A margin of 3 with unit-normal embeddings in 4 dimensions keeps most triplets active (the loss is 0 elsewhere);
        // random embeddings keep the hinge, the swap's min and the p = 1 norm's kinks far from the evaluation point.
        static Dictionary<string, Tensor> Triplets(Generator g, long[] shape) => new()
        {
            ["anchor"] = Sample.Normal(g, shape),
            ["positive"] = Sample.Normal(g, shape),
            ["negative"] = Sample.Normal(g, shape),
        };
        yield return GradcheckCase.Of("(6,4) p=2 margin=3 mean", g => Triplets(g, [6, 4]), ("margin", "3"));
        yield return GradcheckCase.Of("(5,3) p=1 margin=3 sum", g => Triplets(g, [5, 3]), ("margin", "3"), ("p", "1"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(6,4) p=2 swap margin=3 none", g => Triplets(g, [6, 4]), ("margin", "3"), ("swap", "true"), ("reduction", "none"));
        yield return GradcheckCase.Of("(4,5) p=3 margin=1 eps=0.01 mean", g => Triplets(g, [4, 5]), ("p", "3"), ("eps", "0.01"));
        yield return GradcheckCase.Of("(1,4) p=2 margin=3", g => Triplets(g, [1, 4]), ("margin", "3"));
    }
}
