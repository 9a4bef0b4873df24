using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Check
{
    /// <summary>
    /// Mixed strategies (meta-strategies, mixtures over a population): every value &gt;= 0 and each vector along the
    /// last dimension summing to 1, within <paramref name="tolerance"/>.
    /// </summary>
    /// <param name="sigma">The strategies, shape (..., K).</param>
    /// <param name="loss">The loss's name, for messages.</param>
    /// <param name="arg">The argument's name.</param>
    /// <param name="tolerance">Allowed deviation of the sums from 1 and of the values below 0.</param>
    public static void MixedStrategy(Tensor sigma, string loss, string arg, double tolerance = 1e-4)
    {
        Floating(sigma, loss, arg);
        if (sigma.dim() == 0 || sigma.numel() == 0) return;
        using var scope = NewDisposeScope();
        var s = sigma.detach().to_type(ScalarType.Float64);
        if (!s.isfinite().all().item<bool>())
            throw new ArgumentException($"{loss}: '{arg}' contains NaN or infinite values", arg);
        double min = s.min().item<double>();
        if (min < -tolerance)
            throw new ArgumentException($"{loss}: '{arg}' must be a probability vector (values >= 0), got a value {min}", arg);
        var sums = s.sum(-1);
        double worst = (sums - 1).abs().max().item<double>();
        if (worst > tolerance * Math.Max(1, sigma.shape[^1]))
            throw new ArgumentException($"{loss}: '{arg}' must sum to 1 along its last dimension (a mixed strategy), got sums off by up to {worst}", arg);
    }

    /// <summary>Points in a behaviour (descriptor) space: a floating tensor of shape (N, D) with finite values.</summary>
    /// <param name="t">The points.</param>
    /// <param name="loss">The loss's name, for messages.</param>
    /// <param name="arg">The argument's name.</param>
    /// <param name="minRows">The fewest rows allowed.</param>
    public static void BehaviourPoints(Tensor t, string loss, string arg, long minRows)
    {
        Floating(t, loss, arg);
        if (t.dim() != 2)
            throw new ArgumentException($"{loss}: '{arg}' must be behaviour descriptors of shape (N, D), got {t.dim()} dimension(s) (shape {Shape(t)})", arg);
        if (t.shape[0] < minRows)
            throw new ArgumentException($"{loss}: '{arg}' must hold at least {minRows} point(s), got {t.shape[0]}", arg);
        if (t.shape[1] == 0)
            throw new ArgumentException($"{loss}: '{arg}' has no descriptor dimensions (D = 0)", arg);
    }
}
