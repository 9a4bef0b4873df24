using static TorchSharp.torch;

namespace LossLab.Kernels;

/// <summary>Raw access to the memory of contiguous CPU tensors, for the fused kernels.</summary>
internal static class Native
{
    /// <summary>A pointer to the first element of a contiguous CPU tensor (its memory is native, so the GC never moves it).</summary>
    /// <exception cref="ArgumentException">The tensor is not on the CPU or not contiguous.</exception>
    public static unsafe T* Ptr<T>(Tensor t) where T : unmanaged
    {
        if (t.device_type != TorchSharp.DeviceType.CPU || !t.is_contiguous())
            throw new ArgumentException("fused kernels need contiguous CPU tensors");
        if (t.numel() == 0) return null;
        fixed (byte* p = t.bytes) return (T*)p;
    }
}
