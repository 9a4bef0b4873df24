using BenchmarkDotNet.Attributes;
using LossLab.Benchmarks.Infrastructure;
using LossLab.Kernels;
using LossLab.Registry;
using LossLab.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Benchmarks;

/// <summary>
/// One SGD step of the small CNN (<c>small_cnn</c> from <see cref="ModelCatalog"/>, about 420k parameters) on a
/// Fashion-MNIST-shaped batch of 128 random 1 x 28 x 28 images with 10 classes, as the trainer does it: zero_grad,
/// forward, the loss (the trainer's <see cref="ITrainingLoss"/> from the loss spec), backward, SGD with momentum 0.9, and
/// the loss value read back. <c>LossOnly</c> times the loss's forward plus backward alone on logits the model made for
/// the same batch, so its Ratio against <c>Step</c> (the baseline) is the share of the step spent in the loss.
/// </summary>
[LossLabJob(2, 8, iterationTimeMs: 250)]
public class TrainingStepBenchmarks : IImageBatch
{
    /// <summary>Images per batch.</summary>
    public const int Batch = 128;

    /// <summary>The loss spec, as given to <c>losslab train --loss</c>.</summary>
    [Params("cross_entropy", "iq:divergence=chi")]
    public string Loss { get; set; } = "cross_entropy";

    private nn.Module<Tensor, Tensor> model = null!;
    private optim.Optimizer optimizer = null!;
    private ITrainingLoss loss = null!;
    private Tensor images = null!;
    private Tensor labels = null!;
    private Tensor logits = null!;

    /// <inheritdoc/>
    public int? ImagesPerCall(string method) => method == nameof(Step) ? Batch : null;

    [GlobalSetup]
    public void Setup()
    {
        FusedKernels.Enabled = true;
        torch.manual_seed(0);
        model = ModelCatalog.Create("small_cnn", 1, 28, 10);
        model.train();
        optimizer = torch.optim.SGD(model.parameters(), 0.01, momentum: 0.9);
        loss = LossCatalog.CreateTrainingLoss(Loss);
        images = torch.randn(Batch, 1, 28, 28);
        labels = torch.randint(0, 10, new long[] { Batch });
        using (torch.no_grad()) logits = model.forward(images).detach();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        images.Dispose();
        labels.Dispose();
        logits.Dispose();
        optimizer.Dispose();
        model.Dispose();
    }

    /// <summary>The whole training step.</summary>
    [Benchmark(Baseline = true)]
    public float Step()
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var (value, _) = loss.ForwardWithTerms(model.forward(images), labels);
        value.backward();
        optimizer.step();
        return value.item<float>();
    }

    /// <summary>The loss's forward and backward alone, on the model's logits for the batch.</summary>
    [Benchmark]
    public float LossOnly()
    {
        using var scope = NewDisposeScope();
        var x = logits.detach().requires_grad_(true);
        var (value, _) = loss.ForwardWithTerms(x, labels);
        value.backward();
        return value.item<float>();
    }
}
