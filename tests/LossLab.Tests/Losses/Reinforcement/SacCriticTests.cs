using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class SacCriticTests
{
    private const int N = 5;
    private static readonly double[] Q = RlRef.Normal(2 * N, 81);
    private static readonly double[] Rw = RlRef.Normal(N, 82);
    private static readonly double[] NextQ = RlRef.Normal(2 * N, 83);
    private static readonly double[] NextLogP = RlRef.Normal(N, 84);
    private static readonly double[] D = { 0, 1, 0, 0, 1 };

    private static double[] Targets(double gamma, double alpha) => Enumerable.Range(0, N)
        .Select(i => Rw[i] + gamma * (1 - D[i]) * (Math.Min(NextQ[2 * i], NextQ[2 * i + 1]) - alpha * NextLogP[i])).ToArray();

    [Fact]
    public void IsCleanRlsSumOfTwoMseLosses()
    {
        var y = Targets(0.99, 0.2);
        double qf1 = Enumerable.Range(0, N).Average(i => Math.Pow(Q[2 * i] - y[i], 2));
        double qf2 = Enumerable.Range(0, N).Average(i => Math.Pow(Q[2 * i + 1] - y[i], 2));
        var got = F.sac_critic_loss(T.F64(Q, N, 2), T.F64(Rw), T.F64(NextQ, N, 2), T.F64(NextLogP), T.F64(D));
        T.Close(qf1 + qf2, got, rtol: 1e-12);
        var none = F.sac_critic_loss(T.F64(Q, N, 2), T.F64(Rw), T.F64(NextQ, N, 2), T.F64(NextLogP), T.F64(D), reduction: Reduction.None);
        T.Close(Enumerable.Range(0, N).Select(i => Math.Pow(Q[2 * i] - y[i], 2) + Math.Pow(Q[2 * i + 1] - y[i], 2)).ToArray(), none, rtol: 1e-12);
    }

    [Fact]
    public void OneCriticLearnedTemperatureAndSum()
    {
        var y1 = Enumerable.Range(0, N).Select(i => Rw[i] + 0.9 * (1 - D[i]) * (NextQ[2 * i] - 0.5 * NextLogP[i])).ToArray();
        var q1 = Enumerable.Range(0, N).Select(i => Q[2 * i]).ToArray();
        var nq1 = Enumerable.Range(0, N).Select(i => NextQ[2 * i]).ToArray();
        var got = F.sac_critic_loss(T.F64(q1), T.F64(Rw), T.F64(nq1), T.F64(NextLogP), T.F64(D), gamma: 0.9, log_alpha: torch.tensor(new[] { Math.Log(0.5) }, dtype: ScalarType.Float64), reduction: Reduction.Sum);
        T.Close(q1.Zip(y1, (a, b) => (a - b) * (a - b)).Sum(), got, rtol: 1e-12);
    }

    [Fact]
    public void TheTargetIsHeld()
    {
        var logAlpha = torch.tensor(-1.0, dtype: ScalarType.Float64);
        var g = RlRef.Grads(x => F.sac_critic_loss(x[0], x[1], x[2], x[3], T.F64(D), log_alpha: x[4], reduction: Reduction.Sum),
            T.F64(Q, N, 2), T.F64(Rw), T.F64(NextQ, N, 2), T.F64(NextLogP), logAlpha);
        var y = Targets(0.99, Math.Exp(-1));
        T.Close(Enumerable.Range(0, 2 * N).Select(k => 2 * (Q[k] - y[k / 2])).ToArray(), T.F64(g[0]), rtol: 1e-10);
        for (int k = 1; k < 5; k++) Assert.All(g[k], v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void ModuleMatchesFunctionAndLargeFloat32ValuesStayFinite()
    {
        var q = T.F32(new[] { 1e4f, -1e4f, 0f, 1f }, 2, 2);
        var r = T.F32(new[] { -1e4f, 0f }, 2);
        var nq = T.F32(new[] { 1e4f, 1e4f, -1e4f, 2f }, 2, 2);
        var nl = T.F32(new[] { -1e4f, 3f }, 2);
        T.Finite(F.sac_critic_loss(q, r, nq, nl), "loss");
        T.Finite(T.Grad(x => F.sac_critic_loss(x, r, nq, nl), q), "gradient");
        T.Close(T.Scalar(F.sac_critic_loss(q, r, nq, nl, null, 0.5, 0.1)), new SacCriticLoss(0.5, 0.1).forward(q, r, nq, nl, null, null), rtol: 1e-6);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var q = torch.zeros(3, 2, dtype: ScalarType.Float64);
        var r = torch.zeros(3, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => F.sac_critic_loss(q, torch.zeros(4, dtype: ScalarType.Float64), q, r));
        Assert.Contains("rewards", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.sac_critic_loss(q, r, torch.zeros(2, 2, dtype: ScalarType.Float64), r));
        Assert.Contains("next_q_values", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.sac_critic_loss(q, r, q, r, torch.tensor(new[] { 0.0, 2.0, 1.0 })));
        Assert.Contains("dones", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => F.sac_critic_loss(q, r, q, r, gamma: 1.01));
        Assert.Contains("gamma", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => F.sac_critic_loss(q, r, q, torch.zeros(2, dtype: ScalarType.Float64)));
        Assert.Contains("next_log_probs", e5.Message);
    }
}
