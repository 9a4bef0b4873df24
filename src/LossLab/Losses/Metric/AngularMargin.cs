using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// The shared part of the angular-margin softmax losses (ArcFace, CosFace, SphereFace): checks, the cosines between
/// normalised embeddings and normalised class weights, and the cross entropy of the scaled logits with the target
/// logit replaced by its margin form.
/// </summary>
internal static class AngularMargin
{
    public static void Validate(string name, Tensor embeddings, Tensor weight, Tensor labels, double scale, Reduction reduction)
    {
        Check.Embeddings(embeddings, name);
        Check.Floating(weight, name, nameof(weight));
        Check.Rank(weight, name, nameof(weight), 2);
        Check.Size(weight, 1, embeddings.shape[1], name, nameof(weight), "the embedding size of 'embeddings'");
        if (weight.shape[0] == 0)
            throw new ArgumentException($"{name}: 'weight' must hold at least one class vector, got shape {Check.Shape(weight)}", nameof(weight));
        Check.SameFloatType(name, (embeddings, nameof(embeddings)), (weight, nameof(weight)));
        Check.GroupLabels(labels, embeddings, nameof(embeddings), name);
        Check.ClassIndices(labels, weight.shape[0], name, nameof(labels));
        Check.SameDevice(name, (embeddings, nameof(embeddings)), (weight, nameof(weight)));
        Check.PositiveFinite(scale, name, nameof(scale));
        Reduce.NoBatchMean(reduction, name);
    }

    /// <summary>cos(theta) between each normalised embedding and each normalised class weight: (N, C).</summary>
    public static Tensor Cosines(Tensor embeddings, Tensor weight)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.normalize(embeddings, 2, 1, 1e-12);
        var w = nn.functional.normalize(weight, 2, 1, 1e-12);
        return x.mm(w.t()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Cross entropy of <c>scale * cos</c> with the target column replaced by <c>scale * target</c>; per sample (N).
    /// </summary>
    public static Tensor CrossEntropy(Tensor cos, Tensor labels, Tensor target, double scale)
    {
        using var scope = NewDisposeScope();
        var y = labels.unsqueeze(1);
        var logits = (cos * scale).scatter(1, y, (target * scale).unsqueeze(1));
        var loss = -nn.functional.log_softmax(logits, 1).gather(1, y).squeeze(1);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The per-sample cosine of the target class (N).</summary>
    public static Tensor TargetCosine(Tensor cos, Tensor labels) => cos.gather(1, labels.unsqueeze(1)).squeeze(1);
}

/// <summary>
/// The shared part of the angular-margin classification heads (<see cref="ArcFaceLoss"/>, <see cref="CosFaceLoss"/>,
/// <see cref="SphereFaceLoss"/>): they own the class weights <see cref="Weight"/> (C, D), initialised with Xavier uniform
/// as insightface, and compute their loss from <c>forward(embeddings, labels)</c>.
/// </summary>
public abstract class AngularMarginHead : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Parameter weight;

    /// <summary>Creates the head and its class weights.</summary>
    /// <param name="name">The module's name.</param>
    /// <param name="numClasses">C, &gt; 0.</param>
    /// <param name="embeddingSize">D, &gt; 0.</param>
    /// <param name="scale">s, &gt; 0.</param>
    /// <param name="reduction">none, mean or sum.</param>
    /// <param name="dtype">The weights' dtype.</param>
    protected AngularMarginHead(string name, long numClasses, long embeddingSize, double scale, Reduction reduction, ScalarType dtype) : base(name)
    {
        Check.Param(numClasses > 0, name, nameof(numClasses), "> 0", numClasses);
        Check.Param(embeddingSize > 0, name, nameof(embeddingSize), "> 0", embeddingSize);
        Check.PositiveFinite(scale, name, nameof(scale));
        Reduce.NoBatchMean(reduction, name);
        Scale = scale;
        Reduction = reduction;
        var w = torch.empty(numClasses, embeddingSize, dtype: dtype);
        nn.init.xavier_uniform_(w);
        weight = new TorchSharp.Modules.Parameter(w);
        RegisterComponents();
    }

    /// <summary>The class weights (C, D).</summary>
    public TorchSharp.Modules.Parameter Weight => weight;

    /// <summary>s, the logits' radius.</summary>
    protected double Scale { get; }

    /// <summary>The reduction.</summary>
    protected Reduction Reduction { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor embeddings, Tensor labels) => Compute(embeddings, weight, labels);

    /// <summary>The head's loss for the given class weights.</summary>
    /// <param name="embeddings">Embeddings (N, D).</param>
    /// <param name="weight">The class weights (C, D).</param>
    /// <param name="labels">Class indices (N).</param>
    protected abstract Tensor Compute(Tensor embeddings, Tensor weight, Tensor labels);
}

/// <summary>Registry inputs and gradcheck samples shared by the angular-margin heads.</summary>
internal static class MarginHead
{
    public static IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("embeddings", "(N, D) embeddings"),
        InputSpec.Grad("weight", "(C, D) class weight vectors"),
        InputSpec.Data("labels", "(N) class indices"),
    ];

    // Embeddings drawn around their class's weight vector (the regime these heads train in); random draws keep the
    // target cosines away from the margins' switch points.
    public static Dictionary<string, Tensor> Sample(Generator g, long n, long c, long d)
    {
        var w = Registry.Sample.Normal(g, [c, d]);
        var y = Registry.Sample.Labels(g, n, c);
        var x = w.index_select(0, y) + Registry.Sample.Normal(g, [n, d], 0.8);
        return new() { ["embeddings"] = x, ["weight"] = w, ["labels"] = y };
    }
}
