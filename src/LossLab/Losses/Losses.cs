namespace LossLab;

/// <summary>
/// Every LossLab loss as a plain function over TorchSharp tensors, in the spirit of <c>torch.nn.functional</c>:
/// <c>using static LossLab.Losses;</c> then <c>focal_loss(logits, labels, gamma: 3)</c>. Parameter names and defaults
/// follow PyTorch where PyTorch has the loss. Each function lives in the file named after its loss, beside its
/// module class and its registry entry.
/// </summary>
public static partial class Losses
{
}
