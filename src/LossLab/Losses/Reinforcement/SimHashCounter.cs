using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>
/// The hashed state counts of count-based exploration (Tang et al. 2017, "#Exploration: A Study of Count-Based
/// Exploration for Deep Reinforcement Learning", section 2.2): states are hashed with SimHash,
/// <c>phi(s) = sgn(A g(s))</c> with A a fixed k x D matrix of standard normal entries, and a table counts how often each
/// k-bit code has been seen. <see cref="CountBonus.FromCounts"/> turns the counts into the bonus <c>beta / sqrt(n(phi(s)))</c>.
/// </summary>
/// <remarks>
/// <para>The preprocessing g of the paper (downsampling, BASS features, a learned autoencoder's binary codes) is the
/// caller's: pass g(s) as the states, (N, D) or (N, ...) (flattened to (N, D)). k sets the granularity: more bits
/// separate more states (the paper's k is 16 to 512; 64 is a common choice for low-dimensional states).
/// <c>sgn</c> maps a projection &gt; 0 to bit 1 and &lt;= 0 to bit 0.</para>
/// <para>The projection is drawn once from a generator seeded with the given seed (the same seed gives the same
/// hash) and hashing runs on the CPU in float64. The table is plain C# (not thread-safe); it only grows until
/// <see cref="Reset"/>. Counting is not differentiable: the states carry no gradient through it.</para>
/// <para>Algorithm 1 of the paper, per batch: <see cref="Update"/> adds every state of the batch to the table and returns
/// each state's count after the whole batch, from which the bonus is computed.</para>
/// <code>
/// var counter = new SimHashCounter(stateSize: 8, bits: 64, seed: 0);
/// var counts = counter.Update(states);                          // (N) int64, each &gt;= 1
/// var bonus = CountBonus.FromCounts(counts, beta: 0.01);         // (N): beta / sqrt(n)
/// var loss = Losses.count_bonus_loss(values, rewards, nextValues, counts, dones, beta: 0.01);
/// </code>
/// </remarks>
public sealed class SimHashCounter
{
    private readonly Tensor projection;
    private readonly Dictionary<string, long> counts = new();

    /// <summary>Creates a counter with a fresh seeded projection.</summary>
    /// <param name="stateSize">D, the number of features of a (flattened) state, &gt;= 1.</param>
    /// <param name="bits">k, the number of hash bits, &gt;= 1.</param>
    /// <param name="seed">Seeds the Gaussian projection A.</param>
    public SimHashCounter(long stateSize, int bits = 64, ulong seed = 0)
    {
        const string name = nameof(SimHashCounter);
        Check.Param(stateSize >= 1, name, nameof(stateSize), ">= 1", stateSize);
        Check.Param(bits >= 1, name, nameof(bits), ">= 1", bits);
        StateSize = stateSize;
        Bits = bits;
        var generator = new Generator(seed);
        projection = torch.randn(new[] { (long)bits, stateSize }, dtype: ScalarType.Float64, generator: generator);
        projection.DetachFromDisposeScope();
    }

    /// <summary>D, the number of features of a state.</summary>
    public long StateSize { get; }

    /// <summary>k, the number of hash bits.</summary>
    public int Bits { get; }

    /// <summary>How many distinct codes have been counted.</summary>
    public int DistinctCodes => counts.Count;

    /// <summary>A copy of the projection A, (k, D), float64.</summary>
    public Tensor Projection => projection.clone();

    /// <summary>The codes <c>sgn(A s)</c> of the states as 0/1 bits, (N, k) bool.</summary>
    /// <param name="states">g(s), (N, D) or (N, ...) with D features per state.</param>
    public Tensor Codes(Tensor states) => CodesOf(states, nameof(Codes));

    private Tensor CodesOf(Tensor states, string method)
    {
        CheckStates(states, method);
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var flat = states.detach().reshape(states.shape[0], -1).to(CPU).to_type(ScalarType.Float64);
        return flat.mm(projection.t()).gt(0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Counts every state of the batch, then returns each state's count after the whole batch (Algorithm 1: states that
    /// share a code within the batch all see the batch's increments). Every returned count is &gt;= 1.
    /// </summary>
    /// <param name="states">g(s), (N, D) or (N, ...).</param>
    /// <returns>(N) int64 counts, on the CPU.</returns>
    public Tensor Update(Tensor states)
    {
        var keys = Keys(states, nameof(Update));
        foreach (var key in keys) counts[key] = counts.GetValueOrDefault(key) + 1;
        return Lookup(keys);
    }

    /// <summary>Each state's current count, without counting it (0 for a code never seen).</summary>
    /// <param name="states">g(s), (N, D) or (N, ...).</param>
    /// <returns>(N) int64 counts, on the CPU.</returns>
    public Tensor Counts(Tensor states) => Lookup(Keys(states, nameof(Counts)));

    /// <summary>
    /// The bonus <c>beta / sqrt(max(n, 1))</c> of each state from its current count, without counting it; a code never seen
    /// gets the largest bonus, beta. For Algorithm 1 use <see cref="Update"/> and <see cref="CountBonus.FromCounts"/>.
    /// </summary>
    /// <param name="states">g(s), (N, D) or (N, ...).</param>
    /// <param name="beta">The bonus coefficient, &gt;= 0.</param>
    /// <returns>(N) float64, no gradient.</returns>
    public Tensor Bonus(Tensor states, double beta = 0.01) => CountBonus.FromCounts(Counts(states), beta);

    /// <summary>Forgets every count (the projection stays).</summary>
    public void Reset() => counts.Clear();

    private string[] Keys(Tensor states, string method)
    {
        using var scope = NewDisposeScope();
        var bits = CodesOf(states, method);
        long n = bits.shape[0];
        var flat = bits.contiguous().data<bool>().ToArray();
        var keys = new string[n];
        var packed = new byte[(Bits + 7) / 8];
        for (long i = 0; i < n; i++)
        {
            Array.Clear(packed);
            for (int b = 0; b < Bits; b++)
                if (flat[i * Bits + b]) packed[b >> 3] |= (byte)(1 << (b & 7));
            keys[i] = Convert.ToBase64String(packed);
        }
        return keys;
    }

    private Tensor Lookup(string[] keys) => torch.tensor(keys.Select(k => counts.GetValueOrDefault(k)).ToArray(), dtype: ScalarType.Int64);

    private void CheckStates(Tensor states, string method)
    {
        string name = $"{nameof(SimHashCounter)}.{method}";
        Check.NotNull(states, name, "states");
        if (states.dtype.IsComplex() || states.dtype == ScalarType.Bool)
            throw new ArgumentException($"{name}: 'states' must be a real tensor, got {states.dtype}", "states");
        Check.MinRank(states, name, "states", 1);
        Check.NaNFree(states, name, "states");
        long features = states.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        if (features != StateSize)
            throw new ArgumentException($"{name}: 'states' must hold D = {StateSize} features per state (shape (N, {StateSize}) or (N, ...) of that size), got {Check.Shape(states)}", "states");
    }
}
