using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Next-token (causal language-model) cross entropy: the logits at position t predict the token at t + 1, so the
    /// loss is the cross entropy of <c>input[:, :-1]</c> against <c>target[:, 1:]</c>, averaged over the predicted tokens
    /// that are not <paramref name="ignore_index"/> (padding).
    /// </summary>
    /// <remarks>
    /// <para>Use it to train or fine-tune an autoregressive model: pass the model's logits and the same token ids it read
    /// (the shift is done here, as Hugging Face's causal-LM heads do), with padding and any positions not to be learned
    /// (e.g. a prompt) set to <paramref name="ignore_index"/>. With <paramref name="shift"/> false the targets are taken
    /// as already aligned with the logits.</para>
    /// <para>Each position's loss is PyTorch's <c>cross_entropy</c> (log-softmax, finite for logits of any size, with
    /// <paramref name="label_smoothing"/> as PyTorch defines it). The mean is over the tokens that are scored; a batch with
    /// none (all padding, or a length-1 sequence) gives 0 rather than PyTorch's NaN.</para>
    /// <code>
    /// var loss = Losses.next_token_loss(model.forward(ids), ids);           // ids (B, T), padding = -100
    /// </code>
    /// </remarks>
    /// <param name="input">Logits (B, T, V), floating.</param>
    /// <param name="target">Token ids (B, T), integer, in [0, V) or <paramref name="ignore_index"/>.</param>
    /// <param name="ignore_index">Target value that is not scored (padding).</param>
    /// <param name="label_smoothing">PyTorch's label smoothing, in [0, 1].</param>
    /// <param name="shift">Predict <c>target[:, t + 1]</c> from <c>input[:, t]</c> (true) or <c>target[:, t]</c> (false).</param>
    /// <param name="reduction">none: per-position losses, (B, T - 1) with shift or (B, T), 0 where ignored; mean over scored tokens; sum.</param>
    /// <returns>A scalar, or the per-position losses for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, devices or token ids.</exception>
    public static Tensor next_token_loss(Tensor input, Tensor target, long ignore_index = -100, double label_smoothing = 0.0, bool shift = true, Reduction reduction = Reduction.Mean)
    {
        const string name = "next_token_loss";
        TokenCrossEntropy.Validate(name, input, target, label_smoothing, reduction);
        Check.ClassIndices(target, input.shape[2], name, nameof(target), ignore_index);

        using var scope = NewDisposeScope();
        long steps = input.shape[1];
        var logits = input;
        var t = target;
        if (shift)
        {
            long kept = System.Math.Max(steps - 1, 0);
            logits = input.narrow(1, 0, kept);
            t = target.narrow(1, System.Math.Min(1, steps), kept);
        }
        var scored = t.ne(ignore_index);
        return TokenCrossEntropy.Compute(logits, t, scored, ignore_index, label_smoothing, reduction).MoveToOuterDisposeScope();
    }
}

/// <summary>The next-token cross entropy as a module <c>forward(input, target)</c>; see <see cref="Losses.next_token_loss"/>.</summary>
public sealed class NextTokenLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly long ignoreIndex;
    private readonly double labelSmoothing;
    private readonly bool shift;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.next_token_loss"/>.</summary>
    public NextTokenLoss(long ignore_index = -100, double label_smoothing = 0.0, bool shift = true, Reduction reduction = Reduction.Mean) : base(nameof(NextTokenLoss))
    {
        Check.Param(label_smoothing >= 0 && label_smoothing <= 1, nameof(NextTokenLoss), nameof(label_smoothing), "in [0, 1]", label_smoothing);
        Reduce.NoBatchMean(reduction, nameof(NextTokenLoss));
        ignoreIndex = ignore_index;
        labelSmoothing = label_smoothing;
        this.shift = shift;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.next_token_loss(input, target, ignoreIndex, labelSmoothing, shift, reduction);
}

internal sealed class NextTokenDefinition : LossDefinition
{
    public override string Name => "next_token";
    public override string Family => "self_supervised";
    public override string Summary => "Causal language-model loss: shifted cross entropy of (B, T, V) logits against (B, T) token ids, padding ignored.";
    public override string Math => "mean over t, target[b, t+1] != ignore_index of CE(input[b, t], target[b, t+1])  [shift=false: target[b, t]]";
    public override string Reference => "Radford et al. 2018/2019 (GPT); Hugging Face causal-LM loss; torch.nn.functional.cross_entropy";
    public override string Function => "Losses.next_token_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("ignore_index", -100, "target value that is not scored (padding)"),
        ParamSpec.Float("label_smoothing", 0.0, "PyTorch's label smoothing", min: 0, max: 1),
        ParamSpec.Bool("shift", true, "logits at t predict the token at t + 1"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(B, T, V) logits"),
        InputSpec.Data("target", "(B, T) token ids"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.next_token_loss(x.Required("input"), x.Required("target"), p.Int("ignore_index"), p.Float("label_smoothing"), p.Bool("shift"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(2,5,6) mean", g => new() { ["input"] = Sample.Normal(g, [2, 5, 6], 2), ["target"] = torch.randint(0, 6, new[] { 2L, 5 }, dtype: ScalarType.Int64, generator: g) });
        yield return GradcheckCase.Of("(3,4,5) padding smoothing=0.1 sum", g => new()
        {
            ["input"] = Sample.Normal(g, [3, 4, 5]),
            ["target"] = torch.tensor(new long[] { 1, 2, 3, -100, 0, 4, -100, -100, 2, 2, 1, 0 }).reshape(3, 4),
        }, ("label_smoothing", "0.1"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(2,3,4) no shift none", g => new() { ["input"] = Sample.Normal(g, [2, 3, 4]), ["target"] = torch.randint(0, 4, new[] { 2L, 3 }, dtype: ScalarType.Int64, generator: g) },
            ("shift", "false"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,2,3) one prediction", g => new() { ["input"] = Sample.Normal(g, [1, 2, 3]), ["target"] = torch.tensor(new long[] { 0, 2 }).reshape(1, 2) });
    }
}
