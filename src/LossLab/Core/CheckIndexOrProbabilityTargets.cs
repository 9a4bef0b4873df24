using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Check
{
    /// <summary>
    /// The target of an (N, C) input is either class indices (an integer vector of N entries in [0, C)) or class
    /// probabilities (floating-point, the input's shape, values in [0, 1]); both on the input's device.
    /// </summary>
    /// <param name="input">The (N, C) input, already checked to be a floating-point matrix.</param>
    /// <param name="target">The target.</param>
    /// <param name="loss">The loss, for messages.</param>
    /// <param name="arg">The target's argument name.</param>
    /// <returns>Whether the target holds probabilities.</returns>
    public static bool IndicesOrProbabilities(Tensor input, Tensor target, string loss, string arg = "target")
    {
        NotNull(target, loss, arg);
        bool probabilities = target.dtype.IsFloatingPoint();
        if (probabilities) SameShape(input, "input", target, arg, loss);
        else
        {
            Rank(target, loss, arg, 1);
            SameBatch(input, "input", target, arg, loss);
        }
        SameDevice(loss, (input, "input"), (target, arg));
        if (probabilities) InRange(target, 0, 1, loss, arg);
        else ClassIndices(target, input.shape[1], loss, arg);
        return probabilities;
    }
}
