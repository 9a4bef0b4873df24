using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Data;

/// <summary>The distribution shifts <see cref="Corruptions"/> applies.</summary>
public enum Corruption
{
    /// <summary>Additive Gaussian noise of standard deviation 0.04, 0.06, 0.08, 0.09, 0.10 (pixels in [0, 1]), clipped.</summary>
    GaussianNoise,

    /// <summary>Gaussian blur of standard deviation 0.4, 0.6, 0.7, 0.8, 1.0 pixels (separable, edges replicated).</summary>
    GaussianBlur,

    /// <summary>Contrast scaled about each image's per-channel mean by 0.75, 0.5, 0.4, 0.3, 0.15.</summary>
    Contrast,

    /// <summary>Rotation by 10, 20, 30, 45, 60 degrees, the sign random per image; zeros outside the rotated image.</summary>
    Rotation,
}

/// <summary>
/// Corrupted copies of a test set at severities 1 to 5, in the spirit of CIFAR-10-C (Hendrycks and Dietterich 2019,
/// whose CIFAR parameters are used for noise, blur and contrast), computed on batches with tensor ops and seeded:
/// the same images, corruption, severity and seed give the same result. Images are uint8 (N, C, H, W) in [0, 255];
/// the building blocks (<see cref="GaussianNoise"/>, <see cref="GaussianBlur"/>, <see cref="Contrast"/>,
/// <see cref="Rotate"/>) take float images in [0, 1].
/// </summary>
public static class Corruptions
{
    /// <summary>Images per chunk in <see cref="Apply(Tensor, Corruption, int, long)"/>.</summary>
    public const int Chunk = 500;

    /// <summary>Every corruption.</summary>
    public static IReadOnlyList<Corruption> All { get; } = Enum.GetValues<Corruption>();

    private static readonly double[] Noise = [0.04, 0.06, 0.08, 0.09, 0.10];
    private static readonly double[] Blur = [0.4, 0.6, 0.7, 0.8, 1.0];
    private static readonly double[] ContrastFactors = [0.75, 0.5, 0.4, 0.3, 0.15];
    private static readonly double[] Degrees = [10, 20, 30, 45, 60];

    /// <summary>The corruption's parameter at a severity 1..5 (noise sigma, blur sigma in pixels, contrast factor, degrees).</summary>
    public static double Parameter(Corruption corruption, int severity)
    {
        if (severity is < 1 or > 5) throw new ArgumentOutOfRangeException(nameof(severity), severity, "Corruptions: severity must be in 1..5");
        return corruption switch
        {
            Corruption.GaussianNoise => Noise[severity - 1],
            Corruption.GaussianBlur => Blur[severity - 1],
            Corruption.Contrast => ContrastFactors[severity - 1],
            Corruption.Rotation => Degrees[severity - 1],
            _ => throw new ArgumentOutOfRangeException(nameof(corruption), corruption, "Corruptions: unknown corruption"),
        };
    }

    /// <summary>A corrupted copy of a set (new tensors; labels copied; the input is untouched).</summary>
    public static ImageSet Apply(ImageSet set, Corruption corruption, int severity, long seed)
    {
        var images = Apply(set.Images, corruption, severity, seed);
        return new ImageSet(images, set.Labels.clone(), $"{set.Source} ({corruption} severity {severity}, seed {seed})");
    }

    /// <summary>
    /// Corrupts uint8 images (N, C, H, W) in chunks of <see cref="Chunk"/>; uint8 result in [0, 255] (rounded), on the
    /// images' device. Random draws come from a CPU generator seeded with <paramref name="seed"/>.
    /// </summary>
    public static Tensor Apply(Tensor images, Corruption corruption, int severity, long seed)
    {
        if (images.dtype != ScalarType.Byte || images.dim() != 4)
            throw new ArgumentException($"Corruptions.Apply: images must be uint8 (N, C, H, W), got {images.dtype} of shape [{string.Join(", ", images.shape)}]", nameof(images));
        double p = Parameter(corruption, severity);
        using var g = new Generator(unchecked((ulong)seed), torch.CPU);
        long n = images.shape[0];
        var parts = new List<Tensor>();
        try
        {
            for (long start = 0; start < n; start += Chunk)
            {
                using var scope = NewDisposeScope();
                var x = images.narrow(0, start, Math.Min(Chunk, n - start)).to_type(ScalarType.Float32) / 255.0f;
                var y = corruption switch
                {
                    Corruption.GaussianNoise => GaussianNoise(x, p, g),
                    Corruption.GaussianBlur => GaussianBlur(x, p),
                    Corruption.Contrast => Contrast(x, p),
                    _ => Rotate(x, RandomSigns(x.shape[0], g) * p),
                };
                parts.Add((y * 255.0f).round().clamp(0, 255).to_type(ScalarType.Byte).MoveToOuterDisposeScope());
            }
            return parts.Count == 1 ? parts[0] : torch.cat(parts, 0);
        }
        finally
        {
            if (parts.Count > 1) foreach (var t in parts) t.Dispose();
        }
    }

    /// <summary><c>clip(x + sigma * z, 0, 1)</c> with z standard normal from <paramref name="generator"/> (drawn on the CPU).</summary>
    public static Tensor GaussianNoise(Tensor x, double sigma, Generator generator)
    {
        CheckFloatBatch(x, nameof(GaussianNoise));
        if (!(sigma >= 0) || !double.IsFinite(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "Corruptions.GaussianNoise: sigma must be finite and at least 0");
        using var scope = NewDisposeScope();
        var z = torch.randn(x.shape, dtype: x.dtype, generator: generator).to(x.device);
        return (x + z * sigma).clamp(0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Gaussian blur of standard deviation <paramref name="sigma"/> pixels: a normalised kernel of radius
    /// <c>round(4 sigma)</c>, applied along rows then columns (separable convolution), edges replicated.
    /// </summary>
    public static Tensor GaussianBlur(Tensor x, double sigma)
    {
        CheckFloatBatch(x, nameof(GaussianBlur));
        if (!(sigma > 0) || !double.IsFinite(sigma)) throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "Corruptions.GaussianBlur: sigma must be finite and positive");
        using var scope = NewDisposeScope();
        int r = Math.Max(1, (int)(4 * sigma + 0.5));
        var k = Enumerable.Range(-r, 2 * r + 1).Select(i => Math.Exp(-i * i / (2 * sigma * sigma))).ToArray();
        double total = k.Sum();
        var kernel = torch.tensor(k.Select(v => v / total).ToArray(), dtype: x.dtype, device: x.device);
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        var flat = x.reshape(n * c, 1, h, w);
        var across = nn.functional.conv2d(nn.functional.pad(flat, [r, r, 0, 0], PaddingModes.Replicate), kernel.view(1, 1, 1, -1));
        var down = nn.functional.conv2d(nn.functional.pad(across, [0, 0, r, r], PaddingModes.Replicate), kernel.view(1, 1, -1, 1));
        return down.reshape(n, c, h, w).clamp(0, 1).MoveToOuterDisposeScope();
    }

    /// <summary><c>clip((x - m) * factor + m, 0, 1)</c> with m each image's per-channel mean.</summary>
    public static Tensor Contrast(Tensor x, double factor)
    {
        CheckFloatBatch(x, nameof(Contrast));
        if (!(factor >= 0) || !double.IsFinite(factor)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "Corruptions.Contrast: factor must be finite and at least 0");
        using var scope = NewDisposeScope();
        var m = x.mean([2, 3], keepdim: true);
        return ((x - m) * factor + m).clamp(0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Rotates each image about its centre by its angle in degrees (N values; positive is counterclockwise as
    /// displayed, rows going down): <c>affine_grid</c> + bilinear <c>grid_sample</c>, zeros outside, align_corners
    /// false. Meant for square images (the normalised grid is square).
    /// </summary>
    public static Tensor Rotate(Tensor x, Tensor degrees)
    {
        CheckFloatBatch(x, nameof(Rotate));
        if (degrees.dim() != 1 || degrees.shape[0] != x.shape[0])
            throw new ArgumentException($"Corruptions.Rotate: degrees must have shape [{x.shape[0]}], got [{string.Join(", ", degrees.shape)}]", nameof(degrees));
        using var scope = NewDisposeScope();
        var a = degrees.to(x.device).to_type(x.dtype) * (Math.PI / 180.0);
        var cos = a.cos();
        var sin = a.sin();
        var zero = torch.zeros_like(a);
        var theta = torch.stack([cos, -sin, zero, sin, cos, zero], 1).view(-1, 2, 3);
        var grid = nn.functional.affine_grid(theta, x.shape, align_corners: false);
        return nn.functional.grid_sample(x, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false).clamp(0, 1).MoveToOuterDisposeScope();
    }

    private static Tensor RandomSigns(long n, Generator g) => torch.randint(0, 2, [n], dtype: ScalarType.Float32, generator: g) * 2 - 1;

    private static void CheckFloatBatch(Tensor x, string op)
    {
        if (!x.is_floating_point() || x.dim() != 4)
            throw new ArgumentException($"Corruptions.{op}: x must be a float batch (N, C, H, W) in [0, 1], got {x.dtype} of shape [{string.Join(", ", x.shape)}]", nameof(x));
    }
}
