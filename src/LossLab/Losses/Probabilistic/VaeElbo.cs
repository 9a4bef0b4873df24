using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>The likelihood of the decoder in <see cref="Losses.vae_elbo_loss"/>.</summary>
public enum VaeReconstruction
{
    /// <summary>Gaussian decoder: the reconstruction term is the squared error summed over features (MSE, sum).</summary>
    Gaussian,
    /// <summary>Bernoulli decoder: the input holds logits and the term is the binary cross-entropy with logits summed over features.</summary>
    Bernoulli,
}

public static partial class Losses
{
    /// <summary>
    /// Negative evidence lower bound of a variational auto-encoder with a diagonal Gaussian posterior
    /// <c>N(mu, exp(logvar))</c> and a standard normal prior: per sample, the reconstruction term plus
    /// <c>beta</c> times the closed-form KL divergence <c>0.5 sum_j (mu_j^2 + exp(logvar_j) - 1 - logvar_j)</c>, with an
    /// optional per-dimension floor on the KL ("free bits").
    /// </summary>
    /// <remarks>
    /// <para><b>Reconstruction.</b> Gaussian: <c>sum (input - target)^2</c> over the features of the sample (the MSE summed,
    /// i.e. the Gaussian log-likelihood with variance 1/2, up to a constant). Bernoulli: the input holds logits and the
    /// term is <c>binary_cross_entropy_with_logits</c> summed over the features (stable for logits of magnitude 1e4), with
    /// targets in [0, 1]. This is the per-sample sum of Kingma &amp; Welling 2014 (and of PyTorch's VAE example), not a
    /// per-pixel mean, which would weaken the reconstruction against the KL by the number of features.</para>
    /// <para><b>KL.</b> <c>KL(N(mu, sigma^2) || N(0, 1)) = 0.5 (mu^2 + sigma^2 - 1 - log sigma^2)</c> per latent dimension,
    /// computed as <c>0.5 (mu^2 + expm1(logvar) - logvar)</c> (accurate near logvar = 0). <paramref name="beta"/> weights it
    /// (Higgins et al. 2017, beta-VAE: beta &gt; 1 for disentangling, &lt; 1 against posterior collapse).</para>
    /// <para><b>Free bits</b> (Kingma et al. 2016, Improved Variational Inference with Inverse Autoregressive Flow, eq. 15):
    /// with <c>lambda = </c><paramref name="free_bits"/> &gt; 0 the KL term is <c>sum_j max(lambda, E_batch[KL_j])</c>: each
    /// latent dimension whose KL averaged over the batch is at most lambda nats contributes lambda and no gradient, so the
    /// optimiser stops squeezing dimensions that already carry little information. Per sample (reduction none), a dimension
    /// under the floor contributes lambda and one above it the sample's own KL_ij, so that the mean over samples is exactly
    /// the formula above. With lambda = 0 the term is the plain KL.</para>
    /// <para>Shapes: <paramref name="input"/> and <paramref name="target"/> (N, *) alike; <paramref name="mu"/> and
    /// <paramref name="logvar"/> (N, *) alike (latent dimensions flattened), with the same N. Gradients flow to input,
    /// mu and logvar (and to the target).</para>
    /// <code>
    /// var (mu, logvar) = encoder.forward(x);
    /// var z = mu + torch.randn_like(mu) * (0.5 * logvar).exp();
    /// var loss = Losses.vae_elbo_loss(decoder.forward(z), x, mu, logvar, VaeReconstruction.Bernoulli, beta: 4.0);
    /// </code>
    /// Reference: Kingma &amp; Welling 2014, Auto-Encoding Variational Bayes (appendix B for the closed-form KL).
    /// </remarks>
    /// <param name="input">The decoder's output (means, or logits for Bernoulli), shape (N, *).</param>
    /// <param name="target">The data, the shape of <paramref name="input"/> (in [0, 1] for Bernoulli).</param>
    /// <param name="mu">Posterior means, shape (N, *).</param>
    /// <param name="logvar">Posterior log-variances, the shape of <paramref name="mu"/>.</param>
    /// <param name="reconstruction">The decoder's likelihood.</param>
    /// <param name="beta">Weight of the KL term; finite and &gt;= 0.</param>
    /// <param name="free_bits">Per-dimension floor lambda (nats) on the batch-averaged KL; finite and &gt;= 0 (0: none).</param>
    /// <param name="reduction">none: per-sample negative ELBO (N); mean over samples; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor vae_elbo_loss(Tensor input, Tensor target, Tensor mu, Tensor logvar, VaeReconstruction reconstruction = VaeReconstruction.Gaussian,
        double beta = 1.0, double free_bits = 0.0, Reduction reduction = Reduction.Mean)
    {
        const string name = "vae_elbo_loss";
        Check.ElementwisePair(input, target, name);
        Check.MinRank(input, name, nameof(input), 1);
        Check.HasSamples(input, name, nameof(input));
        Check.ElementwisePair(mu, logvar, name, nameof(mu), nameof(logvar));
        Check.MinRank(mu, name, nameof(mu), 2);
        Check.SameBatch(input, nameof(input), mu, nameof(mu), name);
        Check.SameDevice(name, (input, nameof(input)), (mu, nameof(mu)));
        Check.Param(beta >= 0 && double.IsFinite(beta), name, nameof(beta), "a finite number >= 0", beta);
        Check.Param(free_bits >= 0 && double.IsFinite(free_bits), name, nameof(free_bits), "a finite number >= 0", free_bits);
        Reduce.NoBatchMean(reduction, name);
        if (reconstruction == VaeReconstruction.Bernoulli) Check.InRange(target, 0, 1, name, nameof(target));

        using var scope = NewDisposeScope();
        long n = input.shape[0];
        var perElement = reconstruction == VaeReconstruction.Bernoulli
            ? binary_cross_entropy_with_logits(input, target, reduction: Reduction.None)
            : mse_loss(input, target, Reduction.None);
        var recon = perElement.reshape(n, -1).sum(1);
        var lv = logvar.reshape(n, -1);
        var kl = 0.5 * (mu.reshape(n, -1).square() + torch.special.expm1(lv) - lv);
        if (free_bits > 0)
        {
            var above = kl.mean([0], keepdim: true).gt(free_bits);
            kl = torch.where(above, kl, torch.full_like(kl, free_bits));
        }
        var loss = recon + beta * kl.sum(1);
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The negative ELBO of a VAE as a module, <c>forward(input, target, mu, logvar)</c>; see <see cref="Losses.vae_elbo_loss"/>.</summary>
public sealed class VaeElboLoss : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly VaeReconstruction reconstruction;
    private readonly double beta, freeBits;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.vae_elbo_loss"/>.</summary>
    public VaeElboLoss(VaeReconstruction reconstruction = VaeReconstruction.Gaussian, double beta = 1.0, double free_bits = 0.0, Reduction reduction = Reduction.Mean) : base(nameof(VaeElboLoss))
    {
        Check.Param(beta >= 0 && double.IsFinite(beta), nameof(VaeElboLoss), nameof(beta), "a finite number >= 0", beta);
        Check.Param(free_bits >= 0 && double.IsFinite(free_bits), nameof(VaeElboLoss), nameof(free_bits), "a finite number >= 0", free_bits);
        Reduce.NoBatchMean(reduction, nameof(VaeElboLoss));
        this.reconstruction = reconstruction;
        this.beta = beta;
        freeBits = free_bits;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target, Tensor mu, Tensor logvar) =>
        Losses.vae_elbo_loss(input, target, mu, logvar, reconstruction, beta, freeBits, reduction);
}

internal sealed class VaeElboDefinition : LossDefinition
{
    public override string Name => "vae_elbo";
    public override string Family => "probabilistic";
    public override string Summary => "Negative ELBO of a VAE: Gaussian (MSE) or Bernoulli (BCE with logits) reconstruction plus beta times the closed-form KL to N(0, I), with free bits.";
    public override string Math => "l_i = recon_i + beta * sum_j KL'_ij;  KL_ij = 0.5 (mu_ij^2 + exp(logvar_ij) - 1 - logvar_ij);  KL'_ij = KL_ij if mean_i KL_ij > free_bits else free_bits";
    public override string Reference => "Kingma & Welling 2014, Auto-Encoding Variational Bayes; Higgins et al. 2017, beta-VAE; Kingma et al. 2016, Improved Variational Inference with Inverse Autoregressive Flow (free bits)";
    public override string Function => "Losses.vae_elbo_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("reconstruction", "gaussian", "gaussian: squared error summed over features; bernoulli: BCE with logits summed", "gaussian", "bernoulli"),
        ParamSpec.Float("beta", 1.0, "weight of the KL term (beta-VAE)", min: 0),
        ParamSpec.Float("free_bits", 0.0, "per-dimension floor lambda (nats) on the batch-averaged KL", min: 0),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, *) reconstruction (means, or logits for bernoulli)"),
        InputSpec.Data("target", "(N, *) data, the shape of input"),
        InputSpec.Grad("mu", "(N, D) posterior means"),
        InputSpec.Grad("logvar", "(N, D) posterior log-variances"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.vae_elbo_loss(x.Required("input"), x.Required("target"), x.Required("mu"), x.Required("logvar"),
            p.Choice("reconstruction") == "bernoulli" ? VaeReconstruction.Bernoulli : VaeReconstruction.Gaussian, p.Float("beta"), p.Float("free_bits"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> Make(Generator g, long[] shape, long latent, bool bernoulli)
        {
            long n = shape[0];
            // Latent dimensions alternate between nearly unused (KL about 0.005) and informative (KL about 2): away from a floor of 0.5.
            var spread = torch.tensor(Enumerable.Range(0, (int)latent).Select(j => j % 2 == 0 ? 0.1 : 2.0).ToArray(), dtype: ScalarType.Float64);
            return new()
            {
                ["input"] = Sample.Normal(g, shape),
                ["target"] = bernoulli ? Sample.Uniform(g, shape, 0, 1) : Sample.Normal(g, shape),
                ["mu"] = Sample.Normal(g, [n, latent], 0.3) * spread + spread,
                ["logvar"] = Sample.Normal(g, [n, latent], 0.1) * spread,
            };
        }
        yield return GradcheckCase.Of("(6,5) z=4 gaussian mean", g => Make(g, [6, 5], 4, false));
        yield return GradcheckCase.Of("(4,2,3) z=3 bernoulli beta=4 sum", g => Make(g, [4, 2, 3], 3, true), ("reconstruction", "bernoulli"), ("beta", "4"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(5,4) z=6 free_bits=0.5 none", g => Make(g, [5, 4], 6, false), ("free_bits", "0.5"), ("reduction", "none"));
        yield return GradcheckCase.Of("(3,4) z=4 bernoulli beta=0.5 free_bits=0.5", g => Make(g, [3, 4], 4, true), ("reconstruction", "bernoulli"), ("beta", "0.5"), ("free_bits", "0.5"));
        yield return GradcheckCase.Of("(1,3) z=2", g => Make(g, [1, 3], 2, false));
    }
}
