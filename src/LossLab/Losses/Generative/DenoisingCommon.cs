using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>What the denoising and flow losses share: per-sample squared errors, per-sample weights and alpha_bar checks.</summary>
internal static class DenoisingCommon
{
    /// <summary>Checks a prediction and its target: floating, same shape, non-empty, at least one dimension (the batch).</summary>
    public static void CheckPair(Tensor input, Tensor target, string name, string targetName = "target")
    {
        Check.ElementwisePair(input, target, name, "input", targetName);
        Check.MinRank(input, name, "input", 1);
        Check.HasSamples(input, name, "input");
    }

    /// <summary>Checks a per-sample quantity in [0, 1] (alpha_bar_t, a flow time t): floating, (N), values in [0, 1].</summary>
    public static void CheckUnitPerSample(Tensor v, long n, string name, string arg = "alpha_bar", string what = "cumulative product alpha_bar_t")
    {
        Check.Floating(v, name, arg);
        if (v.dim() != 1 || v.shape[0] != n)
            throw new ArgumentException($"{name}: '{arg}' must hold one {what} per sample, shape [{n}], got {Check.Shape(v)}", arg);
        Check.InRange(v, 0, 1, name, arg);
    }

    /// <summary>The largest value of a non-empty tensor, as a double.</summary>
    public static double MaxOf(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().max().to_type(ScalarType.Float64).item<double>();
    }

    /// <summary>A per-sample vector (N) reshaped to broadcast against <paramref name="like"/> (N, ...).</summary>
    public static Tensor PerSample(Tensor v, Tensor like)
    {
        var shape = new long[Math.Max(1, like.dim())];
        shape[0] = -1;
        for (int i = 1; i < shape.Length; i++) shape[i] = 1;
        return v.to_type(like.dtype).reshape(shape);
    }

    /// <summary>
    /// The mean over all but the first dimension of <c>(input - target)^2</c> (the "mean_flat" of the diffusion codebases),
    /// times the per-sample weight when given, then the reduction over the batch.
    /// </summary>
    public static Tensor WeightedSampleMse(Tensor input, Tensor target, Tensor? weight, Reduction reduction, string name)
    {
        var sq = (input - target).square();
        var perSample = sq.dim() == 1 ? sq : sq.reshape(sq.shape[0], -1).mean(new long[] { 1 });
        if (weight is not null) perSample = perSample * weight.to_type(perSample.dtype);
        return Reduce.Apply(perSample, reduction, name);
    }

    /// <summary>The usual checks of the weight and the reduction of a per-sample squared-error loss.</summary>
    public static void CheckWeightAndReduction(Tensor input, Tensor? weight, Reduction reduction, string name, params (Tensor? t, string name)[] others)
    {
        Check.SampleWeights(weight, input.shape[0], name);
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, others.Prepend((input, "input")).Append((weight, "weight")).ToArray());
    }

    /// <summary>The optional per-sample weight input of a denoising loss's registry entry.</summary>
    public static InputSpec WeightInput => InputSpec.Optional("weight", "(N) per-sample weights (e.g. importance weights of the sampled timesteps)");

    /// <summary>
    /// Gradcheck inputs of a denoising loss: standard normals of <paramref name="shape"/> under each of
    /// <paramref name="normals"/>, then per-sample alpha_bar in (0.05, 0.95) and weights in (0.2, 2) on request.
    /// </summary>
    public static Func<Generator, Dictionary<string, Tensor>> GradcheckInputs(long[] shape, bool weighted, bool alphaBar, params string[] normals) => g =>
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var n in normals) d[n] = Sample.Normal(g, shape);
        if (alphaBar) d["alpha_bar"] = Sample.Uniform(g, [shape[0]], 0.05, 0.95);
        if (weighted) d["weight"] = Sample.Uniform(g, [shape[0]], 0.2, 2);
        return d;
    };
}
