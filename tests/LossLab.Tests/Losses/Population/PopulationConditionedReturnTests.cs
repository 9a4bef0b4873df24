using LossLab.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Population;

public class PopulationConditionedReturnTests
{
    private static readonly double[] R = { 1, -2, 0.5, 3, 0, -1 };          // (2, 3): R(i, j)
    private static readonly double[] Sigma = { 0.2, 0.5, 0.3, 1, 0, 0 };   // (2, 3): rows are mixtures

    [Fact]
    public void IsTheMixtureWeightedReturn()
    {
        double r0 = 0.2 * 1 + 0.5 * -2 + 0.3 * 0.5, r1 = 3;
        T.Close(new[] { r0, r1 }, LossLab.Losses.population_conditioned_return(T.F64(R, 2, 3), T.F64(Sigma, 2, 3), Reduction.None));
        T.Close((r0 + r1) / 2, LossLab.Losses.population_conditioned_return(T.F64(R, 2, 3), T.F64(Sigma, 2, 3)));
        T.Close(r0 + r1, LossLab.Losses.population_conditioned_return(T.F64(R, 2, 3), T.F64(Sigma, 2, 3), Reduction.Sum));
        // one shared mixture (PSRO's best response to a meta-strategy)
        T.Close(new[] { r0, 0.2 * 3 + 0.3 * -1 }, LossLab.Losses.population_conditioned_return(T.F64(R, 2, 3), T.F64(new[] { 0.2, 0.5, 0.3 }), Reduction.None));
    }

    [Fact]
    public void GradientsAreTheMixtureAndTheReturns()
    {
        T.Close(Sigma, T.Grad(r => LossLab.Losses.population_conditioned_return(r, T.F64(Sigma, 2, 3), Reduction.Sum), T.F64(R, 2, 3)));
        T.Close(R, T.Grad(s => LossLab.Losses.population_conditioned_return(T.F64(R, 2, 3), s, Reduction.Sum), T.F64(Sigma, 2, 3)));
        var big = T.F32(new float[] { 1e4f, -1e4f }, 1, 2);
        T.Finite(T.Grad(r => LossLab.Losses.population_conditioned_return(r, T.F32(new float[] { 0.5f, 0.5f })), big), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        Assert.Contains("sigma", Assert.Throws<ArgumentException>(() => LossLab.Losses.population_conditioned_return(T.F64(R, 2, 3), T.F64(new[] { 0.5, 0.5 }))).Message);
        Assert.Contains("sigma", Assert.Throws<ArgumentException>(() => LossLab.Losses.population_conditioned_return(T.F64(R, 2, 3), T.F64(new[] { 0.5, 0.5, 0.5 }))).Message);
        Assert.Contains("payoff", Assert.Throws<ArgumentException>(() => LossLab.Losses.population_conditioned_return(T.F64(R), T.F64(Sigma))).Message);
        var module = new LossLab.PopulationConditionedReturnLoss(Reduction.Sum);
        T.Close(4.0, module.forward(T.F64(R, 2, 3), T.F64(new[] { 1.0, 0, 0 })));
    }
}
