using LossLab.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Training;

/// <summary>
/// The data of a training run: training, validation and test sets (uint8 images in memory) and the per-channel
/// normalisation constants.
/// </summary>
/// <param name="Name">The dataset's name.</param>
/// <param name="Train">Training images.</param>
/// <param name="Validation">Validation images (held out of the training set).</param>
/// <param name="Test">Test images.</param>
/// <param name="Mean">Per-channel mean of pixel values in [0, 1].</param>
/// <param name="Std">Per-channel standard deviation.</param>
/// <param name="NumClasses">Number of classes.</param>
public sealed record TrainingData(string Name, ImageSet Train, ImageSet Validation, ImageSet Test, double[] Mean, double[] Std, int NumClasses) : IDisposable
{
    /// <summary>Channels of the images.</summary>
    public int Channels => (int)Train.Images.shape[1];
    /// <summary>Height (= width) of the images.</summary>
    public int ImageSize => (int)Train.Images.shape[2];

    /// <summary>Images i..j of a set as normalised float32 on a device.</summary>
    public Tensor Normalize(Tensor images, Device device)
    {
        using var scope = NewDisposeScope();
        var mean = torch.tensor(Mean, dtype: ScalarType.Float32).reshape(1, -1, 1, 1);
        var std = torch.tensor(Std, dtype: ScalarType.Float32).reshape(1, -1, 1, 1);
        var x = (images.to_type(ScalarType.Float32) / 255.0f - mean) / std;
        return x.to(device).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Splits a training set into training and validation parts with a seeded permutation (the paper's 45,000 / 5,000
    /// for CIFAR): the same seed always gives the same split.
    /// </summary>
    public static (ImageSet Train, ImageSet Validation) SplitValidation(ImageSet all, int validationSize, int seed, int trainLimit = 0)
    {
        long n = all.Count;
        if (validationSize >= n) throw new ArgumentException($"validation size {validationSize} leaves no training images out of {n}");
        using var scope = NewDisposeScope();
        var perm = torch.randperm(n, generator: new Generator((ulong)(seed * 7919L + 17)));
        var valIdx = perm[..validationSize];
        var trainIdx = perm[validationSize..];
        if (trainLimit > 0 && trainLimit < trainIdx.shape[0]) trainIdx = trainIdx[..trainLimit];
        // keep the original order inside each part
        valIdx = valIdx.sort().Values;
        trainIdx = trainIdx.sort().Values;
        var train = new ImageSet(all.Images.index_select(0, trainIdx).MoveToOuterDisposeScope(), all.Labels.index_select(0, trainIdx).MoveToOuterDisposeScope(), all.Source);
        var val = new ImageSet(all.Images.index_select(0, valIdx).MoveToOuterDisposeScope(), all.Labels.index_select(0, valIdx).MoveToOuterDisposeScope(), all.Source);
        return (train, val);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Train.Dispose();
        Validation.Dispose();
        Test.Dispose();
    }
}
