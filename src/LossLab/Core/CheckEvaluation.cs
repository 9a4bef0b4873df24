using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>Checks for classifier outputs as metrics take them: (N, C) scores with (N) class labels.</summary>
public static partial class Check
{
    /// <summary>
    /// A classifier's outputs: <paramref name="scores"/> a floating (N, C) tensor with N, C &gt;= 1 and no NaN,
    /// <paramref name="labels"/> an integer (N) tensor of class indices in [0, C) on the same device.
    /// </summary>
    public static void ClassifierOutputs(Tensor scores, string scoresName, Tensor labels, string labelsName, string owner)
    {
        NotNull(scores, owner, scoresName);
        NotNull(labels, owner, labelsName);
        Floating(scores, owner, scoresName);
        Rank(scores, owner, scoresName, 2);
        Rank(labels, owner, labelsName, 1);
        SameBatch(scores, scoresName, labels, labelsName, owner);
        if (scores.shape[0] == 0 || scores.shape[1] == 0)
            throw new ArgumentException($"{owner}: '{scoresName}' must hold at least one sample and one class, got shape {Shape(scores)}", scoresName);
        SameDevice(owner, (scores, scoresName), (labels, labelsName));
        ClassIndices(labels, scores.shape[1], owner, labelsName);
        NaNFree(scores, owner, scoresName);
    }

    /// <summary>
    /// Logits of a classifier: a floating (N, C) tensor with N, C &gt;= 1 whose values are all finite (no NaN and no
    /// infinity: a softmax of them must be defined).
    /// </summary>
    public static void FiniteLogits(Tensor logits, string owner, string arg)
    {
        NotNull(logits, owner, arg);
        Floating(logits, owner, arg);
        Rank(logits, owner, arg, 2);
        if (logits.shape[0] == 0 || logits.shape[1] == 0)
            throw new ArgumentException($"{owner}: '{arg}' must hold at least one sample and one class, got shape {Shape(logits)}", arg);
        using var scope = NewDisposeScope();
        if (!logits.detach().isfinite().all().item<bool>())
            throw new ArgumentException($"{owner}: '{arg}' holds NaN or infinite values; logits must be finite", arg);
    }
}
