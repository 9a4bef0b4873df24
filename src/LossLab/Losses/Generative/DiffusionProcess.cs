using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// Noise schedules of diffusion models and score-based models: the betas of the forward process, their cumulative
/// products <c>alpha_bar_t</c>, and the noise levels of noise-conditional score networks. All results are float64 (cast
/// them to the model's dtype); index t runs from 0 to T - 1.
/// </summary>
public static class NoiseSchedule
{
    /// <summary>
    /// The linear schedule of Ho et al. 2020 (DDPM): <c>beta_t</c> evenly spaced from <paramref name="beta_start"/> to
    /// <paramref name="beta_end"/> over <paramref name="timesteps"/> steps (1e-4 to 0.02 over 1000 steps in the paper).
    /// </summary>
    /// <remarks>
    /// For other step counts the improved-diffusion code scales both ends by <c>1000 / T</c>; pass the scaled values.
    /// <code>
    /// var alphaBar = NoiseSchedule.AlphasCumprod(NoiseSchedule.LinearBetas(1000));
    /// </code>
    /// </remarks>
    /// <param name="timesteps">The number of diffusion steps T, at least 1.</param>
    /// <param name="beta_start">beta_0, in (0, 1).</param>
    /// <param name="beta_end">beta_{T-1}, in [beta_start, 1).</param>
    /// <returns>The betas, float64, shape (T).</returns>
    public static Tensor LinearBetas(long timesteps, double beta_start = 1e-4, double beta_end = 0.02)
    {
        const string name = "NoiseSchedule.LinearBetas";
        Check.Param(timesteps >= 1, name, nameof(timesteps), ">= 1", timesteps);
        Check.Param(beta_start > 0 && beta_start < 1, name, nameof(beta_start), "in (0, 1)", beta_start);
        Check.Param(beta_end >= beta_start && beta_end < 1, name, nameof(beta_end), "in [beta_start, 1)", beta_end);
        var betas = new double[timesteps];
        for (long i = 0; i < timesteps; i++) betas[i] = timesteps == 1 ? beta_start : beta_start + (beta_end - beta_start) * i / (timesteps - 1);
        return torch.tensor(betas, dtype: ScalarType.Float64);
    }

    /// <summary>
    /// The cosine schedule of Nichol and Dhariwal 2021 (improved DDPM): <c>alpha_bar(t) = f(t) / f(0)</c> with
    /// <c>f(t) = cos^2(((t / T + s) / (1 + s)) * pi / 2)</c>, and <c>beta_t = min(1 - alpha_bar(t + 1) / alpha_bar(t), max_beta)</c>.
    /// </summary>
    /// <remarks>
    /// The offset s keeps beta_0 from being vanishingly small; the clip at <paramref name="max_beta"/> (0.999) avoids the
    /// singularity at t = T. Written as the improved-diffusion code's <c>betas_for_alpha_bar</c>.
    /// <code>
    /// var betas = NoiseSchedule.CosineBetas(4000);
    /// </code>
    /// </remarks>
    /// <param name="timesteps">The number of diffusion steps T, at least 1.</param>
    /// <param name="s">The small offset (0.008 in the paper), at least 0.</param>
    /// <param name="max_beta">The largest beta, in (0, 1).</param>
    /// <returns>The betas, float64, shape (T).</returns>
    public static Tensor CosineBetas(long timesteps, double s = 0.008, double max_beta = 0.999)
    {
        const string name = "NoiseSchedule.CosineBetas";
        Check.Param(timesteps >= 1, name, nameof(timesteps), ">= 1", timesteps);
        Check.Param(s >= 0 && double.IsFinite(s), name, nameof(s), "a finite number >= 0", s);
        Check.Param(max_beta > 0 && max_beta < 1, name, nameof(max_beta), "in (0, 1)", max_beta);
        double F(double t) => Math.Pow(Math.Cos((t + s) / (1 + s) * Math.PI / 2), 2);
        var betas = new double[timesteps];
        for (long i = 0; i < timesteps; i++)
            betas[i] = Math.Min(1 - F((double)(i + 1) / timesteps) / F((double)i / timesteps), max_beta);
        return torch.tensor(betas, dtype: ScalarType.Float64);
    }

    /// <summary><c>alpha_bar_t = prod_{s &lt;= t} (1 - beta_s)</c>, the fraction of the signal's variance left at step t.</summary>
    /// <param name="betas">The betas, (T), each in (0, 1).</param>
    /// <returns>alpha_bar, the dtype of <paramref name="betas"/>, shape (T).</returns>
    public static Tensor AlphasCumprod(Tensor betas)
    {
        const string name = "NoiseSchedule.AlphasCumprod";
        Check.Floating(betas, name, nameof(betas));
        Check.Rank(betas, name, nameof(betas), 1);
        Check.InRange(betas, 0, 1, name, nameof(betas));
        using var scope = NewDisposeScope();
        return (1 - betas).cumprod(0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The noise levels of a noise-conditional score network (Song and Ermon 2019): <paramref name="levels"/> values from
    /// <paramref name="sigma_max"/> down to <paramref name="sigma_min"/> in geometric progression.
    /// </summary>
    /// <param name="sigma_max">The largest level (sigma_1), greater than sigma_min.</param>
    /// <param name="sigma_min">The smallest level (sigma_L), greater than 0.</param>
    /// <param name="levels">The number of levels L, at least 2.</param>
    /// <returns>The sigmas, float64, shape (L), decreasing.</returns>
    public static Tensor GeometricSigmas(double sigma_max = 1.0, double sigma_min = 0.01, long levels = 10)
    {
        const string name = "NoiseSchedule.GeometricSigmas";
        Check.Param(sigma_min > 0 && double.IsFinite(sigma_min), name, nameof(sigma_min), "a finite number > 0", sigma_min);
        Check.Param(sigma_max > sigma_min && double.IsFinite(sigma_max), name, nameof(sigma_max), "a finite number > sigma_min", sigma_max);
        Check.Param(levels >= 2, name, nameof(levels), ">= 2", levels);
        var sig = new double[levels];
        for (long i = 0; i < levels; i++) sig[i] = Math.Exp(Math.Log(sigma_max) + (Math.Log(sigma_min) - Math.Log(sigma_max)) * i / (levels - 1));
        return torch.tensor(sig, dtype: ScalarType.Float64);
    }
}

/// <summary>
/// The forward processes and targets that the diffusion and flow losses are trained on: the DDPM noising
/// <c>x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps</c>, the v target, and the rectified-flow path.
/// Per-sample quantities (alpha_bar, t) are vectors (N) broadcast over the other dimensions of a batch (N, ...).
/// </summary>
public static class Diffusion
{
    /// <summary><c>alpha_bar</c> at each sample's timestep: <c>alphas_cumprod[timesteps]</c>.</summary>
    /// <param name="alphas_cumprod">The schedule's alpha_bar, (T).</param>
    /// <param name="timesteps">Each sample's step, int64, (N), in [0, T).</param>
    /// <returns>(N), the dtype of <paramref name="alphas_cumprod"/>.</returns>
    public static Tensor AlphaBarAt(Tensor alphas_cumprod, Tensor timesteps)
    {
        const string name = "Diffusion.AlphaBarAt";
        Check.Floating(alphas_cumprod, name, nameof(alphas_cumprod));
        Check.Rank(alphas_cumprod, name, nameof(alphas_cumprod), 1);
        Check.Rank(timesteps, name, nameof(timesteps), 1);
        Check.ClassIndices(timesteps, alphas_cumprod.shape[0], name, nameof(timesteps));
        Check.SameDevice(name, (alphas_cumprod, nameof(alphas_cumprod)), (timesteps, nameof(timesteps)));
        return alphas_cumprod.index_select(0, timesteps);
    }

    /// <summary>
    /// The DDPM forward process in closed form (Ho et al. 2020, equation 4):
    /// <c>x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps</c>. With x0 and eps of unit variance and independent,
    /// x_t has unit variance at every t (the process is variance preserving).
    /// </summary>
    /// <remarks>
    /// <code>
    /// var noise = torch.randn_like(x0);
    /// var xt = Diffusion.QSample(x0, noise, Diffusion.AlphaBarAt(alphaBar, t));
    /// var loss = Losses.ddpm_loss(model.forward(xt, t), noise);
    /// </code>
    /// </remarks>
    /// <param name="x0">Clean samples, (N, ...).</param>
    /// <param name="noise">Standard normal noise eps, the shape of <paramref name="x0"/>.</param>
    /// <param name="alpha_bar">Each sample's alpha_bar_t, (N), in [0, 1].</param>
    public static Tensor QSample(Tensor x0, Tensor noise, Tensor alpha_bar)
    {
        CheckSampleNoise(x0, noise, alpha_bar, "Diffusion.QSample");
        using var scope = NewDisposeScope();
        var a = DenoisingCommon.PerSample(alpha_bar, x0);
        return (a.sqrt() * x0 + (1 - a).sqrt() * noise).MoveToOuterDisposeScope();
    }

    /// <summary>The v target of Salimans and Ho 2022: <c>v = sqrt(alpha_bar) eps - sqrt(1 - alpha_bar) x0</c>.</summary>
    /// <param name="x0">Clean samples, (N, ...).</param>
    /// <param name="noise">The noise eps of x_t, the shape of <paramref name="x0"/>.</param>
    /// <param name="alpha_bar">Each sample's alpha_bar_t, (N), in [0, 1].</param>
    public static Tensor VTarget(Tensor x0, Tensor noise, Tensor alpha_bar)
    {
        CheckSampleNoise(x0, noise, alpha_bar, "Diffusion.VTarget");
        using var scope = NewDisposeScope();
        var a = DenoisingCommon.PerSample(alpha_bar, x0);
        return (a.sqrt() * noise - (1 - a).sqrt() * x0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The point of the rectified-flow / conditional flow-matching path at time t:
    /// <c>x_t = (1 - (1 - sigma_min) t) x0 + t x1</c> (sigma_min = 0: the straight line <c>(1 - t) x0 + t x1</c>).
    /// </summary>
    /// <param name="x0">Source samples (noise), (N, ...).</param>
    /// <param name="x1">Target samples (data), the shape of <paramref name="x0"/>.</param>
    /// <param name="t">Each sample's time, (N), in [0, 1].</param>
    /// <param name="sigma_min">The optimal-transport path's final noise level (Lipman et al. 2023), in [0, 1).</param>
    public static Tensor FlowInterpolate(Tensor x0, Tensor x1, Tensor t, double sigma_min = 0.0)
    {
        const string name = "Diffusion.FlowInterpolate";
        Check.ElementwisePair(x0, x1, name, nameof(x0), nameof(x1));
        Check.MinRank(x0, name, nameof(x0), 1);
        DenoisingCommon.CheckUnitPerSample(t, x0.shape[0], name, nameof(t), "time t");
        Check.Param(sigma_min >= 0 && sigma_min < 1, name, nameof(sigma_min), "in [0, 1)", sigma_min);
        using var scope = NewDisposeScope();
        var tt = DenoisingCommon.PerSample(t, x0);
        return ((1 - (1 - sigma_min) * tt) * x0 + tt * x1).MoveToOuterDisposeScope();
    }

    /// <summary>The velocity of that path, <c>d x_t / dt = x1 - (1 - sigma_min) x0</c> (the flow-matching target).</summary>
    /// <param name="x0">Source samples (noise), (N, ...).</param>
    /// <param name="x1">Target samples (data), the shape of <paramref name="x0"/>.</param>
    /// <param name="sigma_min">The path's final noise level, in [0, 1).</param>
    public static Tensor FlowVelocity(Tensor x0, Tensor x1, double sigma_min = 0.0)
    {
        const string name = "Diffusion.FlowVelocity";
        Check.ElementwisePair(x0, x1, name, nameof(x0), nameof(x1));
        Check.Param(sigma_min >= 0 && sigma_min < 1, name, nameof(sigma_min), "in [0, 1)", sigma_min);
        return sigma_min == 0 ? x1 - x0 : x1 - (1 - sigma_min) * x0;
    }

    private static void CheckSampleNoise(Tensor x0, Tensor noise, Tensor alphaBar, string name)
    {
        Check.ElementwisePair(x0, noise, name, nameof(x0), nameof(noise));
        Check.MinRank(x0, name, nameof(x0), 1);
        DenoisingCommon.CheckUnitPerSample(alphaBar, x0.shape[0], name, "alpha_bar");
    }
}
