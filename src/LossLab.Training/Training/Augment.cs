using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Training;

/// <summary>Batch augmentation with tensor operations (no per-image .NET loops).</summary>
public static class Augment
{
    /// <summary>
    /// Random crop with zero padding and random horizontal flip of a batch of images (N, C, H, W), as torchvision's
    /// RandomCrop(size, padding) and RandomHorizontalFlip(): offsets and flips come from <paramref name="generator"/>.
    /// </summary>
    public static Tensor CropAndFlip(Tensor images, int padding, Generator generator)
    {
        using var scope = NewDisposeScope();
        long n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        var padded = nn.functional.pad(images, new long[] { padding, padding, padding, padding });
        var dy = torch.randint(0, 2 * padding + 1, new[] { n }, generator: generator);
        var dx = torch.randint(0, 2 * padding + 1, new[] { n }, generator: generator);
        var rows = (dy.unsqueeze(1) + torch.arange(h).unsqueeze(0)).reshape(n, 1, h, 1).expand(n, c, h, w + 2 * padding);
        var cropped = padded.gather(2, rows);
        var cols = (dx.unsqueeze(1) + torch.arange(w).unsqueeze(0)).reshape(n, 1, 1, w).expand(n, c, h, w);
        cropped = cropped.gather(3, cols);
        var flip = torch.rand(new[] { n }, generator: generator).lt(0.5).reshape(n, 1, 1, 1);
        return torch.where(flip, cropped.flip(3), cropped).MoveToOuterDisposeScope();
    }
}
