using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>Checks shared by the metric-learning, contrastive and ranking losses: embeddings, group labels, masks, chunk sizes.</summary>
public static partial class Check
{
    /// <summary>Embeddings: a floating-point (N, D) tensor with at least one row and one column.</summary>
    public static void Embeddings(Tensor embeddings, string loss, string arg = "embeddings")
    {
        Floating(embeddings, loss, arg);
        Rank(embeddings, loss, arg, 2);
        if (embeddings.shape[0] == 0 || embeddings.shape[1] == 0)
            throw new ArgumentException($"{loss}: '{arg}' must hold at least one embedding of at least one dimension, got shape {Shape(embeddings)}", arg);
    }

    /// <summary>
    /// Group labels of a batch: an integer vector with one label per row of <paramref name="batch"/>, on its device. Any
    /// integer values are allowed (they only say which samples belong together).
    /// </summary>
    public static void GroupLabels(Tensor labels, Tensor batch, string batchName, string loss, string arg = "labels")
    {
        Integer(labels, loss, arg);
        Rank(labels, loss, arg, 1);
        SameBatch(batch, batchName, labels, arg, loss);
        SameDevice(loss, (batch, batchName), (labels, arg));
    }

    /// <summary>A chunk size: 0 (no chunking) or a positive number of rows.</summary>
    public static void ChunkSize(long chunkSize, string loss, string arg = "chunk_size") =>
        Param(chunkSize >= 0, loss, arg, ">= 0 (0: no chunking)", chunkSize);

    /// <summary>
    /// An optional validity mask of the shape of <paramref name="like"/>: bool, or numbers where nonzero means valid.
    /// </summary>
    public static void OptionalMask(Tensor? mask, Tensor like, string likeName, string loss, string arg = "mask")
    {
        if (mask is null) return;
        if (mask.dtype.IsComplex())
            throw new ArgumentException($"{loss}: '{arg}' must be a bool (or 0/1) tensor, got {mask.dtype}", arg);
        SameShape(like, likeName, mask, arg, loss);
        SameDevice(loss, (like, likeName), (mask, arg));
    }

    /// <summary>A real (floating or integer, not bool or complex) tensor.</summary>
    public static void Real(Tensor t, string loss, string arg)
    {
        NotNull(t, loss, arg);
        if (t.dtype == ScalarType.Bool || t.dtype.IsComplex())
            throw new ArgumentException($"{loss}: '{arg}' must be a real (floating or integer) tensor, got {t.dtype}", arg);
    }

    /// <summary>A scalar (0-dimensional or one-element) floating-point tensor.</summary>
    public static void ScalarTensor(Tensor t, string loss, string arg)
    {
        Floating(t, loss, arg);
        if (t.numel() != 1 || t.dim() > 1)
            throw new ArgumentException($"{loss}: '{arg}' must be a scalar tensor (shape [] or [1]), got shape {Shape(t)}", arg);
    }

    /// <summary>Integer class indices restricted to positions where <paramref name="valid"/> is true must lie in [0, <paramref name="numClasses"/>).</summary>
    public static void ClassIndicesWhere(Tensor target, Tensor valid, long numClasses, string loss, string arg)
    {
        Integer(target, loss, arg);
        if (target.numel() == 0) return;
        using var scope = NewDisposeScope();
        var t = target.masked_select(valid);
        if (t.numel() == 0) return;
        long lo = t.min().item<long>(), hi = t.max().item<long>();
        if (lo < 0 || hi >= numClasses)
            throw new ArgumentException($"{loss}: '{arg}' holds class indices in [{lo}, {hi}] at the positions it scores, but they must be in [0, {numClasses - 1}]", arg);
    }

    /// <summary>A scalar parameter must be a finite number &gt; 0.</summary>
    public static void PositiveFinite(double value, string loss, string arg) =>
        Param(value > 0 && double.IsFinite(value), loss, arg, "a finite number > 0", value);

    /// <summary>A scalar parameter must be a finite number &gt;= 0.</summary>
    public static void NonNegativeFinite(double value, string loss, string arg) =>
        Param(value >= 0 && double.IsFinite(value), loss, arg, "a finite number >= 0", value);

    /// <summary>A scalar parameter must be a finite number.</summary>
    public static void FiniteParam(double value, string loss, string arg) =>
        Param(double.IsFinite(value), loss, arg, "a finite number", value);
}
