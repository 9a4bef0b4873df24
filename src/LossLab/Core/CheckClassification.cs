using static TorchSharp.torch;

namespace LossLab;

/// <summary>Checks used by the classification losses: broadcasting, class weights, class-index target shapes.</summary>
public static partial class Check
{
    /// <summary>
    /// The tensor must broadcast to <paramref name="shape"/> without changing it (trailing dimensions aligned; each of
    /// its sizes 1 or equal to the size it meets; no more dimensions than <paramref name="shape"/>).
    /// </summary>
    /// <param name="t">The tensor (for example a weight).</param>
    /// <param name="shape">The shape it must broadcast to.</param>
    /// <param name="loss">The loss, for the message.</param>
    /// <param name="arg">The argument's name.</param>
    /// <param name="what">What <paramref name="shape"/> is, in words (e.g. "the input's shape").</param>
    public static void BroadcastsTo(Tensor t, long[] shape, string loss, string arg, string what)
    {
        NotNull(t, loss, arg);
        var s = t.shape;
        bool ok = s.Length <= shape.Length;
        for (int i = 1; ok && i <= s.Length; i++)
        {
            long a = s[^i], b = shape[^i];
            ok = a == b || a == 1;
        }
        if (!ok)
            throw new ArgumentException($"{loss}: '{arg}' of shape {Shape(t)} must broadcast to {what} [{string.Join(", ", shape)}]", arg);
    }

    /// <summary>The two tensors' shapes must broadcast together (PyTorch's broadcasting rules).</summary>
    public static void MutuallyBroadcastable(Tensor a, string aName, Tensor b, string bName, string loss)
    {
        NotNull(a, loss, aName);
        NotNull(b, loss, bName);
        var x = a.shape;
        var y = b.shape;
        for (int i = 1; i <= Math.Min(x.Length, y.Length); i++)
        {
            long p = x[^i], q = y[^i];
            if (p != q && p != 1 && q != 1)
                throw new ArgumentException($"{loss}: '{bName}' of shape {Shape(b)} does not broadcast with '{aName}' of shape {Shape(a)}", bName);
        }
    }

    /// <summary>An optional per-class weight must be a floating-point vector with one entry per class.</summary>
    public static void ClassWeights(Tensor? weight, long numClasses, string loss, string arg = "weight")
    {
        if (weight is null) return;
        Floating(weight, loss, arg);
        if (weight.dim() != 1 || weight.shape[0] != numClasses)
            throw new ArgumentException($"{loss}: '{arg}' must be a vector of {numClasses} per-class weights (one per class), got shape {Shape(weight)}", arg);
    }

    /// <summary>
    /// Class-index targets for an input of shape (C), (N, C) or (N, C, d1, ..., dk): the target must have shape
    /// () , (N) or (N, d1, ..., dk) respectively, as PyTorch's <c>nll_loss</c> and <c>cross_entropy</c> require.
    /// </summary>
    public static void ClassIndexTargetShape(Tensor input, Tensor target, string loss, string arg = "target")
    {
        NotNull(target, loss, arg);
        long[] want = input.dim() == 1 ? Array.Empty<long>() : new[] { input.shape[0] }.Concat(input.shape.Skip(2)).ToArray();
        if (!target.shape.SequenceEqual(want))
        {
            string form = input.dim() == 1 ? "a 0-dimensional class index (unbatched input of shape (C))" : input.dim() == 2 ? "class indices of shape (N)" : "class indices of shape (N, d1, ..., dk)";
            throw new ArgumentException($"{loss}: '{arg}' must be {form} [{string.Join(", ", want)}] for input of shape {Shape(input)}, got shape {Shape(target)}", arg);
        }
    }
}
