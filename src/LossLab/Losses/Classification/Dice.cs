using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>How the soft-overlap losses (<see cref="Losses.dice_loss"/>, <see cref="Losses.tversky_loss"/>) turn the input into probabilities.</summary>
public enum OverlapActivation
{
    /// <summary>Softmax over the class dimension (mutually exclusive classes, multi-class segmentation).</summary>
    Softmax,
    /// <summary>Sigmoid per element (independent labels, binary or multi-label segmentation).</summary>
    Sigmoid,
    /// <summary>None: the input already holds probabilities in [0, 1].</summary>
    None,
}

public static partial class Losses
{
    /// <summary>
    /// Soft Dice loss for multi-class (or multi-label) segmentation from logits, as MONAI's <c>DiceLoss</c>: per sample and
    /// class, <c>1 - (2 * sum(p * t) + smooth) / (sum(p) + sum(t) + smooth)</c>, the sums running over the spatial
    /// positions (and the batch with <paramref name="batch"/>).
    /// </summary>
    /// <remarks>
    /// <para><b>Shapes.</b> input (N, C, d1, ..., dk) (k &gt;= 0). The target holds class indices (N, d1, ..., dk), one-hot
    /// encoded over the C classes, or per-class probabilities / binary masks of the input's shape. p is
    /// <c>softmax</c> over the classes (default), <c>sigmoid</c>, or the input itself (<see cref="OverlapActivation.None"/>).</para>
    /// <para><b>Options.</b> <paramref name="squared_pred"/> uses <c>sum(p^2) + sum(t^2)</c> in the denominator (Milletari et
    /// al.'s V-Net form); <paramref name="include_background"/> = false drops class 0; <paramref name="ignore_index"/>
    /// (class-index targets) removes the positions it marks from every sum; <paramref name="weight"/> (C) scales each
    /// class's loss. When a denominator is 0 (smooth = 0 and a class absent from both prediction and target) the ratio is
    /// taken as 1, a perfect match, rather than NaN.</para>
    /// <para><b>When to use it.</b> Segmentation with strong class imbalance (small foreground): the overlap ratio is
    /// insensitive to the number of true negatives. Combine with cross-entropy for stabler training, and see
    /// <see cref="tversky_loss"/> to trade false positives against false negatives.</para>
    /// <para>No logarithm is involved; from logits of magnitude 1e4 in float32 the probabilities saturate exactly and the
    /// value and gradient stay finite.</para>
    /// <code>
    /// var loss = Losses.dice_loss(logits /* (N, C, H, W) */, masks /* (N, H, W) */, include_background: false);
    /// </code>
    /// Reference: Milletari, Navab, Ahmadi 2016, "V-Net"; Sudre et al. 2017, "Generalised Dice overlap as a deep learning
    /// loss function"; MONAI, <c>monai.losses.DiceLoss</c>.
    /// </remarks>
    /// <param name="input">Logits (or probabilities with <see cref="OverlapActivation.None"/>), shape (N, C, d1, ..., dk).</param>
    /// <param name="target">Class indices (N, d1, ..., dk), or per-class targets in [0, 1] of the input's shape.</param>
    /// <param name="activation">Softmax (default), sigmoid, or none.</param>
    /// <param name="smooth">Added to numerator and denominator, &gt;= 0.</param>
    /// <param name="include_background">Whether class 0 counts.</param>
    /// <param name="batch">Sum over the batch too: one value per class instead of per sample and class.</param>
    /// <param name="squared_pred">Square p and t in the denominator.</param>
    /// <param name="ignore_index">A class-index target value whose positions are left out.</param>
    /// <param name="weight">Optional per-class weights, shape (C).</param>
    /// <param name="reduction">none: per sample and class (N, C') or per class (C') with batch; mean; sum.</param>
    /// <returns>A scalar, or the per-(sample,) class losses for reduction none.</returns>
    public static Tensor dice_loss(Tensor input, Tensor target, OverlapActivation activation = OverlapActivation.Softmax, double smooth = 1e-5,
        bool include_background = true, bool batch = false, bool squared_pred = false, long ignore_index = -100, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "dice_loss";
        SoftOverlap.Validate(name, input, target, activation, smooth, include_background, ignore_index, weight, reduction);

        using var scope = NewDisposeScope();
        var (intersection, predicted, actual) = SoftOverlap.Sums(input, target, activation, include_background, batch, squared_pred, ignore_index);
        var loss = 1.0 - SoftOverlap.Ratio(2.0 * intersection + smooth, predicted + actual + smooth);
        return SoftOverlap.Finish(loss, weight, include_background, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The shared core of the soft-overlap losses: validation, per-class sums, safe ratios, weighting and reduction.</summary>
internal static class SoftOverlap
{
    /// <summary>The registry inputs of dice and tversky.</summary>
    public static IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C, d1, ...) logits"),
        InputSpec.Data("target", "(N, d1, ...) class indices, or per-class targets of the input's shape"),
        InputSpec.Optional("weight", "(C) per-class weights"),
    ];

    /// <summary>The registry parameters that dice and tversky share.</summary>
    public static IReadOnlyList<ParamSpec> CommonParameters { get; } =
    [
        ParamSpec.Choice("activation", "softmax", "how the input becomes probabilities", "softmax", "sigmoid", "none"),
        ParamSpec.Float("smooth", 1e-5, "added to numerator and denominator", min: 0),
        ParamSpec.Bool("include_background", true, "whether class 0 counts"),
        ParamSpec.Bool("batch", false, "sum over the batch too (one value per class)"),
        ParamSpec.Int("ignore_index", -100, "class-index target value whose positions are left out"),
    ];

    public static OverlapActivation Activation(LossParameters p) => p.Choice("activation") switch
    {
        "sigmoid" => OverlapActivation.Sigmoid,
        "none" => OverlapActivation.None,
        _ => OverlapActivation.Softmax,
    };

    // Gradcheck inputs shared by dice and tversky.
    public static Dictionary<string, Tensor> IndexCase(Generator g) => new()
    {
        ["input"] = Sample.Normal(g, [2, 3, 4, 4]),
        ["target"] = torch.randint(0, 3, new long[] { 2, 4, 4 }, dtype: ScalarType.Int64, generator: g),
    };

    public static Dictionary<string, Tensor> MultiLabelCase(Generator g) => new() { ["input"] = Sample.Normal(g, [2, 3, 5]), ["target"] = Sample.Binary(g, [2, 3, 5]) };

    public static Dictionary<string, Tensor> WeightedIgnoreCase(Generator g) => new()
    {
        ["input"] = Sample.Normal(g, [3, 4, 6]),
        ["target"] = torch.tensor(new long[] { 0, 1, 2, 3, -100, 1, 2, 2, 0, 3, 3, 1, -100, 0, 1, 2, 3, 0 }).reshape(3, 6),
        ["weight"] = Sample.Uniform(g, [4], 0.5, 2),
    };

    public static Dictionary<string, Tensor> ProbabilityCase(Generator g) => new() { ["input"] = Sample.Uniform(g, [1, 2, 8], 0.05, 0.95), ["target"] = Sample.Uniform(g, [1, 2, 8], 0, 1) };

    public static void Validate(string name, Tensor input, Tensor target, OverlapActivation activation, double smooth, bool includeBackground, long ignoreIndex, Tensor? weight, Reduction reduction)
    {
        Check.Floating(input, name, nameof(input));
        Check.MinRank(input, name, nameof(input), 2);
        Check.NotNull(target, name, nameof(target));
        if (!Enum.IsDefined(activation)) throw new ArgumentOutOfRangeException(nameof(activation), activation, $"{name}: unknown activation");
        long c = input.shape[1];
        if (activation == OverlapActivation.Softmax && c < 2)
            throw new ArgumentException($"{name}: softmax needs at least 2 classes in dimension 1 of 'input', got shape {Check.Shape(input)} (use sigmoid for one class)", nameof(input));
        if (!includeBackground && c < 2)
            throw new ArgumentException($"{name}: include_background = false leaves no class for 'input' of shape {Check.Shape(input)}", nameof(input));
        Check.Param(smooth >= 0 && double.IsFinite(smooth), name, nameof(smooth), "a finite number >= 0", smooth);
        Reduce.NoBatchMean(reduction, name);
        if (target.dtype.IsFloatingPoint())
        {
            Check.SameShape(input, nameof(input), target, nameof(target), name);
            Check.InRange(target, 0, 1, name, nameof(target));
        }
        else
        {
            Check.Integer(target, name, nameof(target));
            Check.ClassIndexTargetShape(input, target, name, nameof(target));
            Check.ClassIndices(target, c, name, nameof(target), ignoreIndex);
        }
        Check.ClassWeights(weight, c, name, nameof(weight));
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (weight, nameof(weight)));
        if (activation == OverlapActivation.None) Check.InRange(input, 0, 1, name, nameof(input));
    }

    /// <summary>
    /// Per (sample, class) sums over the spatial positions, or per class with <paramref name="batch"/>: <c>sum(p t)</c>,
    /// <c>sum(p)</c> and <c>sum(t)</c> (<c>sum(p^2)</c>, <c>sum(t^2)</c> when <paramref name="squared"/>).
    /// </summary>
    public static (Tensor Intersection, Tensor Predicted, Tensor Actual) Sums(Tensor input, Tensor target, OverlapActivation activation, bool includeBackground, bool batch, bool squared, long ignoreIndex)
    {
        long c = input.shape[1];
        var p = activation switch
        {
            OverlapActivation.Softmax => torch.softmax(input, 1),
            OverlapActivation.Sigmoid => torch.sigmoid(input),
            _ => input,
        };
        Tensor t;
        if (target.dtype.IsFloatingPoint()) t = target.to_type(input.dtype);
        else
        {
            var y = target.to_type(ScalarType.Int64);
            var valid = y.ne(ignoreIndex);
            var safe = torch.where(valid, y, torch.zeros_like(y));
            t = torch.nn.functional.one_hot(safe, c).movedim(new long[] { -1 }, new long[] { 1 }).to_type(input.dtype);
            var keep = valid.unsqueeze(1).to_type(input.dtype);
            t = t * keep;
            p = p * keep;
        }
        if (!includeBackground)
        {
            p = p.narrow(1, 1, c - 1);
            t = t.narrow(1, 1, c - 1);
        }
        var dims = Enumerable.Range(2, (int)input.dim() - 2).Select(d => (long)d).ToList();
        if (batch) dims.Insert(0, 0);
        Tensor Sum(Tensor v) => dims.Count == 0 ? v : v.sum(dims.ToArray());
        return (Sum(p * t), Sum(squared ? p.square() : p), Sum(squared ? t.square() : t));
    }

    /// <summary><c>numerator / denominator</c>, 1 where the denominator is 0 (empty prediction and target), with a finite gradient.</summary>
    public static Tensor Ratio(Tensor numerator, Tensor denominator)
    {
        var positive = denominator.gt(0);
        var safe = torch.where(positive, denominator, torch.ones_like(denominator));
        return torch.where(positive, numerator / safe, torch.ones_like(numerator));
    }

    /// <summary>Applies the per-class weights (background dropped with its class) and the reduction.</summary>
    public static Tensor Finish(Tensor loss, Tensor? weight, bool includeBackground, Reduction reduction, string name)
    {
        if (weight is not null)
        {
            var w = weight.to_type(loss.dtype);
            if (!includeBackground) w = w.narrow(0, 1, w.shape[0] - 1);
            loss = loss * w;
        }
        return Reduce.Apply(loss, reduction, name);
    }
}

/// <summary>The soft Dice loss as a module; see <see cref="Losses.dice_loss"/>.</summary>
public sealed class DiceLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly OverlapActivation activation;
    private readonly double smooth;
    private readonly bool includeBackground;
    private readonly bool batch;
    private readonly bool squaredPred;
    private readonly long ignoreIndex;
    private readonly Tensor? weight;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.dice_loss"/>.</summary>
    public DiceLoss(OverlapActivation activation = OverlapActivation.Softmax, double smooth = 1e-5, bool include_background = true, bool batch = false,
        bool squared_pred = false, long ignore_index = -100, Tensor? weight = null, Reduction reduction = Reduction.Mean) : base(nameof(DiceLoss))
    {
        Check.Param(smooth >= 0 && double.IsFinite(smooth), nameof(DiceLoss), nameof(smooth), "a finite number >= 0", smooth);
        Reduce.NoBatchMean(reduction, nameof(DiceLoss));
        this.activation = activation;
        this.smooth = smooth;
        includeBackground = include_background;
        this.batch = batch;
        squaredPred = squared_pred;
        ignoreIndex = ignore_index;
        this.weight = weight;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) =>
        Losses.dice_loss(input, target, activation, smooth, includeBackground, batch, squaredPred, ignoreIndex, weight, reduction);
}

internal sealed class DiceDefinition : LossDefinition
{
    public override string Name => "dice";
    public override string Family => "classification";
    public override string Summary => "Soft Dice loss for segmentation from logits (softmax or sigmoid), per sample and class (MONAI's DiceLoss).";
    public override string Math => "p = softmax/sigmoid(input), t = onehot(target); l_nc = 1 - (2 sum p t + smooth) / (sum p + sum t + smooth), sums over positions (and batch)";
    public override string Reference => "Milletari et al. 2016, V-Net; Sudre et al. 2017; monai.losses.DiceLoss";
    public override string Function => "Losses.dice_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        .. SoftOverlap.CommonParameters,
        ParamSpec.Bool("squared_pred", false, "sum p^2 + sum t^2 in the denominator"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs => SoftOverlap.Inputs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.dice_loss(x.Required("input"), x.Required("target"), SoftOverlap.Activation(p), p.Float("smooth"), p.Bool("include_background"), p.Bool("batch"),
            p.Bool("squared_pred"), p.Int("ignore_index"), x.Optional("weight"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(2,3,4,4) softmax indices mean", SoftOverlap.IndexCase);
        yield return GradcheckCase.Of("(2,3,5) sigmoid multi-label, batch, none", SoftOverlap.MultiLabelCase, ("activation", "sigmoid"), ("batch", "true"), ("reduction", "none"));
        yield return GradcheckCase.Of("(3,4,6) no background, squared, weighted, ignore, sum", SoftOverlap.WeightedIgnoreCase,
            ("include_background", "false"), ("squared_pred", "true"), ("reduction", "sum"), ("smooth", "1"));
        yield return GradcheckCase.Of("(1,2,8) probabilities, soft targets, smooth 0", SoftOverlap.ProbabilityCase, ("activation", "none"), ("smooth", "0"));
    }
}
