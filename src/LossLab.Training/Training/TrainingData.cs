using LossLab.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Training;

/// <summary>
/// The data of a training run: training, validation and test sets (uint8 images in memory), the per-channel
/// normalisation and the dataset's standard augmentation.
/// </summary>
/// <param name="Name">The dataset's name.</param>
/// <param name="Train">Training images.</param>
/// <param name="Validation">Validation images (held out of the training set).</param>
/// <param name="Test">Test images.</param>
/// <param name="Normalization">Per-channel mean and standard deviation.</param>
/// <param name="NumClasses">Number of classes.</param>
/// <param name="CropPadding">The standard augmentation's crop padding (0: none).</param>
/// <param name="HorizontalFlip">Whether the standard augmentation flips.</param>
public sealed record TrainingData(string Name, ImageSet Train, ImageSet Validation, ImageSet Test, Normalization Normalization, int NumClasses,
    int CropPadding = 0, bool HorizontalFlip = false) : IDisposable
{
    /// <summary>Channels of the images.</summary>
    public int Channels => (int)Train.Images.shape[1];
    /// <summary>Height (= width) of the images.</summary>
    public int ImageSize => (int)Train.Images.shape[2];

    /// <summary>uint8 images as normalised float32 on a device.</summary>
    public Tensor Normalize(Tensor images, Device device)
    {
        using var scope = NewDisposeScope();
        return Normalization.Apply(images.to(device)).MoveToOuterDisposeScope();
    }

    /// <summary>Loader options for one training epoch: its own seed, and the standard augmentation when asked for.</summary>
    public BatchOptions EpochOptions(ulong seed, bool augment, Device device) =>
        BatchOptions.Training((long)seed, augment ? Math.Max(CropPadding, 0) : 0, augment && HorizontalFlip, device);

    /// <inheritdoc/>
    public void Dispose()
    {
        Train.Dispose();
        Validation.Dispose();
        Test.Dispose();
    }
}
