using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class QrDqnTests
{
    /// <summary>sum_i mean_j |tau_i - 1{u &lt; 0}| L_kappa(u) / kappa, u = y_j - theta_i, in plain loops.</summary>
    internal static double QuantileHuber(double[] theta, double[] y, double[] tau, double kappa)
    {
        double total = 0;
        for (int i = 0; i < theta.Length; i++)
        {
            double row = 0;
            foreach (double yj in y)
            {
                double u = yj - theta[i];
                double l = kappa == 0 ? Math.Abs(u) : (Math.Abs(u) <= kappa ? 0.5 * u * u : kappa * (Math.Abs(u) - 0.5 * kappa)) / kappa;
                row += Math.Abs(tau[i] - (u < 0 ? 1 : 0)) * l;
            }
            total += row / y.Length;
        }
        return total;
    }

    /// <summary>The targets r + gamma (1 - d) theta'(s', a*) with a* the action of the largest mean.</summary>
    internal static double[] Targets(Tensor next, int i, double r, double d, double gamma)
    {
        var rows = Enumerable.Range(0, (int)next.shape[1]).Select(a => T.Values(next[i, a])).ToArray();
        var best = rows.OrderByDescending(x => x.Average()).First();
        return best.Select(x => r + gamma * (1 - d) * x).ToArray();
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.0)]
    [InlineData(0.5)]
    public void MatchesTheBruteForceLoopAtQuantileMidpoints(double kappa)
    {
        const int n = 4, a = 3, q = 5, q2 = 6;
        var g = new Generator(131);
        var quant = torch.randn(n, a, q, dtype: ScalarType.Float64, generator: g) * 2;
        var next = torch.randn(n, a, q2, dtype: ScalarType.Float64, generator: g) * 2;
        var actions = T.I64(0, 2, 1, 2);
        var r = new[] { 1.0, -0.5, 0.0, 2.0 };
        var d = new[] { 0.0, 0, 1, 0 };
        var tau = Enumerable.Range(0, q).Select(i => (2 * i + 1) / (2.0 * q)).ToArray();
        var want = Enumerable.Range(0, n).Select(i => QuantileHuber(T.Values(quant[i, actions[i].item<long>()]), Targets(next, i, r[i], d[i], 0.9), tau, kappa)).ToArray();
        T.Close(want, F.qr_dqn_loss(quant, actions, T.F64(r), next, T.F64(d), 0.9, kappa, Reduction.None), rtol: 1e-12);
        T.Close(want.Average(), F.qr_dqn_loss(quant, actions, T.F64(r), next, T.F64(d), 0.9, kappa), rtol: 1e-12);
        T.Close(want.Sum(), F.qr_dqn_loss(quant, actions, T.F64(r), next, T.F64(d), 0.9, kappa, Reduction.Sum), rtol: 1e-12);
    }

    [Fact]
    public void OneQuantileWithKappaZeroIsHalfTheAbsoluteError()
    {
        var quant = T.F64(new[] { 1.0, 4.0, -2.0, 0.5 }, 2, 2, 1);
        var next = T.F64(new[] { 3.0, -1.0 }, 2, 1);
        // y = r + gamma * next = [1 + 1.5, 0 - 0.5]; theta of the actions [4, -2]: 0.5 |y - theta| = [0.75, 0.75]
        var got = F.qr_dqn_loss(quant, T.I64(1, 0), T.F64(new[] { 1.0, 0.0 }), next, gamma: 0.5, kappa: 0, reduction: Reduction.None);
        T.Close(new[] { 0.75, 0.75 }, got);
    }

    [Fact]
    public void TheTargetIsHeldAndTheGradientIsTheQuantileRegressionGradient()
    {
        // one quantile per action (tau = 0.5), kappa 0: d/dtheta = -0.5 sign(y - theta)
        var quant = T.F64(new[] { 1.0, 4.0 }, 1, 2, 1);
        var next = T.F64(new[] { 3.0, 2.0 }, 1, 2);
        var g = RlRef.Grads(x => F.qr_dqn_loss(x[0], T.I64(1), T.F64(new[] { 0.0 }), x[1], gamma: 1, kappa: 0), quant, next);
        T.Close(new[] { 0.0, 0.5 }, T.F64(g[0]));
        Assert.All(g[1], v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void ModuleMatchesFunctionAndLargeFloat32ValuesStayFinite()
    {
        var quant = torch.randn(3, 2, 8, generator: new Generator(132)) * 1e4f;
        var next = torch.randn(3, 2, 8, generator: new Generator(133)) * 1e4f;
        var actions = T.I64(1, 0, 1);
        var r = T.F32(new[] { 1e4f, -1e4f, 0f }, 3);
        T.Finite(F.qr_dqn_loss(quant, actions, r, next), "loss");
        T.Finite(T.Grad(x => F.qr_dqn_loss(x, actions, r, next), quant), "gradient");
        T.Close(T.Scalar(F.qr_dqn_loss(quant, actions, r, next, null, 0.9, 2)), new QrDqnLoss(0.9, 2).forward(quant, actions, r, next, null), rtol: 1e-6);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var quant = torch.zeros(2, 3, 4, dtype: ScalarType.Float64);
        var r = torch.zeros(2, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => F.qr_dqn_loss(quant, T.I64(0, 1), r, quant, kappa: -1));
        Assert.Contains("kappa", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.qr_dqn_loss(quant, T.I64(0, 1), r, torch.zeros(3, 4, dtype: ScalarType.Float64)));
        Assert.Contains("next_quantiles", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.qr_dqn_loss(torch.zeros(2, 4, dtype: ScalarType.Float64), T.I64(0, 1), r, quant));
        Assert.Contains("quantiles", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => F.qr_dqn_loss(quant, T.I64(0, 1), r, quant, torch.tensor(new[] { 0.0, 0.2 })));
        Assert.Contains("dones", e4.Message);
    }
}
