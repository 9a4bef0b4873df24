using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Masked language-model loss (BERT, Devlin et al. 2019): the cross entropy of the logits against the original tokens
    /// at the masked positions only, averaged over those positions.
    /// </summary>
    /// <remarks>
    /// <para>Use it for masked-token pre-training (BERT, RoBERTa, MAE-style token models): <paramref name="mask"/> says which
    /// positions were masked (and must be predicted). Without a mask, the positions whose target is not
    /// <paramref name="ignore_index"/> are scored, which is Hugging Face's convention (labels -100 everywhere except at the
    /// masked positions); with both, a position is scored where the mask holds and the target is not ignored. Targets at
    /// unscored positions are not read, so they may hold anything.</para>
    /// <para>Each position's loss is PyTorch's <c>cross_entropy</c> (log-softmax, finite for logits of any size;
    /// <paramref name="label_smoothing"/> as PyTorch). A batch with no masked position gives 0, not NaN.</para>
    /// <code>
    /// var loss = Losses.masked_lm_loss(model.forward(corrupted), originalIds, maskedPositions);
    /// </code>
    /// </remarks>
    /// <param name="input">Logits (B, T, V), floating.</param>
    /// <param name="target">Original token ids (B, T), integer; in [0, V) at the scored positions.</param>
    /// <param name="mask">Optional (B, T) bool (or 0/1): the masked positions, which are scored.</param>
    /// <param name="ignore_index">Target value that is not scored.</param>
    /// <param name="label_smoothing">PyTorch's label smoothing, in [0, 1].</param>
    /// <param name="reduction">none: per-position losses (B, T), 0 where not scored; mean over scored positions; sum.</param>
    /// <returns>A scalar, or (B, T) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, devices or token ids.</exception>
    public static Tensor masked_lm_loss(Tensor input, Tensor target, Tensor? mask = null, long ignore_index = -100, double label_smoothing = 0.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "masked_lm_loss";
        TokenCrossEntropy.Validate(name, input, target, label_smoothing, reduction);
        Check.OptionalMask(mask, target, nameof(target), name);

        using var scope = NewDisposeScope();
        var scored = target.ne(ignore_index);
        if (mask is not null) scored = scored.logical_and(mask.ne(0));
        Check.ClassIndicesWhere(target, scored, input.shape[2], name, nameof(target));
        return TokenCrossEntropy.Compute(input, target, scored, ignore_index, label_smoothing, reduction).MoveToOuterDisposeScope();
    }
}

/// <summary>The masked language-model loss as a module <c>forward(input, target[, mask])</c>; see <see cref="Losses.masked_lm_loss"/>.</summary>
public sealed class MaskedLmLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly long ignoreIndex;
    private readonly double labelSmoothing;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.masked_lm_loss"/>.</summary>
    public MaskedLmLoss(long ignore_index = -100, double label_smoothing = 0.0, Reduction reduction = Reduction.Mean) : base(nameof(MaskedLmLoss))
    {
        Check.Param(label_smoothing >= 0 && label_smoothing <= 1, nameof(MaskedLmLoss), nameof(label_smoothing), "in [0, 1]", label_smoothing);
        Reduce.NoBatchMean(reduction, nameof(MaskedLmLoss));
        ignoreIndex = ignore_index;
        labelSmoothing = label_smoothing;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.masked_lm_loss(input, target, null, ignoreIndex, labelSmoothing, reduction);

    /// <summary>The loss at the masked positions.</summary>
    /// <param name="input">Logits (B, T, V).</param>
    /// <param name="target">Original token ids (B, T).</param>
    /// <param name="mask">Masked positions (B, T).</param>
    public Tensor forward(Tensor input, Tensor target, Tensor mask) => Losses.masked_lm_loss(input, target, mask, ignoreIndex, labelSmoothing, reduction);
}

internal sealed class MaskedLmDefinition : LossDefinition
{
    public override string Name => "masked_lm";
    public override string Family => "self_supervised";
    public override string Summary => "Masked language-model loss: cross entropy at the masked positions only (BERT).";
    public override string Math => "mean over (b, t) with mask[b, t] and target[b, t] != ignore_index of CE(input[b, t], target[b, t])";
    public override string Reference => "Devlin et al. 2019, BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding";
    public override string Function => "Losses.masked_lm_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("ignore_index", -100, "target value that is not scored"),
        ParamSpec.Float("label_smoothing", 0.0, "PyTorch's label smoothing", min: 0, max: 1),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(B, T, V) logits"),
        InputSpec.Data("target", "(B, T) original token ids"),
        InputSpec.Optional("mask", "(B, T) masked positions (scored); absent: targets != ignore_index"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.masked_lm_loss(x.Required("input"), x.Required("target"), x.Optional("mask"), p.Int("ignore_index"), p.Float("label_smoothing"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> Masked(Generator g, long b, long t, long v)
        {
            var m = torch.rand(new[] { b, t }, dtype: ScalarType.Float64, generator: g).lt(0.4);
            m[0, 0] = true;
            return new() { ["input"] = Sample.Normal(g, [b, t, v], 2), ["target"] = torch.randint(0, v, new[] { b, t }, dtype: ScalarType.Int64, generator: g), ["mask"] = m };
        }
        yield return GradcheckCase.Of("(2,6,5) mask mean", g => Masked(g, 2, 6, 5));
        yield return GradcheckCase.Of("(3,4,4) mask smoothing=0.2 sum", g => Masked(g, 3, 4, 4), ("label_smoothing", "0.2"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(2,3,4) labels -100 (no mask) none", g => new()
        {
            ["input"] = Sample.Normal(g, [2, 3, 4]),
            ["target"] = torch.tensor(new long[] { -100, 3, -100, 0, -100, 1 }).reshape(2, 3),
        }, ("reduction", "none"));
        yield return GradcheckCase.Of("(1,1,3) one masked token", g => new() { ["input"] = Sample.Normal(g, [1, 1, 3]), ["target"] = torch.tensor(new long[] { 2 }).reshape(1, 1), ["mask"] = torch.ones(1, 1, dtype: ScalarType.Bool) });
    }
}
