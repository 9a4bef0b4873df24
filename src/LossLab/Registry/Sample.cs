using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Registry;

/// <summary>Generators of float64 inputs for gradient checks and examples, all driven by a seeded generator.</summary>
public static class Sample
{
    /// <summary>Standard normal values times <paramref name="scale"/>.</summary>
    public static Tensor Normal(Generator g, long[] shape, double scale = 1.0) => torch.randn(shape, dtype: ScalarType.Float64, generator: g) * scale;

    /// <summary>Uniform values in [lo, hi).</summary>
    public static Tensor Uniform(Generator g, long[] shape, double lo, double hi) => torch.rand(shape, dtype: ScalarType.Float64, generator: g) * (hi - lo) + lo;

    /// <summary>Class indices in [0, classes).</summary>
    public static Tensor Labels(Generator g, long n, long classes) => torch.randint(0, classes, new[] { n }, dtype: ScalarType.Int64, generator: g);

    /// <summary>Rows of probabilities summing to 1 (softmax of normals).</summary>
    public static Tensor Simplex(Generator g, long n, long classes) => torch.softmax(Normal(g, new[] { n, classes }), 1);

    /// <summary>0/1 values as float64.</summary>
    public static Tensor Binary(Generator g, long[] shape) => torch.randint(0, 2, shape, dtype: ScalarType.Float64, generator: g);

    /// <summary>-1/+1 values as float64.</summary>
    public static Tensor Signs(Generator g, long[] shape) => Binary(g, shape) * 2 - 1;

    /// <summary>Group labels for n samples with every group holding at least two members (n even).</summary>
    public static Tensor Groups(Generator g, long n, long groups)
    {
        var ids = torch.arange(n, dtype: ScalarType.Int64) % groups;
        var perm = torch.randperm(n, generator: g);
        return ids[perm];
    }
}
