using BenchmarkDotNet.Attributes;
using LossLab.Benchmarks.Infrastructure;
using LossLab.Miners;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Benchmarks;

/// <summary>
/// Forward plus backward of the pairwise losses on N float32 embeddings of dimension 128, each building an N x N
/// block of similarities: triplet with batch-hard mining (Euclidean on normalised embeddings, 8 samples per label),
/// SupCon (N/2 samples with 2 views each, 16 views per label) and NT-Xent (two views of N/2 samples), all at once and,
/// for the two that can, in chunks of 256 anchors. These are compute-bound (N^2 D), so no bandwidth floor is given.
/// </summary>
[LossLabJob(2, 8, iterationTimeMs: 250)]
public class PairwiseLossBenchmarks
{
    /// <summary>Dimension of the embeddings.</summary>
    public const int D = 128;

    /// <summary>The loss (triplet: with batch-hard mining), and after a slash the anchors per chunk where chunks are used.</summary>
    [Params("triplet", "triplet/256", "supcon", "supcon/256", "ntxent")]
    public string Loss { get; set; } = "ntxent";

    /// <summary>Embeddings (rows of the similarity block).</summary>
    [Params(256, 1024)]
    public int N { get; set; } = 1024;

    private Tensor embeddings = null!;
    private Tensor labels = null!;
    private Func<Tensor, Tensor> loss = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.manual_seed(0);
        var parts = Loss.Split('/');
        long chunk = parts.Length == 2 ? long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : 0;
        switch (parts[0])
        {
            case "triplet":
                embeddings = torch.randn(N, D);
                labels = torch.arange(N) % (N / 8);
                loss = x => Losses.triplet_loss(x, labels, new BatchHard(), margin: 0.2, chunk_size: chunk);
                break;
            case "supcon":
                embeddings = torch.randn(N / 2, 2, D);
                labels = torch.arange(N / 2) % (N / 16);
                loss = x => Losses.supcon_loss(x, labels, temperature: 0.1, chunk_size: chunk);
                break;
            case "ntxent":
                embeddings = torch.randn(N, D);
                labels = torch.arange(N) % (N / 2);
                loss = x => Losses.ntxent_loss(x, labels, temperature: 0.1);
                break;
            default:
                throw new ArgumentException($"unknown benchmark loss '{Loss}'");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        embeddings.Dispose();
        labels.Dispose();
    }

    /// <summary>Forward plus backward.</summary>
    [Benchmark]
    public float ForwardBackward() => Infrastructure.LossStep.Run(embeddings, fused: true, loss);
}
