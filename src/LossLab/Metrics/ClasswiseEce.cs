using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Metrics
{
    /// <summary>
    /// Classwise ECE (static calibration error; Kull et al. 2019, Nixon et al. 2019, as Mukhoti et al. 2020's
    /// <c>ClasswiseECELoss</c>): for every class c, the ECE of the class-c probabilities <c>p_ic</c> against the event
    /// <c>[y_i = c]</c> over equal-width bins, then the mean over classes:
    /// <c>cwECE = (1/C) sum_c sum_m |B_cm|/N * |freq_c(B_cm) - conf_c(B_cm)|</c>.
    /// </summary>
    /// <remarks>
    /// <para>Bins and edges as <see cref="ece(Tensor, Tensor, long)"/>: <c>((m-1)/M, m/M]</c>, edges <c>m * (1/M)</c> with
    /// the last exactly 1, a value on an edge belonging to the bin it closes, and a probability of exactly 0 put in the
    /// first bin (the reference's <c>gt(0)</c> would leave it out; with softmax outputs, which are never 0 unless they
    /// underflow, the two agree). Empty bins contribute nothing.</para>
    /// <para>The mean is over all C columns of <paramref name="probs"/>. Mukhoti et al.'s code takes the number of
    /// classes as <c>max(labels) + 1</c>, which is C whenever the last class occurs among the labels; when it does not,
    /// the reference leaves the last columns out and this function does not.</para>
    /// <para>O(N C) with one bucketize and one bin count over all (class, bin) pairs, in float64 on the input's device; a
    /// float64 scalar holding no gradient.</para>
    /// <code>
    /// double cw = Metrics.classwise_ece(torch.softmax(logits, 1), labels).item&lt;double&gt;();
    /// </code>
    /// </remarks>
    /// <param name="probs">Class probabilities, shape (N, C), floating, values in [0, 1].</param>
    /// <param name="labels">True classes, shape (N), integer in [0, C).</param>
    /// <param name="n_bins">The number of equal-width bins M, at least 1.</param>
    /// <returns>A float64 scalar in [0, 1].</returns>
    /// <exception cref="ArgumentException">Bad shapes or dtypes, values outside [0, 1] or NaN, labels out of range, no samples.</exception>
    public static Tensor classwise_ece(Tensor probs, Tensor labels, long n_bins = 15)
    {
        const string name = "classwise_ece";
        Check.ClassifierOutputs(probs, nameof(probs), labels, nameof(labels), name);
        Check.Param(n_bins >= 1, name, nameof(n_bins), ">= 1", n_bins);
        Check.InRange(probs, 0.0, 1.0, name, nameof(probs));
        using var scope = NewDisposeScope();
        var p = probs.detach().to_type(ScalarType.Float64);
        long n = p.shape[0], c = p.shape[1];
        var onehot = torch.nn.functional.one_hot(labels.detach().to_type(ScalarType.Int64), c).to_type(ScalarType.Float64);
        var bin = EqualWidthBin(p, n_bins);
        var key = (bin + torch.arange(c, dtype: ScalarType.Int64, device: p.device).unsqueeze(0) * n_bins).reshape(-1);
        var confSum = torch.bincount(key, p.reshape(-1), c * n_bins);
        var hitSum = torch.bincount(key, onehot.reshape(-1), c * n_bins);
        var perClass = (confSum - hitSum).abs().reshape(c, n_bins).sum(1) / n;
        return perClass.mean().MoveToOuterDisposeScope();
    }

    /// <summary>The equal-width edges m * (1/M), the last exactly 1, as numpy's linspace(0, 1, M + 1) gives them.</summary>
    internal static double[] EqualWidthEdges(long nBins)
    {
        var edges = new double[nBins + 1];
        double step = 1.0 / nBins;
        for (long m = 0; m < nBins; m++) edges[m] = m * step;
        edges[nBins] = 1.0;
        return edges;
    }

    /// <summary>The bin ((m-1)/M, m/M] of every value in [0, 1] (0 in the first), int64, same shape.</summary>
    internal static Tensor EqualWidthBin(Tensor values, long nBins)
    {
        using var scope = NewDisposeScope();
        var boundaries = torch.tensor(EqualWidthEdges(nBins), dtype: ScalarType.Float64, device: values.device);
        // bucketize (right = false) gives i with edges[i-1] < x <= edges[i]: bin i - 1; x = 0 gives 0, kept in bin 0.
        return (torch.bucketize(values, boundaries, right: false) - 1).clamp(0, nBins - 1).MoveToOuterDisposeScope();
    }
}

internal sealed class ClasswiseEceDefinition : MetricDefinition
{
    public override string Name => "classwise_ece";
    public override string Family => "calibration";
    public override string Summary => "Classwise ECE: per class, the ECE of p_c against [y = c] over equal-width bins, averaged over classes.";
    public override string Math => "cwECE = (1/C) sum_c sum_m |B_cm|/N |(1/|B_cm|) sum_{i in B_cm} [y_i = c] - (1/|B_cm|) sum_{i in B_cm} p_ic|, bins ((m-1)/M, m/M] over p_ic";
    public override string Reference => "Mukhoti et al. 2020 (ClasswiseECELoss); Kull et al. 2019, Beyond temperature scaling";
    public override string Function => "Metrics.classwise_ece";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Int("n_bins", 15, "number of equal-width bins per class", min: 1),
    ];
    public override IReadOnlyList<InputSpec> Inputs => ClassifierMetricInputs.Specs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Metrics.classwise_ece(ClassifierMetricInputs.Probabilities(Name, x), x.Required("labels"), p.Int("n_bins"));
}
