using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class InverseDynamicsTests
{
    private static readonly double[] Logits = { 1.0, -0.5, 2.0, 0.3, 0.3, -1.2, -2.0, 0.0, 1.5 };
    private static readonly long[] Actions = { 2, 0, 1 };
    private static readonly double[] Predicted = { 0.5, -1.0, 2.0, 0.3, 0.0, -0.7 };
    private static readonly double[] Taken = { 0.1, -0.4, 1.0, 1.3, -0.5, 0.2 };

    private static double[] Ce() => Enumerable.Range(0, 3).Select(i =>
    {
        var row = Logits.Skip(3 * i).Take(3).ToArray();
        double m = row.Max();
        return -(row[Actions[i]] - m - Math.Log(row.Sum(v => Math.Exp(v - m))));
    }).ToArray();

    [Fact]
    public void DiscreteActionsGiveTheCrossEntropyForEachReduction()
    {
        var x = T.F64(Logits, 3, 3);
        T.Close(Ce(), F.inverse_dynamics_loss(x, T.I64(Actions), Reduction.None), 1e-13);
        T.Close(Ce().Average(), F.inverse_dynamics_loss(x, T.I64(Actions)), 1e-13);
        T.Close(Ce().Sum(), F.inverse_dynamics_loss(x, T.I64(Actions), Reduction.Sum), 1e-13);
        // Int32 action indices are read the same way.
        T.Close(Ce().Average(), F.inverse_dynamics_loss(x, T.I64(Actions).to_type(ScalarType.Int32)), 1e-13);
    }

    [Fact]
    public void ContinuousActionsGiveTheSquaredErrorAveragedOverTheActionDimensions()
    {
        var perSample = Enumerable.Range(0, 3).Select(i => (Math.Pow(Predicted[2 * i] - Taken[2 * i], 2) + Math.Pow(Predicted[2 * i + 1] - Taken[2 * i + 1], 2)) / 2).ToArray();
        var p = T.F64(Predicted, 3, 2);
        var a = T.F64(Taken, 3, 2);
        T.Close(perSample, F.inverse_dynamics_loss(p, a, Reduction.None), 1e-14);
        T.Close(perSample.Average(), F.inverse_dynamics_loss(p, a), 1e-14);
        T.Close(perSample.Sum(), F.inverse_dynamics_loss(p, a, Reduction.Sum), 1e-14);
        // The mean is the mean squared error over all elements; one-dimensional actions are (N).
        T.Close(Predicted.Select((v, i) => (v - Taken[i]) * (v - Taken[i])).Average(), F.inverse_dynamics_loss(T.F64(Predicted), T.F64(Taken)), 1e-14);
        T.Close(Predicted.Select((v, i) => 2 * (v - Taken[i]) / 6).ToArray(), T.Grad(x => F.inverse_dynamics_loss(x, a), p), 1e-14);
    }

    [Fact]
    public void Float32LogitsOf1e4StayFiniteAndModuleAndRegistryMatch()
    {
        var logits = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 0f }, 2, 3);
        T.Close(new[] { 2e4, 0.0 }, F.inverse_dynamics_loss(logits, T.I64(1, 1), Reduction.None), 1e-6, 1e-3);
        T.Finite(T.Grad(x => F.inverse_dynamics_loss(x, T.I64(1, 1)), logits));
        T.Finite(T.Grad(x => F.inverse_dynamics_loss(x, T.F32(new[] { -1e4f, 1e4f, 0f, 1f, 2f, 3f }, 2, 3)), logits));
        double want = Ce().Sum();
        T.Close(want, new InverseDynamicsLoss(Reduction.Sum).forward(T.F64(Logits, 3, 3), T.I64(Actions)), 1e-13);
        T.Close(want, LossCatalog.Create("inverse_dynamics:reduction=sum").Forward(new Dictionary<string, Tensor> { ["input"] = T.F64(Logits, 3, 3), ["actions"] = T.I64(Actions) }), 1e-13);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var l = T.F64(Logits, 3, 3);
        Assert.Contains("actions", Assert.Throws<ArgumentException>(() => F.inverse_dynamics_loss(l, T.I64(0, 3, 1))).Message);
        Assert.Contains("actions", Assert.Throws<ArgumentException>(() => F.inverse_dynamics_loss(l, T.I64(0, 1))).Message);
        Assert.Contains("actions", Assert.Throws<ArgumentException>(() => F.inverse_dynamics_loss(l, T.F64(Taken, 3, 2))).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.inverse_dynamics_loss(T.F64(Logits), T.I64(Actions))).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.inverse_dynamics_loss(T.I64(1, 2, 3), T.F64(new[] { 1.0, 2, 3 }))).Message);
    }
}
