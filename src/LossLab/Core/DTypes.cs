using static TorchSharp.torch;

namespace LossLab;

/// <summary>Questions about TorchSharp dtypes.</summary>
public static class DTypes
{
    /// <summary>Whether the dtype is a real floating-point type (float16, bfloat16, float32, float64).</summary>
    public static bool IsFloatingPoint(this ScalarType t) =>
        t is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    /// <summary>Whether the dtype is complex.</summary>
    public static bool IsComplex(this ScalarType t) =>
        t is ScalarType.ComplexFloat32 or ScalarType.ComplexFloat64;
}
