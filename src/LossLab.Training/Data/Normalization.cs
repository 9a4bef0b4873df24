using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Data;

/// <summary>
/// Per-channel normalisation of images whose pixels are in [0, 255]: <c>(x / 255 - Mean[c]) / Std[c]</c>. The
/// constants of each dataset are the mean and the (population) standard deviation of its training pixels in [0, 1],
/// over the whole official training set; <see cref="Estimate"/> recomputes them from a set.
/// </summary>
/// <param name="Mean">The mean of each channel, in [0, 1].</param>
/// <param name="Std">The standard deviation of each channel, positive.</param>
public sealed record Normalization(IReadOnlyList<double> Mean, IReadOnlyList<double> Std)
{
    /// <summary>CIFAR-10 (50,000 training images; R, G, B).</summary>
    public static Normalization Cifar10 { get; } = new([0.4914, 0.4822, 0.4465], [0.2470, 0.2435, 0.2616]);

    /// <summary>CIFAR-100 (50,000 training images; R, G, B).</summary>
    public static Normalization Cifar100 { get; } = new([0.5071, 0.4865, 0.4409], [0.2673, 0.2564, 0.2762]);

    /// <summary>SVHN cropped digits (73,257 training images, <c>extra</c> not included; R, G, B).</summary>
    public static Normalization Svhn { get; } = new([0.4377, 0.4438, 0.4728], [0.1980, 0.2010, 0.1970]);

    /// <summary>MNIST (60,000 training images).</summary>
    public static Normalization Mnist { get; } = new([0.1307], [0.3081]);

    /// <summary>Fashion-MNIST (60,000 training images); the same as <see cref="FashionMnist.Mean"/> and <see cref="FashionMnist.Std"/>.</summary>
    public static Normalization FashionMnist { get; } = new([Data.FashionMnist.Mean], [Data.FashionMnist.Std]);

    /// <summary>How many channels.</summary>
    public int Channels => Mean.Count;

    /// <summary>Normalises images (N, C, H, W) of any real or uint8 dtype with values in [0, 255]; float32 result on their device.</summary>
    /// <exception cref="ArgumentException">The images are not rank 4 or their channel count is not <see cref="Channels"/>.</exception>
    public Tensor Apply(Tensor images)
    {
        Validate();
        if (images.dim() != 4) throw new ArgumentException($"Normalization.Apply: images must be (N, C, H, W), got shape [{string.Join(", ", images.shape)}]", nameof(images));
        if (images.shape[1] != Channels) throw new ArgumentException($"Normalization.Apply: images have {images.shape[1]} channels, the normalisation {Channels}", nameof(images));
        using var scope = NewDisposeScope();
        var scale = torch.tensor(Std.Select(s => (float)(1.0 / (255.0 * s))).ToArray(), device: images.device).view(1, -1, 1, 1);
        var shift = torch.tensor(Mean.Zip(Std, (m, s) => (float)(m / s)).ToArray(), device: images.device).view(1, -1, 1, 1);
        return (images.to_type(ScalarType.Float32) * scale - shift).MoveToOuterDisposeScope();
    }

    /// <summary>The per-channel mean and population standard deviation of a set's pixels in [0, 1], accumulated in float64.</summary>
    public static Normalization Estimate(ImageSet set)
    {
        long n = set.Count;
        if (n == 0) throw new ArgumentException("Normalization.Estimate: the set is empty", nameof(set));
        using var scope = NewDisposeScope();
        int c = (int)set.Images.shape[1];
        var sum = torch.zeros(c, dtype: ScalarType.Float64);
        var sumSq = torch.zeros(c, dtype: ScalarType.Float64);
        const long chunk = 4096;
        for (long start = 0; start < n; start += chunk)
        {
            using var inner = NewDisposeScope();
            var x = set.Images.narrow(0, start, Math.Min(chunk, n - start)).to_type(ScalarType.Float64) / 255.0;
            sum.add_(x.sum([0, 2, 3]));
            sumSq.add_((x * x).sum([0, 2, 3]));
        }
        double count = n * set.Images.shape[2] * set.Images.shape[3];
        var mean = (sum / count).data<double>().ToArray();
        var sq = (sumSq / count).data<double>().ToArray();
        return new Normalization(mean, mean.Select((m, i) => Math.Sqrt(Math.Max(sq[i] - m * m, 0))).ToArray());
    }

    private void Validate()
    {
        if (Mean.Count == 0 || Mean.Count != Std.Count)
            throw new InvalidOperationException($"Normalization: {Mean.Count} means and {Std.Count} standard deviations; expected the same positive count");
        if (Std.Any(s => !(s > 0) || !double.IsFinite(s)))
            throw new InvalidOperationException($"Normalization: standard deviations must be positive and finite, got [{string.Join(", ", Std)}]");
    }
}
