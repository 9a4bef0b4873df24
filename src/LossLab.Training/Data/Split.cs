using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Training.Data;

/// <summary>A training, a validation and a test set; disposing it disposes all three.</summary>
/// <param name="Train">What the model is fitted on.</param>
/// <param name="Validation">Held out of the training set, for model selection and calibration.</param>
/// <param name="Test">The official test set.</param>
public sealed record DataSplits(ImageSet Train, ImageSet Validation, ImageSet Test) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        Train.Dispose();
        Validation.Dispose();
        Test.Dispose();
    }
}

/// <summary>
/// Deterministic, seeded train/validation splits. The permutation comes from <c>torch.randperm</c> with a CPU
/// <see cref="torch.Generator"/> seeded with the seed, so a seed gives the same split on every run and device.
/// </summary>
public static class Split
{
    /// <summary>
    /// The indices of the validation images: <paramref name="validationCount"/> distinct indices in 0..count-1, chosen
    /// by a seeded random permutation, in ascending order.
    /// </summary>
    public static long[] ValidationIndices(long count, long validationCount, long seed)
    {
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "Split: a set to split needs at least 2 images");
        if (validationCount < 1 || validationCount >= count)
            throw new ArgumentOutOfRangeException(nameof(validationCount), validationCount, $"Split: the validation count must be in 1..{count - 1} for a set of {count}");
        using var scope = NewDisposeScope();
        using var g = new Generator(unchecked((ulong)seed), torch.CPU);
        var perm = torch.randperm(count, generator: g);
        return perm.narrow(0, 0, validationCount).sort().Values.data<long>().ToArray();
    }

    /// <summary>
    /// Splits a training set into a training and a validation part (new tensors; the input is untouched and still
    /// owned by the caller). Both parts keep the original order of their images.
    /// </summary>
    public static (ImageSet Train, ImageSet Validation) TrainValidation(ImageSet set, long validationCount, long seed)
    {
        long n = set.Count;
        var val = ValidationIndices(n, validationCount, seed);
        var isVal = new bool[n];
        foreach (var i in val) isVal[i] = true;
        var train = Enumerable.Range(0, checked((int)n)).Where(i => !isVal[i]).Select(i => (long)i).ToArray();
        using var trainIdx = torch.tensor(train, dtype: ScalarType.Int64);
        using var valIdx = torch.tensor(val, dtype: ScalarType.Int64);
        var trainSet = set.Subset(trainIdx, $"{set.Source} (train part, seed {seed})");
        try
        {
            return (trainSet, set.Subset(valIdx, $"{set.Source} (validation part, seed {seed})"));
        }
        catch
        {
            trainSet.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Train/validation/test: a seeded validation part of <paramref name="train"/> (which this disposes, the parts
    /// replacing it) and the test set as given. CIFAR's usual split is 45,000 / 5,000 / 10,000:
    /// <c>Split.Of(Cifar10.Load(f, "train"), Cifar10.Load(f, "test"), 5000, seed)</c>.
    /// </summary>
    public static DataSplits Of(ImageSet train, ImageSet test, long validationCount, long seed)
    {
        try
        {
            var (t, v) = TrainValidation(train, validationCount, seed);
            return new DataSplits(t, v, test);
        }
        catch
        {
            test.Dispose();
            throw;
        }
        finally
        {
            train.Dispose();
        }
    }
}
