using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>What a classifier-output tensor of shape (N, C) holds, for the metrics that accept either.</summary>
public enum MetricInput
{
    /// <summary>Unnormalised logits; the metric applies a (log-)softmax over the classes.</summary>
    Logits,
    /// <summary>Class probabilities in [0, 1], used as given (rows are not renormalised).</summary>
    Probabilities,
}

/// <summary>Shared by the registry entries of classifier metrics: they take <c>logits</c> or <c>probs</c>, and <c>labels</c>.</summary>
internal static class ClassifierMetricInputs
{
    public static IReadOnlyList<InputSpec> Specs { get; } =
    [
        InputSpec.Optional("logits", "(N, C) logits (give logits or probs)"),
        InputSpec.Optional("probs", "(N, C) class probabilities (give logits or probs)"),
        InputSpec.Data("labels", "(N) true classes"),
    ];

    /// <summary>The one classifier-output input given, and what it holds.</summary>
    public static (Tensor input, MetricInput kind) Pick(string owner, LossInputs x)
    {
        var logits = x.Optional("logits");
        var probs = x.Optional("probs");
        if ((logits is null) == (probs is null))
            throw new ArgumentException($"{owner}: give exactly one of the inputs 'logits' and 'probs'", logits is null ? "logits" : "probs");
        return logits is not null ? (logits, MetricInput.Logits) : (probs!, MetricInput.Probabilities);
    }

    /// <summary>Probabilities from the input given: softmax of logits, or the probabilities themselves.</summary>
    public static Tensor Probabilities(string owner, LossInputs x)
    {
        var (input, kind) = Pick(owner, x);
        if (kind == MetricInput.Probabilities) return input;
        Check.FiniteLogits(input, owner, "logits");
        return torch.softmax(input.detach().to_type(ScalarType.Float64), 1);
    }
}
