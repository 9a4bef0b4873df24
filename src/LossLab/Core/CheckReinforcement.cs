using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Check
{
    /// <summary>A discount or mixing factor (gamma, lambda) must lie in [0, 1].</summary>
    public static void UnitInterval(double value, string loss, string arg) =>
        Param(value >= 0 && value <= 1, loss, arg, "in [0, 1]", value);

    /// <summary>
    /// Episode-end flags (<c>dones</c>) must hold only 0 and 1 (bool, integer or floating dtype) and have the shape
    /// <paramref name="like"/> has, the tensor they flag (rewards of one step each).
    /// </summary>
    public static void Flags(Tensor flags, Tensor like, string loss, string arg, string likeName)
    {
        NotNull(flags, loss, arg);
        if (flags.dtype.IsComplex())
            throw new ArgumentException($"{loss}: '{arg}' must hold 0/1 episode-end flags as a bool, integer or floating tensor, got {flags.dtype}", arg);
        SameShape(like, likeName, flags, arg, loss);
        if (flags.numel() == 0 || flags.dtype == ScalarType.Bool) return;
        using var scope = NewDisposeScope();
        var f = flags.detach().to_type(ScalarType.Float64);
        var bad = f.ne(0.0).logical_and(f.ne(1.0));
        if (bad.any().item<bool>())
        {
            double first = f.masked_select(bad)[0].item<double>();
            throw new ArgumentException($"{loss}: '{arg}' must hold only 0 (episode goes on) and 1 (episode ended), got {first}", arg);
        }
    }

    /// <summary>
    /// A sequence of one value per time step: floating-point, shape (T) or (B, T) (time last), with at least one step.
    /// </summary>
    public static void Sequence(Tensor t, string loss, string arg)
    {
        Floating(t, loss, arg);
        Rank(t, loss, arg, 1, 2);
        if (t.shape[^1] == 0)
            throw new ArgumentException($"{loss}: '{arg}' must hold at least one time step, got shape {Shape(t)}", arg);
    }
}
