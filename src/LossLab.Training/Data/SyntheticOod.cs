using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Data;

/// <summary>
/// Synthetic far out-of-distribution sets (as in Hendrycks and Gimpel 2017; Hendrycks, Mazeika, Dietterich 2019):
/// uint8 images (N, C, H, W) to be normalised like the in-distribution data, labels all -1 (no class). Seeded (CPU
/// generator): a seed gives the same images everywhere.
/// </summary>
public static class SyntheticOod
{
    /// <summary>The label every synthetic image carries.</summary>
    public const long NoClass = -1;

    /// <summary>Each pixel uniform in [0, 1] (then quantised to 0..255).</summary>
    public static ImageSet UniformNoise(long n, int channels, int height, int width, long seed) =>
        Make(n, channels, height, width, seed, "uniform noise", (shape, g) => torch.rand(shape, generator: g));

    /// <summary>Each pixel Gaussian with the given mean and standard deviation in [0, 1] units, clipped to [0, 1].</summary>
    public static ImageSet GaussianNoise(long n, int channels, int height, int width, long seed, double mean = 0.5, double std = 0.25)
    {
        if (!(std >= 0) || !double.IsFinite(std) || !double.IsFinite(mean)) throw new ArgumentOutOfRangeException(nameof(std), std, "SyntheticOod.GaussianNoise: mean and std must be finite, std at least 0");
        return Make(n, channels, height, width, seed, $"Gaussian noise (mean {mean}, std {std})", (shape, g) => (torch.randn(shape, generator: g) * std + mean).clamp(0, 1));
    }

    /// <summary>Each image one constant colour, each channel's value uniform in [0, 1].</summary>
    public static ImageSet Constant(long n, int channels, int height, int width, long seed) =>
        Make(n, channels, height, width, seed, "constant images", (shape, g) => torch.rand([shape[0], shape[1], 1, 1], generator: g).expand(shape));

    private static ImageSet Make(long n, int c, int h, int w, long seed, string what, Func<long[], Generator, Tensor> draw)
    {
        if (n < 1 || c < 1 || h < 1 || w < 1)
            throw new ArgumentOutOfRangeException(nameof(n), $"SyntheticOod: count and image sizes must be at least 1, got {n} x {c} x {h} x {w}");
        using var scope = NewDisposeScope();
        using var g = new Generator(unchecked((ulong)seed), torch.CPU);
        var x = (draw([n, c, h, w], g) * 255.0f).round().clamp(0, 255).to_type(ScalarType.Byte).contiguous();
        var y = torch.full(n, NoClass, dtype: ScalarType.Int64);
        return new ImageSet(x.MoveToOuterDisposeScope(), y.MoveToOuterDisposeScope(), $"{what}, {n} images {c}x{h}x{w}, seed {seed}");
    }
}
