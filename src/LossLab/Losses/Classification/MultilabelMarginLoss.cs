using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Multi-label margin (hinge) loss, as PyTorch's <c>torch.nn.functional.multilabel_margin_loss</c>: per sample
    /// <c>l = sum_{j in Y} sum_{k not in Y} max(0, 1 - (x[j] - x[k])) / C</c>, where Y is the set of target classes.
    /// </summary>
    /// <remarks>
    /// <para><b>Targets.</b> The target has the input's shape and holds class <i>indices</i>: the target classes of a
    /// sample are its leading entries up to the first negative value (-1 pads the rest, which is not read). E.g. for
    /// C = 4, <c>[3, 0, -1, 1]</c> means Y = {3, 0}. A class listed twice counts twice in the sum over Y, as PyTorch's.</para>
    /// <para><b>When to use it.</b> Multi-label classification with a ranking flavour: every target class should score
    /// at least 1 above every non-target class. For independent per-label probabilities use
    /// <see cref="multilabel_soft_margin_loss"/> or binary cross-entropy instead.</para>
    /// <para>At a kink (<c>1 - x[j] + x[k] = 0</c>) the gradient is 0, as PyTorch's. The pairwise margins take
    /// O(N * C^2) memory.</para>
    /// <code>
    /// var target = torch.tensor(new long[,] { { 3, 0, -1, 1 } });
    /// var loss = Losses.multilabel_margin_loss(scores /* (1, 4) */, target);
    /// </code>
    /// Reference: PyTorch, <c>torch.nn.functional.multilabel_margin_loss</c>.
    /// </remarks>
    /// <param name="input">Scores, shape (N, C), or (C) unbatched.</param>
    /// <param name="target">Class indices padded with -1, the input's shape, integer.</param>
    /// <param name="reduction">none: per-sample losses (N) (a scalar for unbatched input); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor multilabel_margin_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        const string name = "multilabel_margin_loss";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 0, 1, 2);
        Check.Integer(target, name, nameof(target));
        Reduce.NoBatchMean(reduction, name);
        long nframe = input.dim() == 2 ? input.shape[0] : 1;
        long c = input.dim() == 0 ? 1 : input.shape[^1];
        bool shapeOk = input.dim() == 2 ? target.shape.SequenceEqual(input.shape) : target.dim() <= 1 && target.numel() == c;
        if (!shapeOk)
            throw new ArgumentException($"{name}: 'target' must have the input's shape {Check.Shape(input)} (class indices padded with -1), got {Check.Shape(target)}", nameof(target));
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));
        CheckListedIndices(target.reshape(nframe, c), c, name, nameof(target));

        using var scope = NewDisposeScope();
        var x = input.reshape(nframe, c);
        var y = target.reshape(nframe, c).to_type(ScalarType.Int64);
        var listed = MultilabelListed(y);
        var safe = torch.where(listed, y, torch.zeros_like(y));
        var isTarget = torch.zeros(nframe, c, dtype: ScalarType.Int64, device: x.device).scatter_add(1, safe, listed.to_type(ScalarType.Int64)).gt(0);
        var xj = x.gather(1, safe);                                   // (F, C): score of the j-th listed class
        var margins = torch.nn.functional.relu(1.0 - xj.unsqueeze(2) + x.unsqueeze(1));   // (F, J, K)
        var keep = listed.unsqueeze(2).logical_and(isTarget.logical_not().unsqueeze(1));
        var loss = torch.where(keep, margins, torch.zeros_like(margins)).sum(new long[] { 1, 2 }) / (double)c;
        if (target.dim() <= 1) loss = loss.reshape(Array.Empty<long>());
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }

    /// <summary>The entries of (F, C) padded class lists that are read: those before the first negative of their row.</summary>
    private static Tensor MultilabelListed(Tensor y) => y.lt(0).to_type(ScalarType.Int64).cumsum(1).eq(0);

    /// <summary>The listed class indices (before each row's first negative) must be below C.</summary>
    private static void CheckListedIndices(Tensor y, long c, string loss, string arg)
    {
        using var scope = NewDisposeScope();
        var listed = MultilabelListed(y);
        if (!listed.any().item<bool>()) return;
        long hi = y.masked_select(listed).max().item<long>();
        if (hi >= c)
            throw new ArgumentException($"{loss}: '{arg}' lists class index {hi} but the classes are 0 .. {c - 1} (pad with -1 after the last target class)", arg);
    }
}

/// <summary>The multi-label margin loss as a module (PyTorch's <c>MultiLabelMarginLoss</c>); see <see cref="Losses.multilabel_margin_loss"/>.</summary>
public sealed class MultiLabelMarginLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.multilabel_margin_loss"/>.</summary>
    public MultiLabelMarginLoss(Reduction reduction = Reduction.Mean) : base(nameof(MultiLabelMarginLoss))
    {
        Reduce.NoBatchMean(reduction, nameof(MultiLabelMarginLoss));
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.multilabel_margin_loss(input, target, reduction);
}

internal sealed class MultilabelMarginLossDefinition : LossDefinition
{
    public override string Name => "multilabel_margin_loss";
    public override string Family => "classification";
    public override string Summary => "Multi-label hinge loss over (target, non-target) class pairs, targets as indices padded with -1 (PyTorch's multilabel_margin_loss).";
    public override string Math => "l_i = sum_{j in Y_i} sum_{k not in Y_i} max(0, 1 - (x_ij - x_ik)) / C,  Y_i = entries of target_i before its first -1";
    public override string Reference => "PyTorch, torch.nn.functional.multilabel_margin_loss";
    public override string Function => "Losses.multilabel_margin_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) scores, or (C) unbatched"),
        InputSpec.Data("target", "(N, C) class indices padded with -1, or (C)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.multilabel_margin_loss(x.Required("input"), x.Required("target"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(3,4) mean", g => new()
        {
            ["input"] = Sample.Normal(g, [3, 4]),
            ["target"] = torch.tensor(new long[,] { { 3, 0, -1, 1 }, { 1, 2, 3, -1 }, { 2, -1, 0, 0 } }),
        });
        yield return GradcheckCase.Of("(2,5) duplicates, none", g => new()
        {
            ["input"] = Sample.Normal(g, [2, 5]),
            ["target"] = torch.tensor(new long[,] { { 4, 4, 1, -1, -1 }, { 0, 1, 2, 3, 4 } }),
        }, ("reduction", "none"));
        yield return GradcheckCase.Of("(4,3) sum", g => new()
        {
            ["input"] = Sample.Normal(g, [4, 3]),
            ["target"] = torch.tensor(new long[,] { { 0, -1, -1 }, { 2, 1, -1 }, { -1, 0, 1 }, { 1, -1, 2 } }),
        }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(5) unbatched", g => new() { ["input"] = Sample.Normal(g, [5]), ["target"] = torch.tensor(new long[] { 2, 4, -1, 0, 0 }) });
    }
}
