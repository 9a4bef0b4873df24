using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>The sign of <see cref="Losses.entropy_loss"/>: whether minimising it raises or lowers the entropy.</summary>
public enum EntropySign
{
    /// <summary>The loss is <c>-H</c>: minimising it raises the entropy (an entropy bonus, for exploration or against overconfidence).</summary>
    Bonus,
    /// <summary>The loss is <c>+H</c>: minimising it lowers the entropy (entropy minimisation, confident predictions on unlabelled data).</summary>
    Penalty,
}

public static partial class Losses
{
    /// <summary>
    /// The Shannon entropy <c>H(p) = -sum_c p_c log p_c</c> (nats) of categorical distributions given as logits or
    /// probabilities, signed as a term to minimise: <c>-H</c> for <see cref="EntropySign.Bonus"/> (the default),
    /// <c>+H</c> for <see cref="EntropySign.Penalty"/>.
    /// </summary>
    /// <remarks>
    /// <para><b>Sign convention.</b> The result is always something to add to a loss and minimise. As a bonus (A3C, Mnih et
    /// al. 2016; PPO, Schulman et al. 2017: <c>loss = policy_loss - c * H</c>) it is <c>-H</c>, so add
    /// <c>c * entropy_loss(logits)</c> with c &gt; 0 to encourage exploration or penalise confident outputs (Pereyra et
    /// al. 2017). As a penalty (entropy minimisation, Grandvalet &amp; Bengio 2005, semi-supervised learning and test-time
    /// adaptation such as Tent) it is <c>+H</c>. The value of a bonus is therefore in <c>[-log C, 0]</c>, of a penalty in
    /// <c>[0, log C]</c>.</para>
    /// <para>Computed in log space (<c>log_softmax</c>; <c>0 log 0 = 0</c> with a zero gradient), so logits of magnitude 1e4
    /// in float32 and zero probabilities give finite values and gradients. Probabilities are normalised along the class
    /// dimension. Shapes: (N, C), (N, C, d1, ...) with classes in dimension 1, or an unbatched (C).</para>
    /// <code>
    /// var loss = policyLoss + 0.5 * valueLoss + 0.01 * Losses.entropy_loss(actionLogits);   // entropy bonus
    /// </code>
    /// </remarks>
    /// <param name="input">Logits or probabilities: (N, C), (N, C, d1, ...) or (C).</param>
    /// <param name="input_type">Whether <paramref name="input"/> holds logits or probabilities.</param>
    /// <param name="sign">Bonus: the loss is -H; penalty: +H.</param>
    /// <param name="reduction">none: one value per distribution; mean over distributions; sum.</param>
    /// <returns>A scalar, or the per-distribution values for reduction none.</returns>
    public static Tensor entropy_loss(Tensor input, CategoricalInput input_type = CategoricalInput.Logits, EntropySign sign = EntropySign.Bonus, Reduction reduction = Reduction.Mean)
    {
        const string name = "entropy_loss";
        Categorical.CheckInput(input, input_type, name, nameof(input));
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var logp = Categorical.LogProbs(input, input_type);
        var plogp = logp.exp() * torch.where(Categorical.Support(logp), logp, torch.zeros_like(logp));
        // sum p log p = -H: the bonus; its negation the penalty.
        var value = plogp.sum(Categorical.ClassDim(input));
        if (sign == EntropySign.Penalty) value = -value;
        return Reduce.Apply(value, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The signed entropy of categorical distributions as a module; see <see cref="Losses.entropy_loss"/>.</summary>
public sealed class EntropyLoss : nn.Module<Tensor, Tensor>
{
    private readonly CategoricalInput inputType;
    private readonly EntropySign sign;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.entropy_loss"/>.</summary>
    public EntropyLoss(CategoricalInput input_type = CategoricalInput.Logits, EntropySign sign = EntropySign.Bonus, Reduction reduction = Reduction.Mean) : base(nameof(EntropyLoss))
    {
        Reduce.NoBatchMean(reduction, nameof(EntropyLoss));
        inputType = input_type;
        this.sign = sign;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => Losses.entropy_loss(input, inputType, sign, reduction);
}

internal sealed class EntropyDefinition : LossDefinition
{
    public override string Name => "entropy";
    public override string Family => "regularization";
    public override string Summary => "Entropy of categorical distributions as a term to minimise: -H as a bonus (default), +H as a penalty.";
    public override string Math => "H = -sum_c p_c log p_c, p = softmax(input) (or normalised probs);  l = -H (bonus) or H (penalty)";
    public override string Reference => "Mnih et al. 2016, Asynchronous Methods for Deep RL (entropy bonus); Grandvalet & Bengio 2005, Semi-supervised Learning by Entropy Minimization";
    public override string Function => "Losses.entropy_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("input_type", "logits", "input holds logits or probabilities", Categorical.Names),
        ParamSpec.Choice("sign", "bonus", "bonus: the loss is -H (raises entropy); penalty: +H (lowers it)", "bonus", "penalty"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.Grad("input", "(N, C), (N, C, d1, ...) or (C): logits or probabilities")];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.entropy_loss(x.Required("input"), Categorical.Parse(p.Choice("input_type")), p.Choice("sign") == "penalty" ? EntropySign.Penalty : EntropySign.Bonus, p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) logits bonus mean", g => new() { ["input"] = Sample.Normal(g, [6, 4], 2) });
        yield return GradcheckCase.Of("(5,3) probs penalty sum", g => new() { ["input"] = Sample.Simplex(g, 5, 3) }, ("input_type", "probs"), ("sign", "penalty"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(3,4,2) logits penalty none", g => new() { ["input"] = Sample.Normal(g, [3, 4, 2]) }, ("sign", "penalty"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,6) probs", g => new() { ["input"] = Sample.Simplex(g, 1, 6) }, ("input_type", "probs"));
    }
}
