using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Spectral norm penalty: <c>coefficient * sigma(W)</c> (or <c>coefficient * sigma(W)^2</c> when
    /// <paramref name="squared"/>), where <c>sigma(W)</c>, the largest singular value of the weight reshaped to
    /// (out, rest), is estimated by power iteration as in spectral normalisation.
    /// </summary>
    /// <remarks>
    /// <para>Penalising the spectral norm bounds each layer's Lipschitz constant, which improves generalisation and
    /// robustness to input perturbations (Yoshida &amp; Miyato 2017, "Spectral Norm Regularization for Improving the
    /// Generalizability of Deep Learning", use <c>lambda/2 * sigma^2</c>: <paramref name="squared"/> with coefficient
    /// lambda/2). Unlike spectral normalisation (Miyato et al. 2018), it constrains softly, through the loss.</para>
    /// <para><b>Power iteration.</b> As <c>torch.nn.utils.spectral_norm</c>: the weight is reshaped to
    /// <c>(shape[0], -1)</c>; starting from a unit vector u drawn from a normal distribution with
    /// <paramref name="seed"/>, <paramref name="n_power_iterations"/> times <c>v = normalize(W^T u)</c>,
    /// <c>u = normalize(W v)</c>; then <c>sigma = u^T W v</c>. The start is fresh (seeded) at every call, so the result is
    /// deterministic; the estimate is never above the true sigma and converges like <c>(sigma_2 / sigma_1)^(2k)</c>, so
    /// use more iterations for matrices whose two top singular values are close.</para>
    /// <para><b>Gradient.</b> The vectors u and v are held constant (<see cref="Surrogate.Hold"/>, terms <c>u</c> and
    /// <c>v</c>), as spectral normalisation does: the gradient of sigma is <c>u v^T</c>, which at convergence is the exact
    /// gradient of the largest singular value (when it is simple).</para>
    /// <code>
    /// var loss = task + Losses.spectral_norm_penalty(model, coefficient: 0.005, squared: true);
    /// </code>
    /// </remarks>
    /// <param name="weight">A weight of at least 2 dimensions (out, in, ...), floating-point.</param>
    /// <param name="n_power_iterations">Power-iteration steps; &gt;= 1.</param>
    /// <param name="coefficient">The penalty's weight; finite and &gt;= 0.</param>
    /// <param name="squared">Penalise sigma^2 instead of sigma.</param>
    /// <param name="seed">Seed of the start vector.</param>
    /// <returns>A scalar.</returns>
    public static Tensor spectral_norm_penalty(Tensor weight, long n_power_iterations = 20, double coefficient = 1.0, bool squared = false, long seed = 0)
    {
        const string name = "spectral_norm_penalty";
        Check.Floating(weight, name, nameof(weight));
        Check.MinRank(weight, name, nameof(weight), 2);
        Check.HasSamples(weight, name, nameof(weight));
        CheckSpectralNorm(name, n_power_iterations, coefficient);

        using var scope = NewDisposeScope();
        var w = weight.reshape(weight.shape[0], -1);
        var (u, v) = PowerIteration(w, n_power_iterations, seed);
        var sigma = Surrogate.Hold("u", u).dot(w.mv(Surrogate.Hold("v", v)));
        var penalty = squared ? sigma.square() : sigma;
        return (penalty * coefficient).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The spectral norm penalty summed over a model's weights of at least 2 dimensions that the exclusion keeps; see
    /// <see cref="spectral_norm_penalty(Tensor, long, double, bool, long)"/>.
    /// </summary>
    /// <param name="module">The model.</param>
    /// <param name="n_power_iterations">Power-iteration steps; &gt;= 1.</param>
    /// <param name="coefficient">The penalty's weight; finite and &gt;= 0.</param>
    /// <param name="squared">Penalise sigma^2 instead of sigma.</param>
    /// <param name="seed">Seed of the start vectors.</param>
    /// <param name="exclude">Returns true for parameter names to skip; null: biases and normalisation layers (<see cref="PenalizedParameters"/>).</param>
    /// <returns>A scalar (a float32 zero when no weight is selected).</returns>
    public static Tensor spectral_norm_penalty(nn.Module module, long n_power_iterations = 20, double coefficient = 1.0, bool squared = false, long seed = 0, Func<string, bool>? exclude = null)
    {
        var selected = PenalizedParameters.Select(module, exclude).Where(p => p.parameter.dim() >= 2).ToList();
        return PenalizedParameters.Sum(selected, w => spectral_norm_penalty(w, n_power_iterations, coefficient, squared, seed));
    }

    internal static void CheckSpectralNorm(string name, long iterations, double coefficient)
    {
        Check.Param(iterations >= 1, name, "n_power_iterations", ">= 1", iterations);
        Check.Param(coefficient >= 0 && double.IsFinite(coefficient), name, "coefficient", "a finite number >= 0", coefficient);
    }

    /// <summary>The power iteration of spectral normalisation on a matrix, without a graph: the top singular vectors (u, v).</summary>
    private static (Tensor u, Tensor v) PowerIteration(Tensor w, long iterations, long seed)
    {
        const double eps = 1e-12;
        static Tensor Normalize(Tensor x) => x / x.norm().clamp_min(eps);
        using var noGrad = torch.no_grad();
        using var gen = new Generator(unchecked((ulong)seed));
        var u = Normalize(torch.randn(new[] { w.shape[0] }, dtype: ScalarType.Float64, generator: gen).to(w.dtype).to(w.device));
        Tensor v = torch.zeros(new[] { w.shape[1] }, dtype: w.dtype, device: w.device);
        for (long i = 0; i < iterations; i++)
        {
            v = Normalize(w.t().mv(u));
            u = Normalize(w.mv(v));
        }
        return (u, v);
    }
}

/// <summary>The spectral norm penalty as a module: <c>forward(weight)</c>, or <c>forward(model)</c> over a model's weights;
/// see <see cref="Losses.spectral_norm_penalty(Tensor, long, double, bool, long)"/>.</summary>
public sealed class SpectralNormPenalty : WeightPenaltyModule
{
    private readonly long iterations, seed;
    private readonly double coefficient;
    private readonly bool squared;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.spectral_norm_penalty(nn.Module, long, double, bool, long, Func{string, bool}?)"/>.</summary>
    public SpectralNormPenalty(long n_power_iterations = 20, double coefficient = 1.0, bool squared = false, long seed = 0, Func<string, bool>? exclude = null) : base(nameof(SpectralNormPenalty), exclude)
    {
        Losses.CheckSpectralNorm(nameof(SpectralNormPenalty), n_power_iterations, coefficient);
        iterations = n_power_iterations;
        this.coefficient = coefficient;
        this.squared = squared;
        this.seed = seed;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor weight) => Losses.spectral_norm_penalty(weight, iterations, coefficient, squared, seed);

    /// <summary>The penalty summed over <paramref name="model"/>'s weights of at least 2 dimensions that the exclusion keeps.</summary>
    public override Tensor forward(nn.Module model) => Losses.spectral_norm_penalty(model, iterations, coefficient, squared, seed, Exclude);
}

internal sealed class SpectralNormPenaltyDefinition : LossDefinition
{
    public override string Name => "spectral_norm_penalty";
    public override string Family => "regularization";
    public override string Summary => "Largest singular value of a weight (by seeded power iteration, u and v held as in spectral normalisation), or its square, as a penalty.";
    public override string Math => "W = weight.reshape(out, -1); k times v = W^T u / |W^T u|, u = W v / |W v|;  sigma = u^T W v (u, v held);  l = coefficient * sigma (or sigma^2)";
    public override string Reference => "Yoshida & Miyato 2017, Spectral Norm Regularization for Improving the Generalizability of Deep Learning; Miyato et al. 2018, Spectral Normalization for GANs";
    public override string Function => "Losses.spectral_norm_penalty";
    public override IReadOnlyList<string> HeldTerms { get; } = ["u", "v"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("n_power_iterations", 20, "power-iteration steps from the seeded start vector", min: 1),
        ParamSpec.Float("coefficient", 1.0, "the penalty's weight", min: 0),
        ParamSpec.Bool("squared", false, "penalise sigma^2 (Yoshida & Miyato) instead of sigma"),
        ParamSpec.Int("seed", 0, "seed of the start vector"),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.Grad("weights", "(out, in, ...) a weight of at least 2 dimensions")];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.spectral_norm_penalty(x.Required("weights"), p.Int("n_power_iterations"), p.Float("coefficient"), p.Bool("squared"), p.Int("seed"));

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(4,3)", g => new() { ["weights"] = Sample.Normal(g, [4, 3]) });
        yield return GradcheckCase.Of("(3,2,2) conv-like squared coefficient=0.5", g => new() { ["weights"] = Sample.Normal(g, [3, 2, 2]) }, ("squared", "true"), ("coefficient", "0.5"));
        yield return GradcheckCase.Of("(5,6) one iteration", g => new() { ["weights"] = Sample.Normal(g, [5, 6]) }, ("n_power_iterations", "1"), ("seed", "7"));
        yield return GradcheckCase.Of("(1,4)", g => new() { ["weights"] = Sample.Normal(g, [1, 4]) });
    }
}
