using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Data;

/// <summary>
/// Batch augmentation with tensor ops (no per-image .NET loops): random crop with zero padding and random horizontal
/// flip, the standard CIFAR augmentation. Works on any dtype (uint8 or float), on the batch's device; the random
/// draws come from a CPU <see cref="torch.Generator"/>, so a seed gives the same augmentation on every device.
/// </summary>
public static class Augment
{
    /// <summary>
    /// Crops each image of a batch (N, C, H, W) at its own offset from the batch padded by <paramref name="padding"/>
    /// zeros on every side: image i becomes <c>padded[i, :, top[i] .. top[i]+H, left[i] .. left[i]+W]</c>, with offsets in
    /// 0..2*padding (offset <c>padding</c> is the original image). One pad of the whole batch, then two gathers.
    /// </summary>
    /// <param name="images">The batch (N, C, H, W).</param>
    /// <param name="padding">The zero padding on each side, at least 0.</param>
    /// <param name="top">Row offsets (N), int64, in 0..2*padding.</param>
    /// <param name="left">Column offsets (N), int64, in 0..2*padding.</param>
    public static Tensor Crop(Tensor images, int padding, Tensor top, Tensor left)
    {
        CheckBatch(images, nameof(Crop));
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "Augment.Crop: padding must be at least 0");
        long n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        CheckOffsets(top, n, padding, nameof(top));
        CheckOffsets(left, n, padding, nameof(left));
        using var scope = NewDisposeScope();
        var dev = images.device;
        var padded = padding == 0 ? images : nn.functional.pad(images, [padding, padding, padding, padding]);
        long pw = w + 2 * padding;
        var rows = (top.to(dev).view(n, 1) + torch.arange(h, device: dev).view(1, h)).view(n, 1, h, 1).expand(n, c, h, pw);
        var tall = padded.gather(2, rows);
        var cols = (left.to(dev).view(n, 1) + torch.arange(w, device: dev).view(1, w)).view(n, 1, 1, w).expand(n, c, h, w);
        return tall.gather(3, cols).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Random crop with padding (torchvision's <c>RandomCrop(H, padding)</c> on a whole batch): offsets drawn uniformly
    /// in 0..2*padding for each image from <paramref name="generator"/> (rows first, then columns).
    /// </summary>
    public static Tensor RandomCrop(Tensor images, int padding, Generator generator)
    {
        CheckBatch(images, nameof(RandomCrop));
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "Augment.RandomCrop: padding must be at least 0");
        long n = images.shape[0];
        using var top = torch.randint(0, 2 * padding + 1, [n], dtype: ScalarType.Int64, generator: generator);
        using var left = torch.randint(0, 2 * padding + 1, [n], dtype: ScalarType.Int64, generator: generator);
        return Crop(images, padding, top, left);
    }

    /// <summary>Mirrors left-right the images of a batch (N, C, H, W) where <paramref name="mask"/> (bool, N) is true.</summary>
    public static Tensor Flip(Tensor images, Tensor mask)
    {
        CheckBatch(images, nameof(Flip));
        if (mask.dtype != ScalarType.Bool || mask.dim() != 1 || mask.shape[0] != images.shape[0])
            throw new ArgumentException($"Augment.Flip: mask must be bool of shape [{images.shape[0]}], got {mask.dtype} of shape [{string.Join(", ", mask.shape)}]", nameof(mask));
        using var scope = NewDisposeScope();
        var m = mask.to(images.device).view(-1, 1, 1, 1);
        return torch.where(m, images.flip(3), images).MoveToOuterDisposeScope();
    }

    /// <summary>Mirrors each image left-right with probability <paramref name="p"/>, drawn from <paramref name="generator"/>.</summary>
    public static Tensor RandomFlip(Tensor images, Generator generator, double p = 0.5)
    {
        CheckBatch(images, nameof(RandomFlip));
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Augment.RandomFlip: p must be in [0, 1]");
        using var mask = torch.rand(images.shape[0], generator: generator) < p;
        return Flip(images, mask);
    }

    private static void CheckBatch(Tensor images, string op)
    {
        if (images.dim() != 4)
            throw new ArgumentException($"Augment.{op}: images must be a batch (N, C, H, W), got shape [{string.Join(", ", images.shape)}]", nameof(images));
    }

    private static void CheckOffsets(Tensor offsets, long n, int padding, string name)
    {
        if (offsets.dtype != ScalarType.Int64 || offsets.dim() != 1 || offsets.shape[0] != n)
            throw new ArgumentException($"Augment.Crop: {name} must be int64 of shape [{n}], got {offsets.dtype} of shape [{string.Join(", ", offsets.shape)}]", name);
        if (n > 0 && (offsets.min().item<long>() < 0 || offsets.max().item<long>() > 2 * padding))
            throw new ArgumentOutOfRangeException(name, $"Augment.Crop: {name} offsets must be in 0..{2 * padding}");
    }
}
