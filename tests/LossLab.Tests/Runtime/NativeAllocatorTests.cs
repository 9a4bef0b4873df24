using LossLab.Runtime;
using Xunit;

namespace LossLab.Tests.Runtime;

/// <summary>
/// <see cref="NativeAllocator"/>'s argument checks. The settings themselves are process-wide and cannot be undone, so
/// no test applies them (the benchmarks' allocator comparison measures them in processes of their own).
/// </summary>
public class NativeAllocatorTests
{
    [Theory]
    [InlineData(-1L, 0L, "mmapThresholdBytes")]
    [InlineData(1L << 31, 0L, "mmapThresholdBytes")]
    [InlineData(0L, -5L, "trimThresholdBytes")]
    [InlineData(0L, 1L << 40, "trimThresholdBytes")]
    public void RejectsThresholdsOutsideTheIntRangeBeforeTouchingTheAllocator(long mmap, long trim, string argument)
    {
        var before = NativeAllocator.Current;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => NativeAllocator.Configure(mmap, trim));
        Assert.Equal(argument, e.ParamName);
        Assert.Contains(argument, e.Message, StringComparison.Ordinal);
        Assert.Equal(before, NativeAllocator.Current);
    }

    [Fact]
    public void RejectsANegativeArenaLimit()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => NativeAllocator.Configure(arenaMax: -1));
        Assert.Equal("arenaMax", e.ParamName);
    }

    [Fact]
    public void TrimIsSafeToCallAndReportsNothingWhereUnsupported()
    {
        bool returned = NativeAllocator.Trim();
        if (!NativeAllocator.IsSupported) Assert.False(returned);
    }
}
