using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Tests.Support;

/// <summary>Small helpers for building tensors and comparing them with independently computed values.</summary>
internal static class T
{
    /// <summary>A float64 tensor from values and a shape.</summary>
    public static Tensor F64(double[] data, params long[] shape) => torch.tensor(data, dtype: ScalarType.Float64).reshape(shape.Length == 0 ? new long[] { data.Length } : shape);

    /// <summary>A float32 tensor from values and a shape.</summary>
    public static Tensor F32(float[] data, params long[] shape) => torch.tensor(data, dtype: ScalarType.Float32).reshape(shape.Length == 0 ? new long[] { data.Length } : shape);

    /// <summary>An int64 tensor of class indices.</summary>
    public static Tensor I64(params long[] data) => torch.tensor(data, dtype: ScalarType.Int64);

    /// <summary>The values of a tensor as doubles (row-major).</summary>
    public static double[] Values(Tensor t) => t.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    /// <summary>A scalar tensor's value.</summary>
    public static double Scalar(Tensor t) => t.detach().to_type(ScalarType.Float64).item<double>();

    /// <summary>Asserts element-wise <c>|got - want| &lt;= atol + rtol * |want|</c>.</summary>
    public static void Close(double[] want, Tensor got, double rtol = 1e-9, double atol = 1e-12)
    {
        var g = Values(got);
        Xunit.Assert.Equal(want.Length, g.Length);
        for (int i = 0; i < g.Length; i++)
            Xunit.Assert.True(Math.Abs(g[i] - want[i]) <= atol + rtol * Math.Abs(want[i]), $"entry {i}: got {g[i]:R}, want {want[i]:R}");
    }

    /// <summary>Asserts a scalar <c>|got - want| &lt;= atol + rtol * |want|</c>.</summary>
    public static void Close(double want, Tensor got, double rtol = 1e-9, double atol = 1e-12) => Close(new[] { want }, got.reshape(-1), rtol, atol);

    /// <summary>Asserts that every value is finite.</summary>
    public static void Finite(Tensor t, string what = "tensor")
    {
        var v = Values(t);
        Xunit.Assert.True(v.All(double.IsFinite), $"{what} has a non-finite value");
    }

    /// <summary>The gradient of <c>sum(f(x))</c> with respect to x.</summary>
    public static Tensor Grad(Func<Tensor, Tensor> f, Tensor x)
    {
        var leaf = x.detach().clone().requires_grad_(true);
        var y = f(leaf).sum();
        return torch.autograd.grad(new List<Tensor> { y }, new List<Tensor> { leaf })[0];
    }
}
