using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Check
{
    /// <summary>
    /// The checks of an element-wise loss of two tensors (regression losses): both floating-point, of the same shape,
    /// on the same device.
    /// </summary>
    /// <param name="input">The prediction.</param>
    /// <param name="target">The target.</param>
    /// <param name="loss">The loss's name, for messages.</param>
    /// <param name="inputName">The prediction's argument name.</param>
    /// <param name="targetName">The target's argument name.</param>
    public static void ElementwisePair(Tensor input, Tensor target, string loss, string inputName = "input", string targetName = "target")
    {
        Floating(input, loss, inputName);
        Floating(target, loss, targetName);
        SameShape(input, inputName, target, targetName, loss);
        SameDevice(loss, (input, inputName), (target, targetName));
    }

    /// <summary>
    /// Every value of <paramref name="target"/> must be -1 or +1 (binary labels of hinge-type losses). Floating and
    /// integer dtypes are accepted.
    /// </summary>
    public static void SignTargets(Tensor target, string loss, string arg)
    {
        NotNull(target, loss, arg);
        if (target.dtype == ScalarType.Bool || target.dtype.IsComplex())
            throw new ArgumentException($"{loss}: '{arg}' must hold the labels -1 and +1 as a real tensor, got {target.dtype}", arg);
        if (target.numel() == 0) return;
        using var scope = NewDisposeScope();
        var t = target.detach().to_type(ScalarType.Float64);
        var bad = t.ne(1.0).logical_and(t.ne(-1.0));
        if (bad.any().item<bool>())
        {
            double first = t.masked_select(bad)[0].item<double>();
            throw new ArgumentException($"{loss}: '{arg}' must hold only -1 and +1, got {first}", arg);
        }
    }

    /// <summary>Every value must be &gt;= 0 (and not NaN); <paramref name="why"/> says why, for the message.</summary>
    public static void NonNegativeValues(Tensor t, string loss, string arg, string why)
    {
        NotNull(t, loss, arg);
        if (t.numel() == 0) return;
        using var scope = NewDisposeScope();
        var d = t.detach();
        if (d.isnan().any().item<bool>())
            throw new ArgumentException($"{loss}: '{arg}' contains NaN", arg);
        double mn = d.min().to_type(ScalarType.Float64).item<double>();
        if (mn < 0)
            throw new ArgumentException($"{loss}: '{arg}' must be >= 0 ({why}), got a value {mn}", arg);
    }
}
