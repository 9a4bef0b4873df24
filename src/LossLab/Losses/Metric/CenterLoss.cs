using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Center loss (Wen, Zhang, Li, Qiao 2016, A Discriminative Feature Learning Approach for Deep Face Recognition): per
    /// sample <c>1/2 ||x_i - c_{y_i}||^2</c>, the squared distance of a feature to the center of its class.
    /// </summary>
    /// <remarks>
    /// <para>Use it beside a softmax (cross-entropy) loss, weighted by a small lambda, to make the features of each class
    /// compact: the softmax separates the classes, the center loss shrinks them around their centers.</para>
    /// <para>The centers are an input (C, D), so the caller owns them: a learnable parameter (gradients flow to the
    /// centers, <c>d/dc_j = -sum_{i: y_i = j} (x_i - c_j)</c>), or a buffer updated with the paper's rule
    /// <c>c_j -= alpha * sum_{i: y_i = j} (c_j - x_i) / (1 + n_j)</c> outside the loss (pass centers without gradient).
    /// The <see cref="CenterLoss"/> module holds them as a parameter. Only the (N, D) gathered centers are used: no
    /// N x C matrix is formed.</para>
    /// <code>
    /// var centers = torch.zeros(numClasses, featureDim, requires_grad: true);
    /// var loss = Losses.cross_entropy(logits, labels) + 0.003 * Losses.center_loss(features, labels, centers);
    /// </code>
    /// </remarks>
    /// <param name="embeddings">Features (N, D), floating.</param>
    /// <param name="labels">Class indices (N), integer, in [0, C).</param>
    /// <param name="centers">Class centers (C, D), the dtype of the features.</param>
    /// <param name="reduction">none: per-sample losses (N); mean (the paper sums: use sum for its scale); sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes, devices or class indices.</exception>
    public static Tensor center_loss(Tensor embeddings, Tensor labels, Tensor centers, Reduction reduction = Reduction.Mean)
    {
        const string name = "center_loss";
        Check.Embeddings(embeddings, name);
        Check.Floating(centers, name, nameof(centers));
        Check.Rank(centers, name, nameof(centers), 2);
        Check.Size(centers, 1, embeddings.shape[1], name, nameof(centers), "the feature size of 'embeddings'");
        Check.SameFloatType(name, (embeddings, nameof(embeddings)), (centers, nameof(centers)));
        Check.GroupLabels(labels, embeddings, nameof(embeddings), name);
        Check.ClassIndices(labels, centers.shape[0], name, nameof(labels));
        Check.SameDevice(name, (embeddings, nameof(embeddings)), (centers, nameof(centers)));
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var c = centers.index_select(0, labels);
        var loss = 0.5 * (embeddings - c).square().sum(1);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The center loss as a module that owns its class centers (a learnable parameter <c>centers</c> of shape (C, D),
/// initialised at 0); <c>forward(embeddings, labels)</c>. See <see cref="Losses.center_loss"/>.
/// </summary>
public sealed class CenterLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Reduction reduction;
    private readonly TorchSharp.Modules.Parameter centers;

    /// <summary>Creates the module with zero centers.</summary>
    /// <param name="num_classes">C, &gt; 0.</param>
    /// <param name="embedding_size">D, &gt; 0.</param>
    /// <param name="reduction">As <see cref="Losses.center_loss"/>.</param>
    /// <param name="dtype">The centers' dtype (default float32).</param>
    public CenterLoss(long num_classes, long embedding_size, Reduction reduction = Reduction.Mean, ScalarType dtype = ScalarType.Float32) : base(nameof(CenterLoss))
    {
        Check.Param(num_classes > 0, nameof(CenterLoss), nameof(num_classes), "> 0", num_classes);
        Check.Param(embedding_size > 0, nameof(CenterLoss), nameof(embedding_size), "> 0", embedding_size);
        Reduce.NoBatchMean(reduction, nameof(CenterLoss));
        this.reduction = reduction;
        centers = new TorchSharp.Modules.Parameter(torch.zeros(num_classes, embedding_size, dtype: dtype));
        RegisterComponents();
    }

    /// <summary>The class centers (C, D).</summary>
    public TorchSharp.Modules.Parameter Centers => centers;

    /// <inheritdoc/>
    public override Tensor forward(Tensor embeddings, Tensor labels) => Losses.center_loss(embeddings, labels, centers, reduction);
}

internal sealed class CenterLossDefinition : LossDefinition
{
    public override string Name => "center_loss";
    public override string Family => "metric_learning";
    public override string Summary => "Center loss: half the squared distance of each feature to its class center (Wen et al. 2016).";
    public override string Math => "l_i = 1/2 ||x_i - c_{y_i}||^2";
    public override string Reference => "Wen, Zhang, Li, Qiao 2016, A Discriminative Feature Learning Approach for Deep Face Recognition";
    public override string Function => "Losses.center_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } = [ParamSpec.Reduction()];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("embeddings", "(N, D) features"),
        InputSpec.Data("labels", "(N) class indices"),
        InputSpec.Grad("centers", "(C, D) class centers"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.center_loss(x.Required("embeddings"), x.Required("labels"), x.Required("centers"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) C=3 mean", g => new() { ["embeddings"] = Sample.Normal(g, [6, 4]), ["labels"] = Sample.Labels(g, 6, 3), ["centers"] = Sample.Normal(g, [3, 4]) });
        yield return GradcheckCase.Of("(5,3) C=4 sum", g => new() { ["embeddings"] = Sample.Normal(g, [5, 3], 3), ["labels"] = Sample.Labels(g, 5, 4), ["centers"] = Sample.Normal(g, [4, 3]) }, ("reduction", "sum"));
        yield return GradcheckCase.Of("(7,2) C=2 none", g => new() { ["embeddings"] = Sample.Normal(g, [7, 2]), ["labels"] = Sample.Labels(g, 7, 2), ["centers"] = Sample.Normal(g, [2, 2]) }, ("reduction", "none"));
        yield return GradcheckCase.Of("(1,5) C=3", g => new() { ["embeddings"] = Sample.Normal(g, [1, 5]), ["labels"] = torch.tensor(new long[] { 2 }), ["centers"] = Sample.Normal(g, [3, 5]) });
    }
}
