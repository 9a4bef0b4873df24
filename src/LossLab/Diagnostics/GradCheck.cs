using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Diagnostics;

/// <summary>The outcome of one gradient check: a loss, one of its settings, and what was found.</summary>
/// <param name="Loss">The registry name.</param>
/// <param name="Case">The setting's label.</param>
/// <param name="Passed">Whether autograd agreed with finite differences everywhere checked.</param>
/// <param name="Message">The worst disagreement, or the error.</param>
/// <param name="Checked">How many gradient entries were compared.</param>
public sealed record GradcheckResult(string Loss, string Case, bool Passed, string Message, int Checked);

/// <summary>
/// Checks autograd gradients of registered losses against central finite differences in float64.
/// </summary>
/// <remarks>
/// For each setting of <see cref="LossDefinition.GradcheckCases"/>, the loss is evaluated once with a
/// <see cref="HeldTermRecorder"/>; the scalar <c>sum(output * v)</c> (v fixed random weights, so every output entry
/// is checked) is differentiated by autograd, and by central differences with the held terms replayed at their
/// values at the point of evaluation. A stop-gradient placed where the registry does not declare one, or missing
/// where it declares one, fails just as a wrong formula does. Terms held under a name the registry does not declare
/// fail the check too.
/// </remarks>
public static class GradCheck
{
    /// <summary>Runs every setting of one loss.</summary>
    /// <param name="definition">The loss.</param>
    /// <param name="seed">Seed for the generated inputs.</param>
    /// <param name="step">Finite-difference step.</param>
    /// <param name="rtol">Relative tolerance.</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <param name="maxEntries">At most this many entries of each input are perturbed (a seeded random subset beyond).</param>
    public static IEnumerable<GradcheckResult> Run(LossDefinition definition, ulong seed = 1, double step = 1e-6, double rtol = 1e-4, double atol = 1e-6, int maxEntries = 48)
    {
        int index = 0;
        var held = new HashSet<string>();
        foreach (var gc in definition.GradcheckCases())
        {
            GradcheckResult result;
            try
            {
                result = RunCase(definition, gc, seed + (ulong)index * 7919UL, step, rtol, atol, maxEntries, held);
            }
            catch (Exception e)
            {
                result = new GradcheckResult(definition.Name, gc.Label, false, e.GetType().Name + ": " + e.Message, 0);
            }
            index++;
            yield return result;
        }
        // A declared held term that no setting holds is a stop-gradient that was removed (or never placed): the
        // gradient is then exact, so finite differences cannot see it; the declaration can.
        var unused = definition.HeldTerms.Where(t => !held.Contains(t)).ToList();
        if (index > 0 && unused.Count > 0)
            yield return new GradcheckResult(definition.Name, "held terms", false, $"declares held term(s) {string.Join(", ", unused)} that no gradcheck setting holds (a removed Surrogate.Hold, or a setting missing for the option that holds it)", 0);
    }

    private static GradcheckResult RunCase(LossDefinition def, GradcheckCase gc, ulong seed, double h, double rtol, double atol, int maxEntries, HashSet<string> held)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(seed);
        var raw = gc.MakeInputs(gen);
        var p = def.ParseParameters(gc.Params);
        var wrt = (gc.Wrt ?? def.Inputs.Where(i => i.Differentiable).Select(i => i.Name))
            .Where(n => raw.ContainsKey(n) && raw[n].dtype.IsFloatingPoint()).ToList();
        if (wrt.Count == 0) return new GradcheckResult(def.Name, gc.Label, false, "no differentiable input to check", 0);

        var inputs = raw.ToDictionary(kv => kv.Key, kv => wrt.Contains(kv.Key) ? kv.Value.detach().clone().requires_grad_(true) : kv.Value);
        using var recorder = HeldTermRecorder.Start();
        var output = def.Compute(new LossInputs(def.Name, inputs), p);
        if (!output.dtype.IsFloatingPoint()) return new GradcheckResult(def.Name, gc.Label, false, $"output dtype {output.dtype} is not floating", 0);
        if (!output.isfinite().all().item<bool>()) return new GradcheckResult(def.Name, gc.Label, false, "output is not finite at the point of evaluation", 0);
        held.UnionWith(recorder.Terms);
        var undeclared = recorder.Terms.Distinct().Where(t => !def.HeldTerms.Contains(t)).ToList();
        if (undeclared.Count > 0)
            return new GradcheckResult(def.Name, gc.Label, false, $"holds term(s) {string.Join(", ", undeclared)} that the registry does not declare", 0);

        var weights = torch.randn(output.shape, dtype: output.dtype, generator: gen);
        var scalar = (output * weights).sum();
        var leaves = wrt.Select(n => inputs[n]).ToList();
        var grads = torch.autograd.grad(new List<Tensor> { scalar }, leaves, allow_unused: true);
        recorder.Replay();

        int checkedCount = 0;
        double worst = 0; string worstText = "";
        for (int k = 0; k < wrt.Count; k++)
        {
            string name = wrt[k];
            var x = inputs[name].detach();
            var shape = x.shape;
            double[] data = x.to_type(ScalarType.Float64).data<double>().ToArray();
            double[] analytic = grads[k] is null || grads[k].IsInvalid
                ? new double[data.Length]
                : grads[k].to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
            if (!analytic.All(double.IsFinite))
                return new GradcheckResult(def.Name, gc.Label, false, $"autograd gradient of '{name}' is not finite", checkedCount);
            foreach (int i in Entries(data.Length, maxEntries, seed + (ulong)k))
            {
                double Eval(double delta)
                {
                    using var inner = NewDisposeScope();
                    var copy = (double[])data.Clone();
                    copy[i] += delta;
                    var perturbed = new Dictionary<string, Tensor>(inputs.Count);
                    foreach (var (key, t) in inputs) perturbed[key] = key == name ? torch.tensor(copy, dtype: ScalarType.Float64).reshape(shape).to_type(x.dtype) : t.detach();
                    recorder.Rewind();
                    using var noGrad = torch.no_grad();
                    var o = def.Compute(new LossInputs(def.Name, perturbed), p);
                    return (o.to_type(ScalarType.Float64) * weights.to_type(ScalarType.Float64)).sum().item<double>();
                }
                double numeric = (Eval(h) - Eval(-h)) / (2 * h);
                double a = analytic[i];
                double err = Math.Abs(numeric - a);
                double allowed = atol + rtol * Math.Max(Math.Abs(a), Math.Abs(numeric));
                checkedCount++;
                if (!double.IsFinite(numeric) || err > allowed)
                {
                    double excess = double.IsFinite(err) ? err / allowed : double.PositiveInfinity;
                    if (excess > worst)
                    {
                        worst = excess;
                        worstText = $"d/d{name}[{i}]: autograd {a:R}, finite differences {numeric:R}";
                    }
                }
            }
        }
        return worst > 0
            ? new GradcheckResult(def.Name, gc.Label, false, worstText, checkedCount)
            : new GradcheckResult(def.Name, gc.Label, true, "", checkedCount);
    }

    private static IEnumerable<int> Entries(int n, int max, ulong seed)
    {
        if (n <= max) return Enumerable.Range(0, n);
        var rng = new Random((int)(seed % int.MaxValue));
        return Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Take(max).OrderBy(i => i).ToList();
    }
}
