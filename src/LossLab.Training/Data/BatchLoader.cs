using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Data;

/// <summary>One batch: normalised float32 images (B, C, H, W) and int64 labels (B), on the loader's device.</summary>
/// <param name="Images">The images.</param>
/// <param name="Labels">The labels.</param>
public sealed record Batch(Tensor Images, Tensor Labels) : IDisposable
{
    /// <summary>How many images.</summary>
    public long Count => Labels.shape[0];

    /// <inheritdoc/>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>How a <see cref="BatchLoader"/> draws and augments its batches.</summary>
public sealed record BatchOptions
{
    /// <summary>Reshuffle the order every epoch (a seeded <c>torch.randperm</c>); false: the set's order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Drop the last batch when it is smaller than the batch size.</summary>
    public bool DropLast { get; init; }

    /// <summary>Random crop with this much zero padding (0: none; CIFAR: 4). See <see cref="Augment.RandomCrop"/>.</summary>
    public int CropPadding { get; init; }

    /// <summary>Random horizontal flip with probability 1/2. See <see cref="Augment.RandomFlip"/>.</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>The seed of the shuffling and of the augmentation (two generators, so turning augmentation on or off does not change the order).</summary>
    public long Seed { get; init; }

    /// <summary>Where batches go (null: the CPU). The set stays where it is; each batch is moved as uint8, then converted.</summary>
    public Device? Device { get; init; }

    /// <summary>Training defaults: shuffled, with the given crop padding and flip.</summary>
    public static BatchOptions Training(long seed, int cropPadding = 0, bool horizontalFlip = false, Device? device = null) =>
        new() { Shuffle = true, CropPadding = cropPadding, HorizontalFlip = horizontalFlip, Seed = seed, Device = device };

    /// <summary>Evaluation: in order, every image, no augmentation.</summary>
    public static BatchOptions Evaluation(Device? device = null) => new() { Shuffle = false, Device = device };
}

/// <summary>
/// Batches of an <see cref="ImageSet"/> for training and evaluation: each <see cref="Epoch"/> draws a new seeded
/// permutation, gathers each batch's uint8 images, moves them to the device, augments the whole batch with tensor ops
/// (crop, flip), and normalises them per channel. Each batch is built inside its own dispose scope and owned by the
/// loader: it is disposed when the next batch is drawn or the enumeration ends, so native memory stays flat over an
/// epoch. <c>clone()</c> what must outlive that.
/// </summary>
/// <example>
/// <code>
/// using var loader = new BatchLoader(splits.Train, 128, Normalization.Cifar10, BatchOptions.Training(seed: 1, cropPadding: 4, horizontalFlip: true));
/// for (int epoch = 0; epoch &lt; 200; epoch++)
///     foreach (var batch in loader.Epoch())
///     {
///         using var scope = torch.NewDisposeScope();
///         var loss = criterion.forward(model.forward(batch.Images), batch.Labels);
///         ...
///     }
/// </code>
/// </example>
public sealed class BatchLoader : IDisposable
{
    private readonly ImageSet set;
    private readonly Normalization normalization;
    private readonly Generator order;
    private readonly Generator augment;

    /// <summary>A loader over <paramref name="set"/> (not owned: the caller disposes it after the loader).</summary>
    /// <exception cref="ArgumentException">The set is not uint8 (N, C, H, W), or the normalisation's channel count differs.</exception>
    public BatchLoader(ImageSet set, int batchSize, Normalization normalization, BatchOptions? options = null)
    {
        set.Checked();
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "BatchLoader: the batch size must be at least 1");
        if (normalization.Channels != set.Channels())
            throw new ArgumentException($"BatchLoader: the set has {set.Channels()} channels, the normalisation {normalization.Channels}", nameof(normalization));
        Options = options ?? new BatchOptions();
        if (Options.CropPadding < 0) throw new ArgumentOutOfRangeException(nameof(options), Options.CropPadding, "BatchLoader: CropPadding must be at least 0");
        this.set = set;
        this.normalization = normalization;
        BatchSize = batchSize;
        order = new Generator(unchecked((ulong)Options.Seed), torch.CPU);
        augment = new Generator(unchecked((ulong)Options.Seed) ^ 0x9E3779B97F4A7C15UL, torch.CPU);
    }

    /// <summary>The options.</summary>
    public BatchOptions Options { get; }

    /// <summary>The batch size.</summary>
    public int BatchSize { get; }

    /// <summary>How many images an epoch visits.</summary>
    public long Count => Options.DropLast ? set.Count / BatchSize * BatchSize : set.Count;

    /// <summary>How many batches an epoch yields.</summary>
    public long BatchesPerEpoch => Options.DropLast ? set.Count / BatchSize : (set.Count + BatchSize - 1) / BatchSize;

    /// <summary>How many epochs have been started.</summary>
    public int Epochs { get; private set; }

    /// <summary>
    /// One pass over the set. Each call draws a new permutation (when shuffling), so successive epochs differ and the
    /// sequence of epochs is fixed by the seed. A batch is valid until the next one is drawn.
    /// </summary>
    public IEnumerable<Batch> Epoch()
    {
        Epochs++;
        return Batches();
    }

    private IEnumerable<Batch> Batches()
    {
        long n = set.Count, count = Count;
        Tensor perm;
        using (NewDisposeScope())
            perm = (Options.Shuffle ? torch.randperm(n, generator: order) : torch.arange(n, dtype: ScalarType.Int64)).DetachFromDisposeScope();
        try
        {
            for (long start = 0; start < count; start += BatchSize)
            {
                var batch = Make(perm, start, Math.Min(BatchSize, count - start));
                try
                {
                    yield return batch;
                }
                finally
                {
                    batch.Dispose();
                }
            }
        }
        finally
        {
            perm.Dispose();
        }
    }

    private Batch Make(Tensor perm, long start, long length)
    {
        using var scope = NewDisposeScope();
        var indices = perm.narrow(0, start, length);
        var device = Options.Device ?? torch.CPU;
        var x = set.Images.index_select(0, indices.to(set.Images.device)).to(device);
        var y = set.Labels.index_select(0, indices.to(set.Labels.device)).to(device);
        if (Options.CropPadding > 0) x = Augment.RandomCrop(x, Options.CropPadding, augment);
        if (Options.HorizontalFlip) x = Augment.RandomFlip(x, augment);
        var images = normalization.Apply(x);
        return new Batch(images.DetachFromDisposeScope(), y.DetachFromDisposeScope());
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        order.Dispose();
        augment.Dispose();
    }
}
