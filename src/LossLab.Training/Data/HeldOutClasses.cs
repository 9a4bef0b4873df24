using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Data;

/// <summary>
/// A set split by class: the in-distribution images (labels renumbered 0..k-1 in the order of
/// <see cref="InClasses"/>) and the held-out, out-of-distribution images (original labels kept). Disposing it disposes both.
/// </summary>
/// <param name="InDistribution">The images of the kept classes, relabelled.</param>
/// <param name="OutOfDistribution">The images of the held-out classes, with their original labels.</param>
/// <param name="InClasses">The original labels of the kept classes; new label j is original label <c>InClasses[j]</c>.</param>
/// <param name="OutClasses">The original labels of the held-out classes, ascending.</param>
public sealed record ClassHoldOut(ImageSet InDistribution, ImageSet OutOfDistribution, IReadOnlyList<int> InClasses, IReadOnlyList<int> OutClasses) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        InDistribution.Dispose();
        OutOfDistribution.Dispose();
    }
}

/// <summary>
/// The held-out-class protocol for out-of-distribution detection: train on a subset of the classes (relabelled
/// 0..k-1), and use the other classes of the same dataset as the near out-of-distribution set. Apply the same
/// classes to the training and the test split; the detector is scored on test in-distribution against test held-out.
/// </summary>
public static class HeldOutClasses
{
    /// <summary>Splits a set with labels 0..classes-1 into the kept classes (relabelled) and the rest.</summary>
    /// <param name="set">The set (not owned; new tensors are returned).</param>
    /// <param name="inClasses">The classes to keep, distinct, in 0..classes-1, at least one and not all.</param>
    /// <param name="classes">The number of classes of the set.</param>
    public static ClassHoldOut Split(ImageSet set, IReadOnlyList<int> inClasses, int classes)
    {
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "HeldOutClasses.Split: classes must be at least 2");
        if (inClasses.Count == 0 || inClasses.Count >= classes)
            throw new ArgumentException($"HeldOutClasses.Split: keep between 1 and {classes - 1} of the {classes} classes, got {inClasses.Count}", nameof(inClasses));
        if (inClasses.Any(c => c < 0 || c >= classes))
            throw new ArgumentOutOfRangeException(nameof(inClasses), $"HeldOutClasses.Split: classes must be in 0..{classes - 1}, got [{string.Join(", ", inClasses)}]");
        if (inClasses.Distinct().Count() != inClasses.Count)
            throw new ArgumentException($"HeldOutClasses.Split: classes must be distinct, got [{string.Join(", ", inClasses)}]", nameof(inClasses));
        var map = Enumerable.Repeat(-1L, classes).ToArray();
        for (int j = 0; j < inClasses.Count; j++) map[inClasses[j]] = j;
        var outClasses = Enumerable.Range(0, classes).Where(c => map[c] < 0).ToArray();

        using var scope = NewDisposeScope();
        var labels = set.Labels.cpu();
        if (labels.numel() > 0 && (labels.min().item<long>() < 0 || labels.max().item<long>() >= classes))
            throw new ArgumentException($"HeldOutClasses.Split: {set.Source} has labels outside 0..{classes - 1}", nameof(set));
        var newLabels = torch.tensor(map, dtype: ScalarType.Int64).index_select(0, labels);
        var keep = newLabels >= 0;
        var inIdx = keep.nonzero().view(-1);
        var outIdx = keep.logical_not().nonzero().view(-1);
        string kept = string.Join(",", inClasses);
        var inSet = new ImageSet(
            set.Images.index_select(0, inIdx.to(set.Images.device)).MoveToOuterDisposeScope(),
            newLabels.index_select(0, inIdx).to(set.Labels.device).MoveToOuterDisposeScope(),
            $"{set.Source} (classes {kept}, relabelled 0..{inClasses.Count - 1})");
        var outSet = new ImageSet(
            set.Images.index_select(0, outIdx.to(set.Images.device)).MoveToOuterDisposeScope(),
            set.Labels.index_select(0, outIdx.to(set.Labels.device)).MoveToOuterDisposeScope(),
            $"{set.Source} (held-out classes {string.Join(",", outClasses)})");
        return new ClassHoldOut(inSet, outSet, [.. inClasses], outClasses);
    }

    /// <summary>Keeps the first <paramref name="k"/> classes (0..k-1) and holds out the rest.</summary>
    public static ClassHoldOut FirstK(ImageSet set, int k, int classes) => Split(set, [.. Enumerable.Range(0, k)], classes);
}
