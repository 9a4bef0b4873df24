namespace LossLab;

/// <summary>
/// Metrics over model outputs (calibration, out-of-distribution detection), as plain functions over TorchSharp
/// tensors. Each returns a float64 scalar tensor (or plain numbers, where documented) and holds no gradient.
/// </summary>
public static partial class Metrics
{
}
