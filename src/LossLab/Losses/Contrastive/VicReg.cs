using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// VICReg (Bardes, Ponce, LeCun 2022, Variance-Invariance-Covariance Regularization) for two batches of embeddings
    /// of the same samples: <c>sim_coeff * s(Z, Z') + std_coeff * (v(Z) + v(Z')) + cov_coeff * (c(Z) + c(Z'))</c> with the
    /// invariance <c>s = mean((Z - Z')^2)</c>, the variance term <c>v(Z) = mean_j max(0, gamma - sqrt(Var(z_j) + eps))</c>
    /// and the covariance term <c>c(Z) = sum_{i != j} C(Z)_ij^2 / D</c>, C the covariance matrix over the batch.
    /// </summary>
    /// <remarks>
    /// <para>Use it for non-contrastive self-supervised learning of a joint-embedding (two augmented views through one or
    /// two encoders): the variance term keeps each dimension alive and the covariance term decorrelates them, so no
    /// negatives, momentum encoder or stop-gradient are needed against collapse.</para>
    /// <para>Defaults are the paper's: weights 25 / 25 / 1, gamma 1, eps 1e-4, the unbiased variance over the batch, and
    /// <c>C(Z) = (Z - mean)^T (Z - mean) / (N - 1)</c>, as its Algorithm 1 (the official repository's code halves the
    /// variance term: pass std_coeff 12.5 for that). The result is a scalar (the loss is defined on the batch; there is
    /// no per-sample reduction). Needs N &gt;= 2. Memory is O(N D + D^2): no N x N matrix.</para>
    /// <code>
    /// var loss = Losses.vicreg_loss(expander(encoder(view1)), expander(encoder(view2)));
    /// </code>
    /// </remarks>
    /// <param name="z_a">Embeddings of the first views (N, D), floating.</param>
    /// <param name="z_b">Embeddings of the second views (N, D).</param>
    /// <param name="sim_coeff">lambda, the invariance weight, &gt;= 0.</param>
    /// <param name="std_coeff">mu, the variance weight, &gt;= 0.</param>
    /// <param name="cov_coeff">nu, the covariance weight, &gt;= 0.</param>
    /// <param name="gamma">The target standard deviation, &gt; 0.</param>
    /// <param name="eps">Added to the variance under the square root, &gt; 0.</param>
    /// <returns>A scalar.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes or devices.</exception>
    public static Tensor vicreg_loss(Tensor z_a, Tensor z_b, double sim_coeff = 25.0, double std_coeff = 25.0, double cov_coeff = 1.0, double gamma = 1.0, double eps = 1e-4)
    {
        const string name = "vicreg_loss";
        TwoViews.Validate(name, z_a, z_b);
        Check.NonNegativeFinite(sim_coeff, name, nameof(sim_coeff));
        Check.NonNegativeFinite(std_coeff, name, nameof(std_coeff));
        Check.NonNegativeFinite(cov_coeff, name, nameof(cov_coeff));
        Check.PositiveFinite(gamma, name, nameof(gamma));
        Check.PositiveFinite(eps, name, nameof(eps));

        using var scope = NewDisposeScope();
        long n = z_a.shape[0], d = z_a.shape[1];
        var invariance = (z_a - z_b).square().mean();
        Tensor Variance(Tensor z) => (gamma - (z.var(0, unbiased: true) + eps).sqrt()).clamp_min(0.0).mean();
        Tensor Covariance(Tensor z)
        {
            var centred = z - z.mean(new long[] { 0 }, keepdim: true);
            var cov = centred.t().mm(centred) / (n - 1);                               // (D, D)
            return (cov.square().sum() - cov.diagonal().square().sum()) / d;
        }
        var loss = sim_coeff * invariance + std_coeff * (Variance(z_a) + Variance(z_b)) + cov_coeff * (Covariance(z_a) + Covariance(z_b));
        return loss.MoveToOuterDisposeScope();
    }
}

/// <summary>Checks shared by the two-view self-supervised losses (VICReg, Barlow Twins).</summary>
internal static class TwoViews
{
    public static void Validate(string name, Tensor z_a, Tensor z_b)
    {
        Check.Embeddings(z_a, name, nameof(z_a));
        Check.Floating(z_b, name, nameof(z_b));
        Check.SameShape(z_a, nameof(z_a), z_b, nameof(z_b), name);
        Check.SameFloatType(name, (z_a, nameof(z_a)), (z_b, nameof(z_b)));
        Check.SameDevice(name, (z_a, nameof(z_a)), (z_b, nameof(z_b)));
        if (z_a.shape[0] < 2)
            throw new ArgumentException($"{name}: 'z_a' must hold at least 2 samples (batch statistics), got shape {Check.Shape(z_a)}", nameof(z_a));
    }

    public static IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("z_a", "(N, D) embeddings of the first views"),
        InputSpec.Grad("z_b", "(N, D) embeddings of the second views"),
    ];

    public static Dictionary<string, Tensor> Sample(Generator g, long n, long d, double scale = 1.0)
    {
        var a = Registry.Sample.Normal(g, [n, d], scale);
        return new() { ["z_a"] = a, ["z_b"] = a + Registry.Sample.Normal(g, [n, d], 0.5 * scale) };
    }
}

/// <summary>VICReg as a module <c>forward(z_a, z_b)</c>; see <see cref="Losses.vicreg_loss"/>.</summary>
public sealed class VicRegLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double simCoeff, stdCoeff, covCoeff, gamma, eps;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.vicreg_loss"/>.</summary>
    public VicRegLoss(double sim_coeff = 25.0, double std_coeff = 25.0, double cov_coeff = 1.0, double gamma = 1.0, double eps = 1e-4) : base(nameof(VicRegLoss))
    {
        Check.NonNegativeFinite(sim_coeff, nameof(VicRegLoss), nameof(sim_coeff));
        Check.NonNegativeFinite(std_coeff, nameof(VicRegLoss), nameof(std_coeff));
        Check.NonNegativeFinite(cov_coeff, nameof(VicRegLoss), nameof(cov_coeff));
        Check.PositiveFinite(gamma, nameof(VicRegLoss), nameof(gamma));
        Check.PositiveFinite(eps, nameof(VicRegLoss), nameof(eps));
        simCoeff = sim_coeff;
        stdCoeff = std_coeff;
        covCoeff = cov_coeff;
        this.gamma = gamma;
        this.eps = eps;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor z_a, Tensor z_b) => Losses.vicreg_loss(z_a, z_b, simCoeff, stdCoeff, covCoeff, gamma, eps);
}

internal sealed class VicRegDefinition : LossDefinition
{
    public override string Name => "vicreg";
    public override string Family => "self_supervised";
    public override string Summary => "VICReg: invariance (MSE) + variance hinge on per-dimension std + off-diagonal covariance, weights 25/25/1.";
    public override string Math => "sim_coeff mean((Z - Z')^2) + std_coeff [v(Z) + v(Z')] + cov_coeff [c(Z) + c(Z')];  v(Z) = mean_j max(0, gamma - sqrt(Var z_j + eps)), c(Z) = sum_{i != j} Cov(Z)_ij^2 / D";
    public override string Reference => "Bardes, Ponce, LeCun 2022, VICReg: Variance-Invariance-Covariance Regularization for Self-Supervised Learning";
    public override string Function => "Losses.vicreg_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("sim_coeff", 25.0, "weight of the invariance (MSE) term", min: 0),
        ParamSpec.Float("std_coeff", 25.0, "weight of the variance term", min: 0),
        ParamSpec.Float("cov_coeff", 1.0, "weight of the covariance term", min: 0),
        ParamSpec.Float("gamma", 1.0, "target standard deviation per dimension", min: 0, minExclusive: true),
        ParamSpec.Float("eps", 1e-4, "added to the variance under the square root", min: 0, minExclusive: true),
    ];
    public override IReadOnlyList<InputSpec> Inputs => TwoViews.Inputs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.vicreg_loss(x.Required("z_a"), x.Required("z_b"), p.Float("sim_coeff"), p.Float("std_coeff"), p.Float("cov_coeff"), p.Float("gamma"), p.Float("eps"));

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        // Small-scale embeddings (std well below gamma) keep the variance hinge active; scale 3 leaves it inactive.
        yield return GradcheckCase.Of("(8,4) defaults, hinge active", g => TwoViews.Sample(g, 8, 4, 0.3));
        yield return GradcheckCase.Of("(6,5) gamma=2", g => TwoViews.Sample(g, 6, 5), ("gamma", "2"));
        yield return GradcheckCase.Of("(10,3) scale 3 (hinge inactive) sim=1 std=1 cov=5", g => TwoViews.Sample(g, 10, 3, 3), ("sim_coeff", "1"), ("std_coeff", "1"), ("cov_coeff", "5"));
        yield return GradcheckCase.Of("(2,3) two samples", g => TwoViews.Sample(g, 2, 3, 0.2));
    }
}
