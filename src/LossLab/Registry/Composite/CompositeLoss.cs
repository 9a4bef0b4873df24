using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Registry.Composite;

/// <summary>
/// A weighted sum of registry losses, <c>sum_k w_k(step) * L_k(inputs; params_k(step))</c>, built from a composite spec
/// (<see cref="CompositeSpec"/>). Every term is reported separately (weighted value, and the term's own named terms
/// such as IQ's soft-Q or a VAE's KL), and a monitor warns when one term is orders of magnitude larger than the others
/// or stays at zero for many steps.
/// </summary>
public sealed class CompositeLoss : nn.Module<Tensor, Tensor, Tensor>, ITrainingLoss
{
    private sealed record Term(int Index, CompositeTerm Spec, LossDefinition Definition, bool Scheduled)
    {
        public LossParameters? Fixed { get; set; }
        public string Label => $"{Index}.{Definition.Name}";
    }

    private readonly List<Term> terms = new();
    private readonly TermMonitor monitor;
    private long step;

    /// <summary>The spec.</summary>
    public string Spec { get; }

    /// <summary>Parses and validates a composite spec (every term's parameters are checked at the schedules' ends).</summary>
    /// <exception cref="FormatException">Malformed spec.</exception>
    /// <exception cref="ArgumentException">Unknown loss or parameter, values out of range, or a detached input the loss does not have.</exception>
    public CompositeLoss(string spec, double ratioWarning = 1e3, int zeroStepsWarning = 200) : base(nameof(CompositeLoss))
    {
        Spec = spec;
        var parsed = CompositeSpec.Parse(spec);
        foreach (var t in parsed)
        {
            var def = LossCatalog.GetLoss(t.Name);
            foreach (var d in t.Detach)
                if (!def.Inputs.Any(i => i.Name == d))
                    throw new ArgumentException($"loss spec '{spec}': {t.Name} has no input '{d}' to detach; inputs: {string.Join(", ", def.Inputs.Select(i => i.Name))}");
            bool scheduled = t.Params.Values.Any(v => v.Contains('('));
            var term = new Term(terms.Count, t, def, scheduled);
            // validate at the start and far into training (a schedule's end value)
            foreach (long s in new long[] { 0, long.MaxValue / 4 }) def.ParseParameters(ParamsAt(t, s));
            if (!scheduled) term.Fixed = def.ParseParameters(t.Params);
            terms.Add(term);
        }
        monitor = new TermMonitor(ratioWarning, zeroStepsWarning);
    }

    /// <summary>The registry entries of the terms, in order.</summary>
    public IReadOnlyList<LossDefinition> Definitions => terms.Select(t => t.Definition).ToList();

    /// <summary>The terms' labels, in order (<c>0.cross_entropy</c>, <c>1.mmce</c>, ...).</summary>
    public IReadOnlyList<string> TermLabels => terms.Select(t => t.Label).ToList();

    /// <inheritdoc/>
    public void SetStep(long value) => step = value;

    /// <summary>The weight of term k at the current step.</summary>
    public double WeightOf(int k) => terms[k].Spec.Weight.At(step);

    /// <summary>The parameters of term k at the current step.</summary>
    public LossParameters ParametersOf(int k) => terms[k].Fixed ?? terms[k].Definition.ParseParameters(ParamsAt(terms[k].Spec, step));

    private static Dictionary<string, string> ParamsAt(CompositeTerm t, long step) =>
        t.Params.ToDictionary(kv => kv.Key, kv => kv.Value.Contains('(')
            ? Schedule.Parse(kv.Value).At(step).ToString("R", CultureInfo.InvariantCulture)
            : kv.Value);

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => ForwardWithTerms(input, target).Loss;

    /// <summary>Computes the sum from named inputs: each term takes the inputs it declares.</summary>
    public Tensor Forward(IReadOnlyDictionary<string, Tensor> inputs) => Compute(inputs, null);

    /// <inheritdoc/>
    public (Tensor Loss, IReadOnlyDictionary<string, double>? Terms) ForwardWithTerms(Tensor input, Tensor target)
    {
        var report = new Dictionary<string, double>();
        var loss = Compute(null, report, input, target);
        monitor.Observe(report.Where(kv => !kv.Key.Contains('/')).ToDictionary(kv => kv.Key, kv => kv.Value));
        return (loss, report);
    }

    private Tensor Compute(IReadOnlyDictionary<string, Tensor>? named, Dictionary<string, double>? report, Tensor? input = null, Tensor? target = null)
    {
        Tensor? total = null;
        foreach (var term in terms)
        {
            var def = term.Definition;
            var inputs = new Dictionary<string, Tensor>();
            if (named is not null)
            {
                foreach (var spec in def.Inputs)
                    if (named.TryGetValue(spec.Name, out var t)) inputs[spec.Name] = t;
            }
            else
            {
                if (def.Inputs.Count < 2) throw new InvalidOperationException($"{def.Name} does not take (input, target)");
                inputs[def.Inputs[0].Name] = input!;
                inputs[def.Inputs[1].Name] = target!;
            }
            foreach (var d in term.Spec.Detach)
                if (inputs.TryGetValue(d, out var t)) inputs[d] = t.detach();
            LossDefinition.CheckInputNames(def.Name, def.Inputs, inputs);
            var (value, sub) = def.ComputeWithTerms(new LossInputs(def.Name, inputs), ParametersOf(term.Index));
            double w = term.Spec.Weight.At(step);
            var weighted = w == 1.0 ? value : value * w;
            if (report is not null)
            {
                report[term.Label] = weighted.detach().to_type(ScalarType.Float64).mean().item<double>();
                if (sub is not null) foreach (var (k, v) in sub) report[term.Label + "/" + k] = v;
            }
            total = total is null ? weighted : total + weighted;
        }
        return total!;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> TakeWarnings() => monitor.Take();
}
