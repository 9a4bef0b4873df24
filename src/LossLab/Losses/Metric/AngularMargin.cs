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
        Check.Param(scale > 0 && double.IsFinite(scale), name, nameof(scale), "a finite number > 0", scale);
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
