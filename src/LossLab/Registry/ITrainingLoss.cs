using static TorchSharp.torch;

namespace LossLab.Registry;

/// <summary>
/// A loss as the trainer uses it: called on (logits, targets), reporting its named terms, and told the training step
/// (for scheduled weights and parameters). <see cref="SpecLoss"/> and <see cref="Composite.CompositeLoss"/> implement it.
/// </summary>
public interface ITrainingLoss
{
    /// <summary>The spec it was made from.</summary>
    string Spec { get; }

    /// <summary>Sets the training step that schedules read (0-based).</summary>
    void SetStep(long step);

    /// <summary>The loss and the batch means of its named terms (null when it has none).</summary>
    (Tensor Loss, IReadOnlyDictionary<string, double>? Terms) ForwardWithTerms(Tensor input, Tensor target);

    /// <summary>Warnings about the terms' magnitudes since the last call (empty for single losses).</summary>
    IReadOnlyList<string> TakeWarnings();
}
