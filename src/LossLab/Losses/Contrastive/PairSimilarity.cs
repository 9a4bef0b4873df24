using static TorchSharp.torch;

namespace LossLab;

/// <summary>How two embeddings are compared by the in-batch contrastive losses (sentence-transformers' similarity functions).</summary>
public enum PairSimilarity
{
    /// <summary>Cosine similarity (<c>cosine</c>, sentence-transformers' <c>cos_sim</c>): rows normalised with <c>x / max(||x||, 1e-12)</c>, then dot products.</summary>
    Cosine,
    /// <summary>Dot product (<c>dot_product</c>, sentence-transformers' <c>dot_score</c>).</summary>
    DotProduct,
}

/// <summary>The registry names of <see cref="PairSimilarity"/> values and the similarity matrices they give.</summary>
public static class PairSimilarityNames
{
    /// <summary>The registry name (cosine, dot_product).</summary>
    public static string ToName(this PairSimilarity s) => s switch
    {
        PairSimilarity.Cosine => "cosine",
        PairSimilarity.DotProduct => "dot_product",
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, "unknown similarity"),
    };

    /// <summary>Every similarity's registry name.</summary>
    public static IReadOnlyList<string> All { get; } = Enum.GetValues<PairSimilarity>().Select(ToName).ToArray();

    /// <summary>Parses a registry name (cosine, cos_sim; dot_product, dot, dot_score).</summary>
    /// <exception cref="ArgumentException">Not a known name.</exception>
    public static PairSimilarity Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "cosine" or "cos_sim" or "cos" => PairSimilarity.Cosine,
        "dot_product" or "dot" or "dot_score" => PairSimilarity.DotProduct,
        _ => throw new ArgumentException($"similarity must be one of {string.Join(", ", All)}; got '{name}'", nameof(name)),
    };

    /// <summary>The (N, M) matrix of similarities between the rows of <paramref name="a"/> (N, D) and <paramref name="b"/> (M, D).</summary>
    public static Tensor Matrix(this PairSimilarity s, Tensor a, Tensor b)
    {
        switch (s)
        {
            case PairSimilarity.Cosine:
                {
                    using var scope = NewDisposeScope();
                    var an = nn.functional.normalize(a, 2, 1, 1e-12);
                    var bn = nn.functional.normalize(b, 2, 1, 1e-12);
                    return an.mm(bn.t()).MoveToOuterDisposeScope();
                }
            case PairSimilarity.DotProduct: return a.mm(b.t());
            default: throw new ArgumentOutOfRangeException(nameof(s), s, "unknown similarity");
        }
    }
}
