using LossLab.Autograd;
using LossLab.Diagnostics;
using LossLab.Registry;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Diagnostics;

/// <summary>Gradcheck over the whole registry, so that every loss added later is checked without a new test.</summary>
public class GradcheckTests
{
    public static TheoryData<string> AllLosses()
    {
        var data = new TheoryData<string>();
        foreach (var l in LossCatalog.Losses) data.Add(l.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllLosses))]
    public void AutogradMatchesFiniteDifferences(string loss)
    {
        var results = GradCheck.Run(LossCatalog.GetLoss(loss)).ToList();
        Assert.True(results.Count >= 3, $"{loss} declares only {results.Count} gradcheck settings (at least 3 expected)");
        var failed = results.Where(r => !r.Passed).ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed.Select(f => $"[{f.Case}] {f.Message}")));
    }

    // Test-only losses: f(x) = sum(c(x) * x) with c(x) = x^2, written three ways.
    private abstract class CubeBase : LossDefinition
    {
        public override string Family => "test";
        public override string Summary => "test";
        public override string Math => "sum(c * x)";
        public override string Reference => "test";
        public override string Function => "test";
        public override IReadOnlyList<ParamSpec> Parameters { get; } = [];
        public override IReadOnlyList<InputSpec> Inputs { get; } = [InputSpec.Grad("input", "(N)")];
        public override IEnumerable<GradcheckCase> GradcheckCases()
        {
            yield return GradcheckCase.Of("(5)", g => new() { ["input"] = Sample.Normal(g, [5]) });
        }
    }

    private sealed class HeldAndDeclared : CubeBase
    {
        public override string Name => "held_and_declared";
        public override IReadOnlyList<string> HeldTerms { get; } = ["c"];
        public override Tensor Compute(LossInputs x, LossParameters p) { var v = x.Required("input"); return (Surrogate.Hold("c", v.square()) * v).sum(); }
    }

    private sealed class BareDetach : CubeBase
    {
        public override string Name => "bare_detach";
        public override IReadOnlyList<string> HeldTerms { get; } = ["c"];
        public override Tensor Compute(LossInputs x, LossParameters p) { var v = x.Required("input"); return (v.square().detach() * v).sum(); }
    }

    private sealed class HeldButUndeclared : CubeBase
    {
        public override string Name => "held_undeclared";
        public override Tensor Compute(LossInputs x, LossParameters p) { var v = x.Required("input"); return (Surrogate.Hold("c", v.square()) * v).sum(); }
    }

    private sealed class WrongFormula : CubeBase
    {
        public override string Name => "wrong_formula";
        // The value is x^3 but the gradient is wrong: a custom backward would be needed; emulate with a hold that is not declared as a surrogate.
        public override IReadOnlyList<string> HeldTerms { get; } = [];
        public override Tensor Compute(LossInputs x, LossParameters p) { var v = x.Required("input"); return (v.square().detach() * v).sum(); }
    }

    [Fact]
    public void ADeclaredHeldTermIsFrozenInFiniteDifferences()
    {
        Assert.All(GradCheck.Run(new HeldAndDeclared()), r => Assert.True(r.Passed, r.Message));
    }

    [Fact]
    public void AStopGradientOutsideSurrogateHoldFails()
    {
        var r = GradCheck.Run(new BareDetach()).First();
        Assert.False(r.Passed);
        Assert.Contains("finite differences", r.Message);
        Assert.False(GradCheck.Run(new WrongFormula()).Single().Passed);
    }

    [Fact]
    public void AnUndeclaredHeldTermFails()
    {
        var r = GradCheck.Run(new HeldButUndeclared()).Single();
        Assert.False(r.Passed);
        Assert.Contains("does not declare", r.Message);
    }

    private sealed class DeclaredButNeverHeld : CubeBase
    {
        public override string Name => "declared_never_held";
        public override IReadOnlyList<string> HeldTerms { get; } = ["c"];
        // the hold was removed: the gradient is now exact, so only the declaration can tell
        public override Tensor Compute(LossInputs x, LossParameters p) { var v = x.Required("input"); return (v.square() * v).sum(); }
    }

    [Fact]
    public void ADeclaredHeldTermThatNoSettingHoldsFails()
    {
        var results = GradCheck.Run(new DeclaredButNeverHeld()).ToList();
        Assert.True(results[0].Passed);
        Assert.Contains(results, r => !r.Passed && r.Message.Contains("no gradcheck setting holds"));
    }

    [Fact]
    public void OutsideARecorderHoldIsDetach()
    {
        var x = torch.tensor(new[] { 1.5, -2.0 }, dtype: ScalarType.Float64).requires_grad_(true);
        var y = (Surrogate.Hold("c", x.square()) * x).sum();
        var g = torch.autograd.grad(new List<Tensor> { y }, new List<Tensor> { x })[0];
        Assert.Equal(new[] { 2.25, 4.0 }, g.data<double>().ToArray());
    }
}
