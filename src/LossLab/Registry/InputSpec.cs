namespace LossLab.Registry;

/// <summary>One tensor input of a registered loss or metric.</summary>
/// <param name="Name">Its name (PyTorch's: input, target, weight, ...).</param>
/// <param name="Shape">The expected shape, in words (e.g. <c>(N, C) logits</c>).</param>
/// <param name="Required">Whether it must be given.</param>
/// <param name="Differentiable">Whether gradients flow to it (gradcheck checks them when it is floating-point).</param>
public sealed record InputSpec(string Name, string Shape, bool Required = true, bool Differentiable = false)
{
    /// <summary>A required input that gradients flow to.</summary>
    public static InputSpec Grad(string name, string shape) => new(name, shape, true, true);
    /// <summary>A required input with no gradient (labels, targets).</summary>
    public static InputSpec Data(string name, string shape) => new(name, shape, true, false);
    /// <summary>An optional input with no gradient (class weights).</summary>
    public static InputSpec Optional(string name, string shape) => new(name, shape, false, false);
}
