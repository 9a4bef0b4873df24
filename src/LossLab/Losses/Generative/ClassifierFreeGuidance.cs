using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// Classifier-free guidance (Ho and Salimans 2021): at sampling time, a model trained with the condition dropped at
/// random (so that it predicts both <c>eps(x_t, c)</c> and <c>eps(x_t)</c>) is steered towards its condition by
/// extrapolating from the unconditional prediction through the conditional one.
/// </summary>
public static class ClassifierFreeGuidance
{
    /// <summary>
    /// The guided prediction <c>eps_uncond + scale * (eps_cond - eps_uncond)</c>.
    /// </summary>
    /// <remarks>
    /// scale = 1 returns the conditional prediction, scale = 0 the unconditional one, scale &gt; 1 sharpens the conditional
    /// distribution (Stable Diffusion's default is 7.5). The paper writes it with a guidance weight w as
    /// <c>(1 + w) eps_cond - w eps_uncond</c>: that is scale = 1 + w. It is linear, so it applies unchanged to v or x0
    /// predictions and to flow-matching velocities.
    /// <code>
    /// var guided = ClassifierFreeGuidance.Combine(model.forward(xt, t, label), model.forward(xt, t, nullLabel), 7.5);
    /// </code>
    /// </remarks>
    /// <param name="cond">The conditional prediction, any shape, floating.</param>
    /// <param name="uncond">The unconditional prediction, the shape of <paramref name="cond"/>.</param>
    /// <param name="scale">The guidance scale, finite.</param>
    /// <returns>The guided prediction, the shape of <paramref name="cond"/>.</returns>
    public static Tensor Combine(Tensor cond, Tensor uncond, double scale)
    {
        const string name = "ClassifierFreeGuidance.Combine";
        Check.ElementwisePair(cond, uncond, name, nameof(cond), nameof(uncond));
        Check.Param(double.IsFinite(scale), name, nameof(scale), "a finite number", scale);
        using var scope = NewDisposeScope();
        return (uncond + scale * (cond - uncond)).MoveToOuterDisposeScope();
    }
}
