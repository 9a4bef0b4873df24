using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Barlow Twins (Zbontar et al. 2021): with each batch of embeddings standardised per dimension over the batch (batch
    /// normalisation without affine parameters), the cross-correlation matrix <c>C = z_a_n^T z_b_n / N</c> (D, D) is driven
    /// to the identity: <c>sum_i (1 - C_ii)^2 + lambd * sum_{i != j} C_ij^2</c>.
    /// </summary>
    /// <remarks>
    /// <para>Use it for non-contrastive self-supervised learning from two augmented views: the diagonal makes the two
    /// views' embeddings agree, the off-diagonal term removes redundancy between dimensions (no negatives needed).</para>
    /// <para>The standardisation is <c>nn.BatchNorm1d(affine=False)</c> in training mode, as the official code: the
    /// biased variance and <c>(z - mean) / sqrt(var + eps)</c> with eps 1e-5. lambd defaults to the paper's 5e-3 (the
    /// official code's default is 0.0051). The result is a scalar (no per-sample reduction). Needs N &gt;= 2; memory is
    /// O(N D + D^2).</para>
    /// <code>
    /// var loss = Losses.barlow_twins_loss(projector(encoder(view1)), projector(encoder(view2)));
    /// </code>
    /// </remarks>
    /// <param name="z_a">Embeddings of the first views (N, D), floating.</param>
    /// <param name="z_b">Embeddings of the second views (N, D).</param>
    /// <param name="lambd">Weight of the redundancy-reduction (off-diagonal) term, &gt;= 0.</param>
    /// <param name="eps">Added to the batch variance, &gt; 0 (BatchNorm's 1e-5).</param>
    /// <returns>A scalar.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes or devices.</exception>
    public static Tensor barlow_twins_loss(Tensor z_a, Tensor z_b, double lambd = 5e-3, double eps = 1e-5)
    {
        const string name = "barlow_twins_loss";
        TwoViews.Validate(name, z_a, z_b);
        Check.NonNegativeFinite(lambd, name, nameof(lambd));
        Check.PositiveFinite(eps, name, nameof(eps));

        using var scope = NewDisposeScope();
        long n = z_a.shape[0];
        Tensor Standardise(Tensor z)
        {
            var centred = z - z.mean(new long[] { 0 }, keepdim: true);
            return centred / (centred.square().mean(new long[] { 0 }, keepdim: true) + eps).sqrt();
        }
        var c = Standardise(z_a).t().mm(Standardise(z_b)) / n;                       // (D, D)
        var diagonal = c.diagonal();
        var onDiagonal = (1.0 - diagonal).square().sum();
        var offDiagonal = c.square().sum() - diagonal.square().sum();
        return (onDiagonal + lambd * offDiagonal).MoveToOuterDisposeScope();
    }
}

/// <summary>Barlow Twins as a module <c>forward(z_a, z_b)</c>; see <see cref="Losses.barlow_twins_loss"/>.</summary>
public sealed class BarlowTwinsLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double lambd;
    private readonly double eps;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.barlow_twins_loss"/>.</summary>
    public BarlowTwinsLoss(double lambd = 5e-3, double eps = 1e-5) : base(nameof(BarlowTwinsLoss))
    {
        Check.NonNegativeFinite(lambd, nameof(BarlowTwinsLoss), nameof(lambd));
        Check.PositiveFinite(eps, nameof(BarlowTwinsLoss), nameof(eps));
        this.lambd = lambd;
        this.eps = eps;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor z_a, Tensor z_b) => Losses.barlow_twins_loss(z_a, z_b, lambd, eps);
}

internal sealed class BarlowTwinsDefinition : LossDefinition
{
    public override string Name => "barlow_twins";
    public override string Family => "self_supervised";
    public override string Summary => "Barlow Twins: the cross-correlation of batch-standardised embeddings of two views driven to the identity.";
    public override string Math => "C = bn(z_a)^T bn(z_b) / N;  l = sum_i (1 - C_ii)^2 + lambd sum_{i != j} C_ij^2,  bn(z) = (z - mean) / sqrt(var_biased + eps) over the batch";
    public override string Reference => "Zbontar, Jing, Misra, LeCun, Deny 2021, Barlow Twins: Self-Supervised Learning via Redundancy Reduction";
    public override string Function => "Losses.barlow_twins_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("lambd", 5e-3, "weight of the off-diagonal (redundancy reduction) term", min: 0),
        ParamSpec.Float("eps", 1e-5, "added to the batch variance", min: 0, minExclusive: true),
    ];
    public override IReadOnlyList<InputSpec> Inputs => TwoViews.Inputs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.barlow_twins_loss(x.Required("z_a"), x.Required("z_b"), p.Float("lambd"), p.Float("eps"));

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(8,4) defaults", g => TwoViews.Sample(g, 8, 4));
        yield return GradcheckCase.Of("(6,5) lambd=0.5", g => TwoViews.Sample(g, 6, 5, 2), ("lambd", "0.5"));
        yield return GradcheckCase.Of("(10,3) lambd=0 eps=0.1", g => TwoViews.Sample(g, 10, 3), ("lambd", "0"), ("eps", "0.1"));
        yield return GradcheckCase.Of("(3,2) three samples", g => TwoViews.Sample(g, 3, 2));
    }
}
