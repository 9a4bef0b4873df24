using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Reinforcement;

public class SimHashCounterTests
{
    /// <summary>sgn(A s) in plain doubles: bit b is 1 when sum_d A[b, d] s[d] &gt; 0.</summary>
    private static bool[] Code(double[] a, int bits, double[] s)
    {
        var code = new bool[bits];
        for (int b = 0; b < bits; b++)
        {
            double dot = 0;
            for (int d = 0; d < s.Length; d++) dot += a[b * s.Length + d] * s[d];
            code[b] = dot > 0;
        }
        return code;
    }

    private static double[][] RandomStates(int n, int d, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble() * 2 - 1).ToArray()).ToArray();
    }

    private static Tensor Stack(double[][] rows) => T.F64(rows.SelectMany(r => r).ToArray(), rows.Length, rows[0].Length);

    [Fact]
    public void CodesAreTheSignsOfTheGaussianProjection()
    {
        var counter = new SimHashCounter(stateSize: 3, bits: 5, seed: 7);
        var a = T.Values(counter.Projection);
        Assert.Equal(15, a.Length);
        var states = RandomStates(6, 3, 1);
        var codes = counter.Codes(Stack(states));
        Assert.Equal(new long[] { 6, 5 }, codes.shape);
        var got = codes.data<bool>().ToArray();
        for (int i = 0; i < 6; i++)
            Assert.Equal(Code(a, 5, states[i]), got.Skip(i * 5).Take(5).ToArray());
        // SimHash is invariant to positive scaling; negation flips every bit (no projection is exactly 0 here).
        Assert.Equal(got, counter.Codes(Stack(states) * 3.5).data<bool>().ToArray());
        Assert.Equal(got.Select(b => !b).ToArray(), counter.Codes(-Stack(states)).data<bool>().ToArray());
    }

    [Fact]
    public void TheSameSeedGivesTheSameHashAndTheProjectionIsStandardNormal()
    {
        var one = T.Values(new SimHashCounter(4, 64, seed: 3).Projection);
        Assert.Equal(one, T.Values(new SimHashCounter(4, 64, seed: 3).Projection));
        Assert.NotEqual(one, T.Values(new SimHashCounter(4, 64, seed: 4).Projection));
        double mean = one.Average(), variance = one.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -0.3, 0.3);
        Assert.InRange(variance, 0.7, 1.3);
    }

    [Fact]
    public void UpdateCountsTheWholeBatchThenReturnsCountsAsAlgorithmOne()
    {
        // Two bits: at most four codes, so random states collide; the expected counts come from grouping the codes by hand.
        var counter = new SimHashCounter(stateSize: 3, bits: 2, seed: 11);
        var a = T.Values(counter.Projection);
        var first = RandomStates(12, 3, 2);
        var second = RandomStates(5, 3, 3);
        string Key(double[] s) => string.Concat(Code(a, 2, s).Select(b => b ? '1' : '0'));
        var table = new Dictionary<string, long>();
        foreach (var s in first) table[Key(s)] = table.GetValueOrDefault(Key(s)) + 1;
        Assert.Equal(first.Select(s => (double)table[Key(s)]).ToArray(), T.Values(counter.Update(Stack(first))));
        Assert.Equal(table.Count, counter.DistinctCodes);
        // Counts without counting, then a second batch.
        Assert.Equal(second.Select(s => (double)table.GetValueOrDefault(Key(s))).ToArray(), T.Values(counter.Counts(Stack(second))));
        foreach (var s in second) table[Key(s)] = table.GetValueOrDefault(Key(s)) + 1;
        var counts = counter.Update(Stack(second));
        Assert.Equal(ScalarType.Int64, counts.dtype);
        Assert.Equal(second.Select(s => (double)table[Key(s)]).ToArray(), T.Values(counts));
        counter.Reset();
        Assert.Equal(0, counter.DistinctCodes);
        Assert.All(T.Values(counter.Counts(Stack(first))), c => Assert.Equal(0.0, c));
    }

    [Fact]
    public void DuplicatesInOneBatchAllSeeTheBatchsIncrementsAndBonusFollowsTheCount()
    {
        var counter = new SimHashCounter(stateSize: 4, bits: 64, seed: 0);
        var s1 = new[] { 0.3, -1.2, 0.7, 2.0 };
        var s2 = new[] { -0.5, 0.1, 1.1, -0.9 };
        T.Close(new[] { 2.0, 2.0, 1.0 }, counter.Update(Stack(new[] { s1, s1, s2 })));
        T.Close(new[] { 3.0 }, counter.Update(Stack(new[] { s1 })));
        var unseen = new[] { 5.0, 5.0, -5.0, 0.2 };
        T.Close(new[] { 0.1 / Math.Sqrt(3), 0.1, 0.1 }, counter.Bonus(Stack(new[] { s1, s2, unseen }), beta: 0.1), 1e-12);
        // (N, ...) states are flattened: (2, 2, 2) with D = 4.
        var shaped = T.F64(s1.Concat(s2).ToArray(), 2, 2, 2);
        T.Close(new[] { 3.0, 1.0 }, counter.Counts(shaped));
        Assert.False(counter.Bonus(Stack(new[] { s1 }).requires_grad_(true)).requires_grad);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var counter = new SimHashCounter(3, 8);
        Assert.Contains("states", Assert.Throws<ArgumentException>(() => counter.Update(torch.zeros(2, 4, dtype: ScalarType.Float64))).Message);
        Assert.Contains("states", Assert.Throws<ArgumentException>(() => counter.Codes(torch.tensor(new[] { 0.0, double.NaN, 1.0 }).reshape(1, 3))).Message);
        Assert.Contains("states", Assert.Throws<ArgumentException>(() => counter.Counts(torch.zeros(2, 3, dtype: ScalarType.Bool))).Message);
        Assert.Contains("bits", Assert.Throws<ArgumentOutOfRangeException>(() => new SimHashCounter(3, 0)).Message);
        Assert.Contains("stateSize", Assert.Throws<ArgumentOutOfRangeException>(() => new SimHashCounter(0, 8)).Message);
    }
}
