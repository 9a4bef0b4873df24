using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// AURORA's objective (Cully 2019, "Autonomous Skill Discovery with Quality-Diversity and Unsupervised Descriptors";
    /// Grillotti and Cully 2022, "Unsupervised Behavior Discovery With Quality-Diversity Optimization"): the
    /// autoencoder's reconstruction error on the individuals' sensory data, whose latent code is the learned behaviour
    /// descriptor, minus a weighted novelty of those descriptors:
    /// <c>l_i = mean_f (x^_if - x_if)^2 - novelty_weight * nov(d_i)</c>, with
    /// <c>nov(d_i) = 1/k sum_{j in kNN(d_i)} ||d_i - d_j||_p</c> the mean distance to the k nearest other descriptors of
    /// the batch (or, given an archive, to the k nearest archived descriptors; <see cref="novelty"/>).
    /// </summary>
    /// <remarks>
    /// <para><b>What is trained.</b> The reconstruction term trains the encoder and the decoder: it is exactly the
    /// autoencoder update of AURORA, which is what <paramref name="novelty_weight"/> = 0 computes. The novelty term is
    /// LossLab's quality-diversity term over the learned descriptor, not part of the papers' encoder training (there,
    /// novelty only decides which individuals enter the unstructured archive and which are selected): its gradient
    /// reaches the descriptors, so it trains the encoder to keep different individuals' descriptors apart (against a
    /// collapsing descriptor space), and, where the observations are differentiable in the solutions' parameters (a
    /// differentiable simulator, DQD), it pushes the solutions towards novel behaviours. In the batch form the gradient
    /// reaches both ends of every neighbour distance; archived descriptors are data.</para>
    /// <para><b>Scale.</b> The encoder could inflate its latent space without bound (the decoder undoing the scale), making
    /// the novelty term, and the loss, unbounded below. With <paramref name="normalize"/> (the default) the descriptors and
    /// the archive are divided by the batch's RMS descriptor norm <c>sqrt(mean_i ||d_i||^2)</c> (at least 1e-12) before the
    /// distances, so the term is invariant to a common rescaling of the latent space (the archive should then be encoded by
    /// the same encoder, as AURORA re-encodes its archive after each training of the autoencoder).</para>
    /// <para>Neighbours are chosen by distance (piecewise constant); coincident descriptors give a zero, not NaN, gradient.
    /// The batch form needs at least k + 1 descriptors, and the archive form at least k archived ones.</para>
    /// <code>
    /// var latent = encoder.forward(observations);                          // (N, L): the learned descriptors
    /// var loss = Losses.aurora_loss(decoder.forward(latent), observations, latent, novelty_weight: 0.1, k: 3);
    /// </code>
    /// </remarks>
    /// <param name="reconstruction">The decoder's output x^, the shape of <paramref name="observations"/>.</param>
    /// <param name="observations">The sensory data x, (N, ...).</param>
    /// <param name="descriptors">The encoder's latent codes d (the learned descriptors), (N, L).</param>
    /// <param name="archive">Optional archived descriptors (M, L), M &gt;= k; null: the novelty is taken within the batch.</param>
    /// <param name="novelty_weight">The weight of the novelty term, finite and &gt;= 0 (0: AURORA's reconstruction loss alone).</param>
    /// <param name="k">The number of nearest neighbours, &gt;= 1.</param>
    /// <param name="p">The Minkowski order of the distance, &gt;= 1.</param>
    /// <param name="normalize">Measure novelty on descriptors divided by the batch's RMS descriptor norm (scale-invariant).</param>
    /// <param name="reduction">none: per-individual losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor aurora_loss(Tensor reconstruction, Tensor observations, Tensor descriptors, Tensor? archive = null, double novelty_weight = 0.1,
        long k = 3, double p = 2.0, bool normalize = true, Reduction reduction = Reduction.Mean) =>
        AuroraCompute(reconstruction, observations, descriptors, archive, novelty_weight, k, p, normalize, reduction, wantTerms: false).Loss;

    /// <summary>
    /// AURORA's loss with its terms, the batch means of the reconstruction error (<c>reconstruction</c>) and of the novelty
    /// (<c>novelty</c>), for training logs; the arguments are those of <see cref="aurora_loss"/>.
    /// </summary>
    public static (Tensor Loss, IReadOnlyDictionary<string, double> Terms) aurora_loss_terms(Tensor reconstruction, Tensor observations, Tensor descriptors, Tensor? archive = null,
        double novelty_weight = 0.1, long k = 3, double p = 2.0, bool normalize = true, Reduction reduction = Reduction.Mean)
    {
        var (loss, terms) = AuroraCompute(reconstruction, observations, descriptors, archive, novelty_weight, k, p, normalize, reduction, wantTerms: true);
        return (loss, terms!);
    }

    private static (Tensor Loss, IReadOnlyDictionary<string, double>? Terms) AuroraCompute(Tensor reconstruction, Tensor observations, Tensor descriptors, Tensor? archive,
        double novelty_weight, long k, double p, bool normalize, Reduction reduction, bool wantTerms)
    {
        const string name = "aurora_loss";
        IntrinsicReward.CheckFeatures(reconstruction, observations, name, nameof(observations), nameof(reconstruction));
        Check.HasSamples(reconstruction, name, nameof(reconstruction));
        Check.Param(k >= 1, name, nameof(k), ">= 1", k);
        Check.BehaviourPoints(descriptors, name, nameof(descriptors), archive is null ? k + 1 : 1);
        Check.SameBatch(reconstruction, nameof(reconstruction), descriptors, nameof(descriptors), name);
        if (archive is not null)
        {
            Check.BehaviourPoints(archive, name, nameof(archive), k);
            if (archive.shape[1] != descriptors.shape[1])
                throw new ArgumentException($"{name}: 'archive' must have the descriptor size L = {descriptors.shape[1]} of 'descriptors', got {Check.Shape(archive)}", nameof(archive));
        }
        Check.NonNegativeFinite(novelty_weight, name, nameof(novelty_weight));
        PopulationOps.CheckDistanceOptions(p, 0, name);
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (reconstruction, nameof(reconstruction)), (observations, nameof(observations)), (descriptors, nameof(descriptors)), (archive, nameof(archive)));

        using var scope = NewDisposeScope();
        var reconstructionError = IntrinsicReward.SquaredErrorPerSample(reconstruction, observations, mean: true);
        var d = descriptors.to_type(reconstruction.dtype);
        var a = archive?.to_type(d.dtype);
        if (normalize)
        {
            var rms = d.square().sum(1).mean().clamp_min(1e-24).sqrt();   // clamped before the root: no infinite slope at 0
            d = d / rms;
            a = a is null ? null : a / rms;
        }
        // Within the batch each descriptor is its own nearest neighbour at distance 0: the k + 1 nearest include it, so
        // their mean times (k + 1) / k is the mean over the k nearest others.
        var nov = a is null
            ? novelty(d, d, k + 1, p, 0, Reduction.None) * ((k + 1) / (double)k)
            : novelty(d, a, k, p, 0, Reduction.None);
        var loss = Reduce.Apply(reconstructionError - novelty_weight * nov, reduction, name);
        IReadOnlyDictionary<string, double>? terms = null;
        if (wantTerms)
        {
            using var noGrad = torch.no_grad();
            terms = new Dictionary<string, double>
            {
                ["reconstruction"] = reconstructionError.mean().to_type(ScalarType.Float64).item<double>(),
                ["novelty"] = nov.mean().to_type(ScalarType.Float64).item<double>(),
            };
        }
        return (loss.MoveToOuterDisposeScope(), terms);
    }
}

/// <summary>AURORA's objective as a module; see <see cref="Losses.aurora_loss"/>. <c>forward(reconstruction, observations, descriptors)</c>
/// (novelty within the batch), or with an archive.</summary>
public sealed class AuroraLoss : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly double noveltyWeight, p;
    private readonly long k;
    private readonly bool normalize;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.aurora_loss"/>.</summary>
    public AuroraLoss(double novelty_weight = 0.1, long k = 3, double p = 2.0, bool normalize = true, Reduction reduction = Reduction.Mean) : base(nameof(AuroraLoss))
    {
        Check.NonNegativeFinite(novelty_weight, nameof(AuroraLoss), nameof(novelty_weight));
        Check.Param(k >= 1, nameof(AuroraLoss), nameof(k), ">= 1", k);
        PopulationOps.CheckDistanceOptions(p, 0, nameof(AuroraLoss));
        Reduce.NoBatchMean(reduction, nameof(AuroraLoss));
        noveltyWeight = novelty_weight;
        this.k = k;
        this.p = p;
        this.normalize = normalize;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor reconstruction, Tensor observations, Tensor descriptors) =>
        Losses.aurora_loss(reconstruction, observations, descriptors, null, noveltyWeight, k, p, normalize, reduction);

    /// <summary>The loss with the novelty taken against an archive of descriptors.</summary>
    /// <param name="reconstruction">The decoder's output.</param>
    /// <param name="observations">The sensory data.</param>
    /// <param name="descriptors">The latent codes (N, L).</param>
    /// <param name="archive">Archived descriptors (M, L).</param>
    public Tensor forward(Tensor reconstruction, Tensor observations, Tensor descriptors, Tensor archive) =>
        Losses.aurora_loss(reconstruction, observations, descriptors, archive, noveltyWeight, k, p, normalize, reduction);
}

internal sealed class AuroraDefinition : LossDefinition
{
    public override string Name => "aurora";
    public override string Family => "population";
    public override string Summary => "AURORA: autoencoder reconstruction error minus novelty_weight times the k-NN novelty of the learned descriptors (batch or archive), scale-normalised by option.";
    public override string Math => "l_i = mean_f (x^_if - x_if)^2 - w * 1/k sum_{j in kNN(d_i)} ||d_i - d_j||_p / s,  s = sqrt(mean_i ||d_i||^2) (normalize) or 1";
    public override string Reference => "Cully 2019, Autonomous Skill Discovery with Quality-Diversity and Unsupervised Descriptors; Grillotti & Cully 2022, Unsupervised Behavior Discovery With Quality-Diversity Optimization (AURORA)";
    public override string Function => "Losses.aurora_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("novelty_weight", 0.1, "weight of the novelty term (0: the autoencoder loss alone)", min: 0),
        ParamSpec.Int("k", 3, "nearest neighbours of the novelty", min: 1),
        ParamSpec.Float("p", 2.0, "Minkowski order of the distance", min: 1),
        ParamSpec.Bool("normalize", true, "measure novelty on descriptors divided by the batch's RMS norm (scale-invariant)"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("reconstruction", "(N, F) the decoder's output"),
        InputSpec.Data("observations", "(N, F) the sensory data"),
        InputSpec.Grad("descriptors", "(N, L) the encoder's latent codes"),
        InputSpec.Optional("archive", "(M, L) archived descriptors; default: novelty within the batch"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.aurora_loss(x.Required("reconstruction"), x.Required("observations"), x.Required("descriptors"), x.Optional("archive"),
            p.Float("novelty_weight"), p.Int("k"), p.Float("p"), p.Bool("normalize"), p.Reduction);

    public override (Tensor Loss, IReadOnlyDictionary<string, double>? Terms) ComputeWithTerms(LossInputs x, LossParameters p) =>
        Losses.aurora_loss_terms(x.Required("reconstruction"), x.Required("observations"), x.Required("descriptors"), x.Optional("archive"),
            p.Float("novelty_weight"), p.Int("k"), p.Float("p"), p.Bool("normalize"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Make(long n, long f, long l, long archive) => g =>
        {
            var d = new Dictionary<string, Tensor>
            {
                ["reconstruction"] = Sample.Normal(g, [n, f]),
                ["observations"] = Sample.Normal(g, [n, f]),
                ["descriptors"] = Sample.Normal(g, [n, l]),
            };
            if (archive > 0) d["archive"] = Sample.Normal(g, [archive, l], 2);
            return d;
        };
        yield return GradcheckCase.Of("(6,5) L=2 batch k=2", Make(6, 5, 2, 0), ("k", "2"));
        yield return GradcheckCase.Of("(5,3) L=3 batch k=3 not normalized none", Make(5, 3, 3, 0), ("normalize", "false"), ("reduction", "none"));
        yield return GradcheckCase.Of("(4,4) L=2 archive 8 k=3 p=1 w=0.5", Make(4, 4, 2, 8), ("novelty_weight", "0.5"), ("p", "1"));
        yield return GradcheckCase.Of("(1,3) L=2 archive 5 k=2 sum", Make(1, 3, 2, 5), ("k", "2"), ("reduction", "sum"));
    }
}
