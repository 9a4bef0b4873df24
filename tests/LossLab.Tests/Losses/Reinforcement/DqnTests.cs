using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class DqnTests
{
    private static readonly Tensor Q = T.F64(new[] { 1.0, 2.0, 3.0, 4.0 }, 2, 2);
    private static readonly Tensor A = T.I64(1, 0);
    private static readonly Tensor Rw = T.F64(new[] { 1.0, 0.0 });
    private static readonly Tensor NextQ = T.F64(new[] { 0.0, 5.0, 2.0, 1.0 }, 2, 2);
    private static readonly Tensor D = T.F64(new[] { 0.0, 1.0 });

    [Fact]
    public void HandWorkedDqnAndDoubleDqn()
    {
        // gamma 0.5: y = [1 + 0.5 * 5, 0] = [3.5, 0]; Q(s, a) = [2, 3]; errors [-1.5, 3]
        T.Close(new[] { 1.0, 2.5 }, F.dqn_loss(Q, A, Rw, NextQ, D, gamma: 0.5, reduction: Reduction.None));
        T.Close(new[] { 2.25, 9.0 }, F.dqn_loss(Q, A, Rw, NextQ, D, gamma: 0.5, value_loss: ValueLoss.Mse, reduction: Reduction.None));
        T.Close(1.75, F.dqn_loss(Q, A, Rw, NextQ, D, gamma: 0.5));
        T.Close(3.5, F.dqn_loss(Q, A, Rw, NextQ, D, gamma: 0.5, reduction: Reduction.Sum));
        // Huber delta 2: 0.5 * 1.5^2 = 1.125 and 2 * (3 - 1) = 4
        T.Close(new[] { 1.125, 4.0 }, F.dqn_loss(Q, A, Rw, NextQ, D, gamma: 0.5, delta: 2, reduction: Reduction.None));
        // double DQN: the online network picks action 0 in s'_0, so y_0 = 1 + 0.5 * 0 = 1, error 1 -> 0.5
        var online = T.F64(new[] { 1.0, 0.0, 0.0, 1.0 }, 2, 2);
        T.Close(new[] { 0.5, 2.5 }, F.dqn_loss(Q, A, Rw, NextQ, D, online, gamma: 0.5, double_dqn: true, reduction: Reduction.None));
    }

    [Fact]
    public void DoubleDqnEqualsDqnWhenTheOnlineAndTargetNetworksAgree()
    {
        var g = new Generator(111);
        var q = torch.randn(6, 4, dtype: ScalarType.Float64, generator: g);
        var a = torch.randint(0, 4, new long[] { 6 }, generator: g);
        var r = torch.randn(6, dtype: ScalarType.Float64, generator: g);
        var next = torch.randn(6, 4, dtype: ScalarType.Float64, generator: g);
        var d = torch.tensor(new[] { 0.0, 1, 0, 0, 1, 0 });
        T.Close(T.Values(F.dqn_loss(q, a, r, next, d, reduction: Reduction.None)), F.dqn_loss(q, a, r, next, d, next, double_dqn: true, reduction: Reduction.None), rtol: 1e-12);
    }

    [Fact]
    public void OnlyTheTakenActionGetsAGradientAndTheTargetIsHeld()
    {
        var g = RlRef.Grads(x => F.dqn_loss(x[0], A, Rw, x[1], D, x[2], gamma: 0.5, double_dqn: true, value_loss: ValueLoss.Mse, reduction: Reduction.Sum),
            Q, NextQ, T.F64(new[] { 1.0, 0.0, 0.0, 1.0 }, 2, 2));
        // errors Q(s, a) - y = [2 - 1, 3 - 0]: gradients 2 * error at the taken actions
        T.Close(new[] { 0.0, 2.0, 6.0, 0.0 }, T.F64(g[0]));
        Assert.All(g[1], v => Assert.Equal(0.0, v));
        Assert.All(g[2], v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void ModuleMatchesFunctionAndLargeFloat32ValuesStayFinite()
    {
        var q = T.F32(new[] { 1e4f, -1e4f, 3f, 1e4f }, 2, 2);
        var next = T.F32(new[] { -1e4f, 1e4f, 1e4f, 0f }, 2, 2);
        var r = T.F32(new[] { 1e4f, -1e4f }, 2);
        T.Finite(F.dqn_loss(q, A, r, next, value_loss: ValueLoss.Mse), "loss");
        T.Finite(T.Grad(x => F.dqn_loss(x, A, r, next), q), "gradient");
        T.Close(T.Scalar(F.dqn_loss(Q, A, Rw, NextQ, D, gamma: 0.9)), new DqnLoss(0.9).forward(Q, A, Rw, NextQ, D, null));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => F.dqn_loss(Q, A, Rw, NextQ, double_dqn: true));
        Assert.Contains("next_q_online", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.dqn_loss(Q, A, Rw, NextQ, next_q_online: NextQ));
        Assert.Contains("double_dqn", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.dqn_loss(Q, T.I64(0, 2), Rw, NextQ));
        Assert.Contains("actions", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => F.dqn_loss(Q, A, T.F64(new[] { 1.0, 2, 3 }), NextQ));
        Assert.Contains("rewards", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => F.dqn_loss(Q, A, Rw, NextQ, T.F64(new[] { 0.0, 0.5 })));
        Assert.Contains("dones", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => F.dqn_loss(Q, A, Rw, torch.zeros(3, 2, dtype: ScalarType.Float64)));
        Assert.Contains("next_q_values", e6.Message);
        var e7 = Assert.Throws<ArgumentOutOfRangeException>(() => F.dqn_loss(Q, A, Rw, NextQ, gamma: 1.2));
        Assert.Contains("gamma", e7.Message);
    }
}
