using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class Td0Tests
{
    private static readonly double[] V = { 1.0, 0.5, -2.0, 3.0 };
    private static readonly double[] Rw = { 0.0, 1.0, 2.0, -1.0 };
    private static readonly double[] NextV = { 2.0, 4.0, -1.0, 0.5 };
    private static readonly double[] D = { 0, 0, 1, 0 };

    [Fact]
    public void HandWorkedTargets()
    {
        // gamma 0.5: y = [1, 3, 2, -0.75]; errors V - y = [0, -2.5, -4, 3.75]
        var e = new[] { 0.0, -2.5, -4.0, 3.75 };
        T.Close(e.Select(x => x * x).ToArray(), F.td0_loss(T.F64(V), T.F64(Rw), T.F64(NextV), T.F64(D), 0.5, reduction: Reduction.None));
        T.Close(e.Average(x => x * x), F.td0_loss(T.F64(V), T.F64(Rw), T.F64(NextV), T.F64(D), 0.5));
        T.Close(e.Sum(x => x * x), F.td0_loss(T.F64(V), T.F64(Rw), T.F64(NextV), T.F64(D), 0.5, reduction: Reduction.Sum));
        // Huber with delta 1: 0.5 e^2 below 1, |e| - 0.5 above
        var huber = e.Select(x => Math.Abs(x) < 1 ? 0.5 * x * x : Math.Abs(x) - 0.5).ToArray();
        T.Close(huber, F.td0_loss(T.F64(V), T.F64(Rw), T.F64(NextV), T.F64(D), 0.5, ValueLoss.Huber, reduction: Reduction.None));
    }

    [Fact]
    public void SemiGradientTheNextValueIsHeld()
    {
        var g = RlRef.Grads(x => F.td0_loss(x[0], x[1], x[2], T.F64(D), 0.5, reduction: Reduction.Sum), T.F64(V), T.F64(Rw), T.F64(NextV));
        T.Close(new[] { 0.0, -5.0, -8.0, 7.5 }, T.F64(g[0]));
        Assert.All(g[1], v => Assert.Equal(0.0, v));
        Assert.All(g[2], v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void ModuleMatchesFunctionAndLargeFloat32ValuesStayFinite()
    {
        var v = T.F32(new[] { 1e4f, -1e4f }, 2);
        var r = T.F32(new[] { -1e4f, 1e4f }, 2);
        T.Finite(F.td0_loss(v, r, v), "loss");
        T.Finite(T.Grad(x => F.td0_loss(x, r, v, value_loss: ValueLoss.Huber), v), "gradient");
        T.Close(T.Scalar(F.td0_loss(T.F64(V), T.F64(Rw), T.F64(NextV), T.F64(D), 0.9, ValueLoss.Huber, 2)), new Td0Loss(0.9, ValueLoss.Huber, 2).forward(T.F64(V), T.F64(Rw), T.F64(NextV), T.F64(D)));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(3, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => F.td0_loss(x, torch.zeros(4, dtype: ScalarType.Float64), x));
        Assert.Contains("rewards", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.td0_loss(x, x, torch.zeros(2, dtype: ScalarType.Float64)));
        Assert.Contains("next_values", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.td0_loss(x, x, x, torch.tensor(new[] { 0.0, 0.3, 1.0 })));
        Assert.Contains("dones", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => F.td0_loss(x, x, x, gamma: -1));
        Assert.Contains("gamma", e4.Message);
        var e5 = Assert.Throws<ArgumentOutOfRangeException>(() => F.td0_loss(x, x, x, value_loss: ValueLoss.Huber, delta: 0));
        Assert.Contains("delta", e5.Message);
    }
}
