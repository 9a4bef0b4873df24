using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Multi-class margin (hinge) loss, as PyTorch's <c>torch.nn.functional.multi_margin_loss</c>: per sample
    /// <c>l = sum_{j != y} w[y] * max(0, margin - x[y] + x[j])^p / C</c>.
    /// </summary>
    /// <remarks>
    /// <para>The class weight is that of the <i>target</i> class, <c>w[y]</c>, and the sum is divided by the number of
    /// classes C (including the target's). Reduction mean is the plain mean over samples (weights not normalised).
    /// At a kink (<c>margin - x[y] + x[j] = 0</c>) the gradient is 0, as PyTorch's.</para>
    /// <para>Shapes: input (N, C) with target (N); input (C) with target () or (1) (unbatched).</para>
    /// <code>
    /// var loss = Losses.multi_margin_loss(scores, labels, p: 2, margin: 0.5);
    /// </code>
    /// Reference: PyTorch, <c>torch.nn.functional.multi_margin_loss</c>; Weston and Watkins 1999.
    /// </remarks>
    /// <param name="input">Scores, shape (N, C) or (C).</param>
    /// <param name="target">Class indices (integer), shape (N), or () / (1) for unbatched input.</param>
    /// <param name="p">1 (hinge) or 2 (squared hinge).</param>
    /// <param name="margin">The margin.</param>
    /// <param name="weight">Optional per-class weights, shape (C); sample i is weighted by <c>w[y_i]</c>.</param>
    /// <param name="reduction">none: per-sample losses, shape (N) (a scalar for a 0-dimensional target); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor multi_margin_loss(Tensor input, Tensor target, long p = 1, double margin = 1.0, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "multi_margin_loss";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 0, 1, 2);
        Check.Integer(target, name, nameof(target));
        Check.Param(p == 1 || p == 2, name, nameof(p), "1 or 2", p);
        Check.Param(double.IsFinite(margin), name, nameof(margin), "a finite number", margin);
        Reduce.NoBatchMean(reduction, name);
        long nframe = input.dim() == 2 ? input.shape[0] : 1;
        long c = input.dim() == 0 ? 1 : input.shape[^1];
        if (c == 0)
            throw new ArgumentException($"{name}: 'input' must have at least one class, got shape {Check.Shape(input)}", nameof(input));
        if (target.dim() > 1 || target.numel() != nframe)
            throw new ArgumentException($"{name}: 'target' must hold {nframe} class index(es) (shape ({nframe}){(input.dim() < 2 ? " or ()" : "")}) for input of shape {Check.Shape(input)}, got shape {Check.Shape(target)}", nameof(target));
        Check.ClassIndices(target, c, name, nameof(target));
        Check.ClassWeights(weight, c, name, nameof(weight));
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (weight, nameof(weight)));

        using var scope = NewDisposeScope();
        var x = input.reshape(nframe, c);
        var y = target.reshape(nframe).to_type(ScalarType.Int64);
        var xy = x.gather(1, y.unsqueeze(1));
        var z = margin - xy + x;
        var h = torch.nn.functional.relu(z);
        if (p == 2) h = h.square();
        var isTarget = torch.arange(c, dtype: ScalarType.Int64, device: x.device).unsqueeze(0).eq(y.unsqueeze(1));
        h = torch.where(isTarget, torch.zeros_like(h), h);
        if (weight is not null) h = h * weight.to_type(x.dtype).index_select(0, y).unsqueeze(1);
        var loss = h.sum(1) / (double)c;
        if (target.dim() == 0) loss = loss.reshape(Array.Empty<long>());
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The multi-class margin loss as a module (PyTorch's <c>MultiMarginLoss</c>); see <see cref="Losses.multi_margin_loss"/>.</summary>
public sealed class MultiMarginLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly long p;
    private readonly double margin;
    private readonly Tensor? weight;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.multi_margin_loss"/>.</summary>
    public MultiMarginLoss(long p = 1, double margin = 1.0, Tensor? weight = null, Reduction reduction = Reduction.Mean) : base(nameof(MultiMarginLoss))
    {
        Check.Param(p == 1 || p == 2, "MultiMarginLoss", nameof(p), "1 or 2", p);
        Reduce.NoBatchMean(reduction, "MultiMarginLoss");
        this.p = p;
        this.margin = margin;
        this.weight = weight;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.multi_margin_loss(input, target, p, margin, weight, reduction);
}

internal sealed class MultiMarginLossDefinition : LossDefinition
{
    public override string Name => "multi_margin_loss";
    public override string Family => "classification";
    public override string Summary => "Multi-class (Weston-Watkins) hinge loss, p = 1 or 2 (PyTorch's multi_margin_loss).";
    public override string Math => "l_i = sum_{j != y_i} w[y_i] * max(0, margin - x_{i,y_i} + x_{i,j})^p / C";
    public override string Reference => "PyTorch, torch.nn.functional.multi_margin_loss; Weston and Watkins 1999";
    public override string Function => "Losses.multi_margin_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("p", 1, "1 (hinge) or 2 (squared hinge)", min: 1, max: 2),
        ParamSpec.Float("margin", 1.0, "the margin"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) scores, or (C) unbatched"),
        InputSpec.Data("target", "(N) class indices, or () unbatched"),
        InputSpec.Optional("weight", "(C) per-class weights (applied as w[y])"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.multi_margin_loss(x.Required("input"), x.Required("target"), p.Int("p"), p.Float("margin"), x.Optional("weight"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) p=1 mean", g => new() { ["input"] = Sample.Normal(g, [6, 4]), ["target"] = Sample.Labels(g, 6, 4) }, ("p", "1"));
        yield return GradcheckCase.Of("(6,4) p=2 margin=0.5 sum", g => new() { ["input"] = Sample.Normal(g, [6, 4]), ["target"] = Sample.Labels(g, 6, 4) }, ("p", "2"), ("margin", "0.5"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(5,3) weighted p=2 none", g => new()
        {
            ["input"] = Sample.Normal(g, [5, 3]),
            ["target"] = Sample.Labels(g, 5, 3),
            ["weight"] = Sample.Uniform(g, [3], 0.5, 2),
        }, ("p", "2"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,5) weighted p=1 margin=2", g => new()
        {
            ["input"] = Sample.Normal(g, [1, 5]),
            ["target"] = Sample.Labels(g, 1, 5),
            ["weight"] = Sample.Uniform(g, [5], 0.5, 2),
        }, ("margin", "2"));
        yield return GradcheckCase.Of("(4) unbatched p=1", g => new() { ["input"] = Sample.Normal(g, [4]), ["target"] = torch.tensor(1L) }, ("reduction", "none"));
    }
}
