using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Autograd;

/// <summary>
/// Terms that a loss deliberately holds constant (a stop-gradient), such as IQ Loss's <c>phi'(r)</c> or the
/// detached coefficient of a policy-gradient loss. A loss calls <see cref="Hold"/> instead of <c>detach()</c>
/// for each such term, giving it the name its registry entry declares.
/// </summary>
/// <remarks>
/// Outside a <see cref="HeldTermRecorder"/>, <see cref="Hold"/> is exactly <c>value.detach()</c>. Gradient checks
/// record the held values at the point of evaluation and replay them while they perturb the inputs, so finite
/// differences differentiate the same surrogate that autograd does: a stop-gradient in the wrong place then fails
/// the check just as a wrong formula does.
/// </remarks>
public static class Surrogate
{
    [ThreadStatic] private static HeldTermRecorder? current;

    internal static HeldTermRecorder? Current { get => current; set => current = value; }

    /// <summary>Returns <paramref name="value"/> with no gradient flowing through it (a named stop-gradient).</summary>
    /// <param name="term">The held term's name, as declared in the loss's registry entry (e.g. <c>phi_prime</c>).</param>
    /// <param name="value">The term's value at the current inputs.</param>
    public static Tensor Hold(string term, Tensor value)
    {
        var rec = current;
        return rec is null ? value.detach() : rec.Apply(term, value);
    }
}

/// <summary>
/// Records the values of held terms (<see cref="Surrogate.Hold"/>) during one evaluation and replays them in later
/// evaluations, so that finite differences see the held terms frozen. Used by gradient checks.
/// </summary>
public sealed class HeldTermRecorder : IDisposable
{
    private readonly List<(string term, Tensor value)> recorded = new();
    private int cursor;
    private bool replaying;
    private readonly HeldTermRecorder? previous;

    private HeldTermRecorder()
    {
        previous = Surrogate.Current;
        Surrogate.Current = this;
    }

    /// <summary>Starts recording on this thread; dispose to stop.</summary>
    public static HeldTermRecorder Start() => new();

    /// <summary>The names of the terms held so far, in order.</summary>
    public IReadOnlyList<string> Terms => recorded.Select(r => r.term).ToList();

    /// <summary>From now on, <see cref="Surrogate.Hold"/> returns the recorded values, in the order they were recorded.</summary>
    public void Replay()
    {
        replaying = true;
        cursor = 0;
    }

    internal Tensor Apply(string term, Tensor value)
    {
        if (!replaying)
        {
            var copy = value.detach().clone();
            copy.DetachFromDisposeScope();
            recorded.Add((term, copy));
            return value.detach();
        }
        if (cursor >= recorded.Count)
            throw new InvalidOperationException($"held term '{term}' was not recorded at the point of evaluation");
        var (name, saved) = recorded[cursor++];
        if (name != term || !saved.shape.SequenceEqual(value.shape))
            throw new InvalidOperationException($"held term '{term}' {Check.Shape(value)} does not match the recorded '{name}' {Check.Shape(saved)}");
        return saved.to(value.dtype);
    }

    /// <summary>Rewinds replay to the first recorded term (call before each replayed evaluation).</summary>
    public void Rewind() => cursor = 0;

    /// <inheritdoc/>
    public void Dispose()
    {
        Surrogate.Current = previous;
        foreach (var (_, t) in recorded) t.Dispose();
        recorded.Clear();
    }
}
