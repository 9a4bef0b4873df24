using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>Which player of a generative adversarial network a GAN loss trains.</summary>
public enum GanRole
{
    /// <summary>The discriminator (the critic, for WGAN): it sees the real and the generated samples' scores.</summary>
    Discriminator,

    /// <summary>The generator: only the generated samples' scores enter its loss.</summary>
    Generator,
}

/// <summary>What the GAN losses share: argument checks, the reduction of a real and a fake term, the stable softplus.</summary>
internal static class GanCommon
{
    public const string Real = "real_logits";
    public const string Fake = "fake_logits";

    /// <summary>
    /// Checks the scores for a role: fake always, real for the discriminator; both floating, non-empty, one dtype and
    /// device; with reduction none, the same shape (the per-sample loss adds the real and the fake term entry by entry).
    /// </summary>
    public static void CheckScores(Tensor? real, Tensor fake, GanRole role, Reduction reduction, string name)
    {
        if (!Enum.IsDefined(role)) throw new ArgumentOutOfRangeException(nameof(role), role, $"{name}: 'role' must be Discriminator or Generator, got {role}");
        Reduce.NoBatchMean(reduction, name);
        Check.Floating(fake, name, Fake);
        Check.HasSamples(fake, name, Fake);
        if (role == GanRole.Generator) return;
        if (real is null) throw new ArgumentNullException(Real, $"{name}: '{Real}' is required for the discriminator role");
        Check.Floating(real, name, Real);
        Check.HasSamples(real, name, Real);
        Check.SameFloatType(name, (real, Real), (fake, Fake));
        Check.SameDevice(name, (real, Real), (fake, Fake));
        if (reduction == Reduction.None && !real.shape.SequenceEqual(fake.shape))
            throw new ArgumentException($"{name}: with reduction none, '{Fake}' must have the shape of '{Real}' {Check.Shape(real)} (the per-sample loss adds the two terms entry by entry), got {Check.Shape(fake)}; use mean or sum for batches of different sizes", Fake);
    }

    /// <summary>The discriminator's loss: its real term plus its fake term, reduced (mean: mean + mean; sum: sum + sum; none: entry by entry).</summary>
    public static Tensor ReducePair(Tensor onReal, Tensor onFake, Reduction reduction) => reduction switch
    {
        Reduction.None => onReal + onFake,
        Reduction.Sum => onReal.sum() + onFake.sum(),
        _ => onReal.mean() + onFake.mean(),
    };

    /// <summary>softplus(x) = log(1 + e^x), exact in every range (libtorch's log_sigmoid), with gradient sigmoid(x) everywhere.</summary>
    public static Tensor Softplus(Tensor x) => -torch.nn.functional.logsigmoid(-x);

    /// <summary>
    /// The original GAN with a sigmoid discriminator, from logits: the discriminator's binary cross-entropy (real target
    /// 1 - label_smoothing, fake target 0) and the generator's minimax <c>-softplus(fake)</c> or non-saturating
    /// <c>softplus(-fake)</c> loss.
    /// </summary>
    public static Tensor Logistic(Tensor? real, Tensor fake, GanRole role, double labelSmoothing, Reduction reduction, bool nonSaturating, string name)
    {
        CheckScores(real, fake, role, reduction, name);
        CheckSmoothing(labelSmoothing, name);

        using var scope = NewDisposeScope();
        Tensor loss;
        if (role == GanRole.Generator) loss = Reduce.Apply(nonSaturating ? Softplus(-fake) : -Softplus(fake), reduction, name);
        else
        {
            var onReal = labelSmoothing == 0 ? Softplus(-real!) : (1 - labelSmoothing) * Softplus(-real!) + labelSmoothing * Softplus(real!);
            loss = ReducePair(onReal, Softplus(fake), reduction);
        }
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Checks one-sided label smoothing, in [0, 1).</summary>
    public static void CheckSmoothing(double labelSmoothing, string name) =>
        Check.Param(labelSmoothing >= 0 && labelSmoothing < 1, name, "label_smoothing", "in [0, 1)", labelSmoothing);

    /// <summary>The parameters of the GAN losses with a binary cross-entropy discriminator: role, label_smoothing, reduction.</summary>
    public static IReadOnlyList<ParamSpec> BceParameters() =>
    [
        RoleParam(),
        ParamSpec.Float("label_smoothing", 0.0, "one-sided label smoothing: the real target becomes 1 - label_smoothing (discriminator)", min: 0, max: 1, maxExclusive: true),
        ParamSpec.Reduction(),
    ];

    public static GanRole ParseRole(LossParameters p) => p.Choice("role") == "generator" ? GanRole.Generator : GanRole.Discriminator;

    public static ParamSpec RoleParam(string discriminatorWord = "discriminator") =>
        ParamSpec.Choice("role", "discriminator", $"which player the loss trains: discriminator ({discriminatorWord}) or generator", "discriminator", "generator");

    /// <summary>Values at least <paramref name="gap"/> away from <paramref name="kink"/>, on either side (gradcheck inputs of hinge losses).</summary>
    public static Tensor AwayFrom(Generator g, long[] shape, double kink, double gap = 0.2) =>
        Sample.Signs(g, shape) * (Sample.Uniform(g, shape, 0, 1.5) + gap) + kink;
}

/// <summary>The registry entries of the GAN losses: two score inputs, a role, and gradcheck settings over roles, shapes and reductions.</summary>
internal abstract class GanDefinition : LossDefinition
{
    public override string Family => "generative";

    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        new InputSpec(GanCommon.Real, "(N, *) discriminator outputs (logits / critic scores) on real samples; the discriminator role only", Required: false, Differentiable: true),
        InputSpec.Grad(GanCommon.Fake, "(M, *) discriminator outputs on generated samples; (N, *) with reduction none"),
    ];

    /// <summary>Real and fake scores of the given shapes (the real kept away from <paramref name="realKink"/>, the fake from <paramref name="fakeKink"/> when given).</summary>
    protected static Func<Generator, Dictionary<string, Tensor>> Scores(long[] real, long[] fake, double scale = 1.5, double? realKink = null, double? fakeKink = null) => g => new()
    {
        [GanCommon.Real] = realKink is double rk ? GanCommon.AwayFrom(g, real, rk) : Sample.Normal(g, real, scale),
        [GanCommon.Fake] = fakeKink is double fk ? GanCommon.AwayFrom(g, fake, fk) : Sample.Normal(g, fake, scale),
    };

    /// <summary>The settings every GAN loss is checked in: each role, each reduction, a single-sample batch, batches of different sizes.</summary>
    protected static IEnumerable<GradcheckCase> RoleCases(double? realKink = null, double? fakeKink = null)
    {
        yield return GradcheckCase.Of("(6)/(6) discriminator mean", Scores([6], [6], realKink: realKink, fakeKink: fakeKink));
        yield return GradcheckCase.Of("(4,3)/(4,3) discriminator none", Scores([4, 3], [4, 3], realKink: realKink, fakeKink: fakeKink), ("reduction", "none"));
        yield return GradcheckCase.Of("(5)/(3) discriminator sum", Scores([5], [3], realKink: realKink, fakeKink: fakeKink), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1)/(1) generator mean", Scores([1], [1], realKink: realKink, fakeKink: fakeKink), ("role", "generator"));
        yield return GradcheckCase.Of("(4,2) generator none", Scores([4, 2], [4, 2], realKink: realKink, fakeKink: fakeKink), ("role", "generator"), ("reduction", "none"));
    }
}
