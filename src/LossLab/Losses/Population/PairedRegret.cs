using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>How <see cref="Losses.paired_regret"/> summarises the antagonist's episodes.</summary>
public enum AntagonistValue
{
    /// <summary>The best antagonist episode (PAIRED's estimate of the optimal value).</summary>
    Max,
    /// <summary>The mean over antagonist episodes.</summary>
    Mean,
}

public static partial class Losses
{
    /// <summary>
    /// The regret of PAIRED (Dennis et al. 2020, "Emergent Complexity and Zero-shot Transfer via Unsupervised
    /// Environment Design"), per environment: <c>regret = max_j U(tau_A,j) - mean_i U(tau_P,i)</c>, the antagonist's best
    /// return minus the protagonist's mean return on the environments the adversary generated.
    /// </summary>
    /// <remarks>
    /// The adversary (environment generator) and the antagonist maximise the regret; the protagonist's objective is the
    /// negative, its value minus the antagonist's, so the protagonist minimises this value. Each agent receives its
    /// part as a reward in RL; as a differentiable quantity (e.g. of value estimates or of returns from a
    /// differentiable simulator) it passes gradients to both sides; the max passes them to the best episode.
    /// Returns may be given per environment (E) (one episode each) or (E, episodes).
    /// <code>
    /// var regret = Losses.paired_regret(protagonistReturns, antagonistReturns);   // (E, P), (E, A)
    /// </code>
    /// </remarks>
    /// <param name="protagonist">Protagonist returns, (E) or (E, P).</param>
    /// <param name="antagonist">Antagonist returns, (E) or (E, A).</param>
    /// <param name="antagonist_value">max (PAIRED) or mean over the antagonist's episodes.</param>
    /// <param name="reduction">none: per-environment regret (E); mean; sum.</param>
    /// <returns>A scalar, or (E) for reduction none.</returns>
    public static Tensor paired_regret(Tensor protagonist, Tensor antagonist, AntagonistValue antagonist_value = AntagonistValue.Max, Reduction reduction = Reduction.Mean)
    {
        const string name = "paired_regret";
        Check.Floating(protagonist, name, nameof(protagonist));
        Check.Rank(protagonist, name, nameof(protagonist), 1, 2);
        Check.Floating(antagonist, name, nameof(antagonist));
        Check.Rank(antagonist, name, nameof(antagonist), 1, 2);
        Check.SameBatch(protagonist, nameof(protagonist), antagonist, nameof(antagonist), name);
        if (protagonist.dim() == 2 && protagonist.shape[1] == 0) throw new ArgumentException($"{name}: 'protagonist' has no episodes (shape {Check.Shape(protagonist)})", nameof(protagonist));
        if (antagonist.dim() == 2 && antagonist.shape[1] == 0) throw new ArgumentException($"{name}: 'antagonist' has no episodes (shape {Check.Shape(antagonist)})", nameof(antagonist));
        if (!Enum.IsDefined(antagonist_value)) throw new ArgumentOutOfRangeException(nameof(antagonist_value), antagonist_value, $"{name}: unknown antagonist_value");
        Check.SameDevice(name, (protagonist, nameof(protagonist)), (antagonist, nameof(antagonist)));
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var p = protagonist.dim() == 1 ? protagonist : protagonist.mean(new long[] { 1 });
        var a = antagonist.to_type(protagonist.dtype);
        if (a.dim() == 2) a = antagonist_value == AntagonistValue.Max ? a.amax(new long[] { 1 }) : a.mean(new long[] { 1 });
        return Reduce.Apply(a - p, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>PAIRED's regret as a module; see <see cref="Losses.paired_regret"/>. Inputs: protagonist, antagonist.</summary>
public sealed class PairedRegretLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly AntagonistValue antagonistValue;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.paired_regret"/>.</summary>
    /// <param name="antagonist_value">max or mean over antagonist episodes.</param>
    /// <param name="reduction">The reduction over environments.</param>
    public PairedRegretLoss(AntagonistValue antagonist_value = AntagonistValue.Max, Reduction reduction = Reduction.Mean) : base(nameof(PairedRegretLoss))
    {
        antagonistValue = antagonist_value;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor protagonist, Tensor antagonist) => Losses.paired_regret(protagonist, antagonist, antagonistValue, reduction);
}

internal sealed class PairedRegretDefinition : LossDefinition
{
    public override string Name => "paired_regret";
    public override string Family => "population";
    public override string Summary => "PAIRED's regret per environment: the antagonist's best return minus the protagonist's mean return (the protagonist minimises it).";
    public override string Math => "regret_e = max_j U_A(e, j) - mean_i U_P(e, i)   (antagonist_value=mean: mean_j U_A(e, j))";
    public override string Reference => "Dennis et al. 2020, Emergent Complexity and Zero-shot Transfer via Unsupervised Environment Design (PAIRED)";
    public override string Function => "Losses.paired_regret";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("antagonist_value", "max", "the antagonist's value: its best episode (PAIRED) or the mean", "max", "mean"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("protagonist", "(E) or (E, P) protagonist returns"),
        InputSpec.Grad("antagonist", "(E) or (E, A) antagonist returns"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.paired_regret(x.Required("protagonist"), x.Required("antagonist"), p.Choice("antagonist_value") == "mean" ? AntagonistValue.Mean : AntagonistValue.Max, p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(4,3|4,2) max", g => new() { ["protagonist"] = Sample.Normal(g, [4, 3]), ["antagonist"] = Sample.Normal(g, [4, 2]) });
        yield return GradcheckCase.Of("(5|5,3) mean none", g => new() { ["protagonist"] = Sample.Normal(g, [5]), ["antagonist"] = Sample.Normal(g, [5, 3]) }, ("antagonist_value", "mean"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,2|1) sum", g => new() { ["protagonist"] = Sample.Normal(g, [1, 2]), ["antagonist"] = Sample.Normal(g, [1]) }, ("reduction", "sum"));
    }
}
