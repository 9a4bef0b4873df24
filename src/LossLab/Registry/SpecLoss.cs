using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Registry;

/// <summary>
/// A registry loss with its parameters fixed, as a TorchSharp module. <c>forward(input, target)</c> passes the
/// loss's first two inputs; <see cref="Forward(IReadOnlyDictionary{string, Tensor})"/> takes any named inputs.
/// </summary>
public sealed class SpecLoss : nn.Module<Tensor, Tensor, Tensor>, ITrainingLoss
{
    /// <summary>The loss's registry entry.</summary>
    public LossDefinition Definition { get; }
    /// <summary>Its validated parameters.</summary>
    public LossParameters Parameters { get; }

    internal SpecLoss(LossDefinition definition, LossParameters parameters) : base("SpecLoss_" + definition.Name)
    {
        Definition = definition;
        Parameters = parameters;
    }

    /// <summary>The spec string, with every parameter written out.</summary>
    public string Spec => Definition.Name + ":" + string.Join(",", Parameters.AsText().Select(kv => kv.Key + "=" + kv.Value));

    /// <summary>A single loss has no schedule: the step is ignored.</summary>
    public void SetStep(long step)
    {
    }

    /// <summary>A single loss has nothing to warn about.</summary>
    public IReadOnlyList<string> TakeWarnings() => Array.Empty<string>();

    /// <summary>Computes the loss from its first two inputs (usually input and target).</summary>
    public override Tensor forward(Tensor input, Tensor target)
    {
        var names = Definition.Inputs;
        if (names.Count < 2)
            throw new InvalidOperationException($"{Definition.Name} does not take (input, target); use Forward with named inputs: {string.Join(", ", names.Select(n => n.Name))}");
        return Forward(new Dictionary<string, Tensor> { [names[0].Name] = input, [names[1].Name] = target });
    }

    /// <summary>Computes the loss from its first two inputs and, where the loss has named terms, their batch means.</summary>
    public (Tensor Loss, IReadOnlyDictionary<string, double>? Terms) ForwardWithTerms(Tensor input, Tensor target)
    {
        var names = Definition.Inputs;
        if (names.Count < 2)
            throw new InvalidOperationException($"{Definition.Name} does not take (input, target)");
        var inputs = new Dictionary<string, Tensor> { [names[0].Name] = input, [names[1].Name] = target };
        LossDefinition.CheckInputNames(Definition.Name, Definition.Inputs, inputs);
        return Definition.ComputeWithTerms(new LossInputs(Definition.Name, inputs), Parameters);
    }

    /// <summary>Computes the loss from named inputs.</summary>
    public Tensor Forward(IReadOnlyDictionary<string, Tensor> inputs)
    {
        LossDefinition.CheckInputNames(Definition.Name, Definition.Inputs, inputs);
        return Definition.Compute(new LossInputs(Definition.Name, inputs), Parameters);
    }
}
