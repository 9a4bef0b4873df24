using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Core;

/// <summary><see cref="Check.ClassIndices"/>: the loop over a contiguous CPU int64 or int32 tensor's memory and the
/// tensor path (any other tensor) accept and reject the same targets, with the same message.</summary>
public class CheckClassIndicesTests
{
    private static string? Error(Tensor target, long classes, long? ignore)
    {
        try
        {
            Check.ClassIndices(target, classes, "cross_entropy", "target", ignore);
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>The same values as a contiguous int64, a contiguous int32, a strided int64 view (the tensor path) and
    /// an int16 tensor (the tensor path).</summary>
    private static IEnumerable<Tensor> Forms(long[] values)
    {
        var t = torch.tensor(values);
        yield return t;
        yield return t.to_type(ScalarType.Int32);
        var doubled = torch.stack(new[] { t, torch.zeros_like(t) }, 1).select(1, 0);   // stride 2: not contiguous
        Assert.False(doubled.is_contiguous());
        yield return doubled;
        yield return t.to_type(ScalarType.Int16);
    }

    [Theory]
    [InlineData(new long[] { 0, 4, 2 }, null, null)]
    [InlineData(new long[] { 0, 5, 2 }, null, "in [0, 5] but must be in [0, 4]")]
    [InlineData(new long[] { -1, 3 }, null, "in [-1, 3] but must be in [0, 4]")]
    [InlineData(new long[] { -100, 3, -100 }, -100L, null)]
    [InlineData(new long[] { -100, -100 }, -100L, null)]
    [InlineData(new long[] { -100, 7, 1 }, -100L, "in [1, 7] but must be in [0, 4] (or -100, the ignore_index)")]
    [InlineData(new long[] { -100, 2 }, 2L, "in [-100, -100] but must be in [0, 4] (or 2, the ignore_index)")]
    public void EveryFormAcceptsAndRejectsTheSameTargets(long[] values, long? ignore, string? expected)
    {
        foreach (var form in Forms(values))
        {
            var message = Error(form, 5, ignore);
            if (expected is null) Assert.Null(message);
            else Assert.Contains(expected, message);
        }
    }

    [Fact]
    public void CrossEntropyRejectsAnIndexPastTheLastClassBeforeAnyKernel()
    {
        var x = torch.randn(4, 3);
        var e = Assert.Throws<ArgumentException>(() => LossLab.Losses.cross_entropy(x, torch.tensor(new long[] { 0, 1, 3, 2 })));
        Assert.Contains("'target' holds class indices in [0, 3] but must be in [0, 2]", e.Message);
        Assert.Equal(0f, LossLab.Losses.cross_entropy(x, torch.tensor(new long[] { -100, -100, -100, -100 }), reduction: Reduction.Sum).item<float>());
    }
}
