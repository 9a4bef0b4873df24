using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Cosine embedding loss, as <c>torch.nn.functional.cosine_embedding_loss</c>: per pair <c>1 - cos(x1, x2)</c> where
    /// the target is 1 (similar) and <c>max(0, cos(x1, x2) - margin)</c> where it is -1 (dissimilar).
    /// </summary>
    /// <remarks>
    /// The cosine is PyTorch's: <c>sum(x1 x2) / sqrt((sum(x1^2) + 1e-12) (sum(x2^2) + 1e-12))</c>, finite for zero vectors.
    /// Targets other than 1 and -1 are an error (PyTorch silently counts them as 0). Gradients flow to both inputs.
    /// <code>
    /// var loss = Losses.cosine_embedding_loss(u, v, same, margin: 0.2);
    /// </code>
    /// </remarks>
    /// <param name="input1">First embeddings, shape (N, D), or (D) for a single pair; floating-point.</param>
    /// <param name="input2">Second embeddings, the shape of <paramref name="input1"/>.</param>
    /// <param name="target">1 or -1 per pair, shape (N) (or a scalar for a single pair); floating or integer.</param>
    /// <param name="margin">The cosine above which dissimilar pairs are penalised (usually in [0, 0.5]).</param>
    /// <param name="reduction">none: per-pair losses (N); mean; sum.</param>
    /// <returns>A scalar, or the per-pair losses for reduction none.</returns>
    public static Tensor cosine_embedding_loss(Tensor input1, Tensor input2, Tensor target, double margin = 0.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "cosine_embedding_loss";
        Check.Floating(input1, name, nameof(input1));
        Check.Floating(input2, name, nameof(input2));
        Check.Rank(target, name, nameof(target), 0, 1);
        Check.Rank(input1, name, nameof(input1), (int)target.dim() + 1);
        Check.SameShape(input1, nameof(input1), input2, nameof(input2), name);
        if (target.dim() == 1) Check.SameBatch(input1, nameof(input1), target, nameof(target), name);
        Check.SameDevice(name, (input1, nameof(input1)), (input2, nameof(input2)), (target, nameof(target)));
        Check.Param(double.IsFinite(margin), name, nameof(margin), "a finite number", margin);
        Reduce.NoBatchMean(reduction, name);
        Check.SignTargets(target, name, nameof(target));

        using var scope = NewDisposeScope();
        long dim = target.dim();
        const double tiny = 1e-12;   // PyTorch's EPSILON in cosine_embedding_loss
        var dot = (input1 * input2).sum(dim);
        var sq1 = (input1 * input1).sum(dim) + tiny;
        var sq2 = (input2 * input2).sum(dim) + tiny;
        var cos = dot / (sq1 * sq2).sqrt();
        var loss = torch.where(target.eq(1), 1.0 - cos, (cos - margin).clamp_min(0.0));
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The cosine embedding loss as a module, <c>forward(input1, input2, target)</c>; see <see cref="Losses.cosine_embedding_loss"/>.</summary>
public sealed class CosineEmbeddingLoss : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly double margin;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.cosine_embedding_loss"/>.</summary>
    public CosineEmbeddingLoss(double margin = 0.0, Reduction reduction = Reduction.Mean) : base(nameof(CosineEmbeddingLoss))
    {
        Check.Param(double.IsFinite(margin), "CosineEmbeddingLoss", nameof(margin), "a finite number", margin);
        Reduce.NoBatchMean(reduction, "CosineEmbeddingLoss");
        this.margin = margin;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input1, Tensor input2, Tensor target) => Losses.cosine_embedding_loss(input1, input2, target, margin, reduction);
}

internal sealed class CosineEmbeddingLossDefinition : LossDefinition
{
    public override string Name => "cosine_embedding_loss";
    public override string Family => "ranking";
    public override string Summary => "Cosine embedding loss: similar pairs toward cosine 1, dissimilar pairs below a margin (torch.nn.functional.cosine_embedding_loss).";
    public override string Math => "c = x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12));  l = 1 - c if target = 1, max(0, c - margin) if target = -1";
    public override string Reference => "torch.nn.functional.cosine_embedding_loss";
    public override string Function => "Losses.cosine_embedding_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("margin", 0.0, "cosine above which dissimilar pairs are penalised"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input1", "(N, D) first embeddings"),
        InputSpec.Grad("input2", "(N, D) second embeddings"),
        InputSpec.Data("target", "(N) 1 (similar) or -1 (dissimilar)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.cosine_embedding_loss(x.Required("input1"), x.Required("input2"), x.Required("target"), p.Float("margin"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        // Dissimilar pairs are built with a cosine near 0.7, well above every margin used, so that the hinge is active
        // and far from its kink; similar pairs are random.
        static Dictionary<string, Tensor> Pairs(Generator g, long n, long d)
        {
            var x1 = Sample.Normal(g, [n, d]);
            var t = Sample.Signs(g, [n]);
            var noise = Sample.Normal(g, [n, d]);
            var x2 = torch.where(t.unsqueeze(1).eq(1), noise, x1 + 0.6 * noise);
            return new() { ["input1"] = x1, ["input2"] = x2, ["target"] = t };
        }
        yield return GradcheckCase.Of("(6,4) margin=0 mean", g => Pairs(g, 6, 4));
        yield return GradcheckCase.Of("(5,3) margin=0.2 sum", g => Pairs(g, 5, 3), ("margin", "0.2"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(7,5) margin=-0.5 none", g => Pairs(g, 7, 5), ("margin", "-0.5"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) margin=0.1", g => Pairs(g, 1, 4), ("margin", "0.1"));
    }
}
