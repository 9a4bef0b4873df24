using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Data;

/// <summary>Helpers over <see cref="ImageSet"/>: subsets, shape, per-channel normalisation, checks.</summary>
public static class ImageSets
{
    /// <summary>The number of channels (the C of (N, C, H, W)).</summary>
    public static int Channels(this ImageSet set) => (int)set.Images.shape[1];

    /// <summary>The image height.</summary>
    public static int Height(this ImageSet set) => (int)set.Images.shape[2];

    /// <summary>The image width.</summary>
    public static int Width(this ImageSet set) => (int)set.Images.shape[3];

    /// <summary>A new set (new tensors; the original is untouched) holding the images at <paramref name="indices"/> (int64, rank 1).</summary>
    public static ImageSet Subset(this ImageSet set, Tensor indices, string? source = null)
    {
        if (indices.dim() != 1 || indices.dtype != ScalarType.Int64)
            throw new ArgumentException($"ImageSets.Subset: indices must be a rank-1 int64 tensor, got {indices.dtype} of shape [{string.Join(", ", indices.shape)}]", nameof(indices));
        using var scope = NewDisposeScope();
        var images = set.Images.index_select(0, indices.to(set.Images.device));
        var labels = set.Labels.index_select(0, indices.to(set.Labels.device));
        return new ImageSet(images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), source ?? set.Source);
    }

    /// <summary>All images as float32, normalised per channel (see <see cref="Normalization.Apply"/>).</summary>
    public static Tensor Normalized(this ImageSet set, Normalization normalization) => normalization.Apply(set.Images);

    /// <summary>The number of images of each label 0..classes-1 (labels outside that range are not counted).</summary>
    public static long[] ClassCounts(this ImageSet set, int classes)
    {
        using var scope = NewDisposeScope();
        var y = set.Labels.cpu();
        var keep = (y >= 0) & (y < classes);
        return y.masked_select(keep).bincount(null, classes).data<long>().ToArray();
    }

    /// <summary>
    /// Checks a set's layout: uint8 images (N, C, H, W), int64 labels (N). Loaders call it on what they read; call it
    /// on sets built by hand before training on them.
    /// </summary>
    /// <exception cref="InvalidDataException">The layout is wrong; the message names the set's source.</exception>
    public static ImageSet Checked(this ImageSet set)
    {
        if (set.Images.dtype != ScalarType.Byte || set.Images.dim() != 4)
            throw new InvalidDataException($"{set.Source}: images must be uint8 (N, C, H, W), got {set.Images.dtype} of shape [{string.Join(", ", set.Images.shape)}]");
        if (set.Labels.dtype != ScalarType.Int64 || set.Labels.dim() != 1 || set.Labels.shape[0] != set.Images.shape[0])
            throw new InvalidDataException($"{set.Source}: labels must be int64 (N) with N = {set.Images.shape[0]}, got {set.Labels.dtype} of shape [{string.Join(", ", set.Labels.shape)}]");
        return set;
    }
}
