using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Population;

public class FictitiousPlayTests
{
    private static readonly double[] Rps = { 0, -1, 1, 1, 0, -1, -1, 1, 0 };
    // Prisoner's dilemma, row player's payoffs (cooperate, defect): defecting dominates.
    private static readonly double[] Pd = { 3, 0, 5, 1 };

    private static double[] Mv(double[] a, int n, int m, double[] s) => Enumerable.Range(0, n).Select(i => Enumerable.Range(0, m).Sum(j => a[i * m + j] * s[j])).ToArray();

    private static int ArgMax(double[] v) { int best = 0; for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i; return best; }

    [Fact]
    public void AverageStrategyIsTheMeanOfTheHistory()
    {
        T.Close(new[] { 0.5, 0.25, 0.25 }, FictitiousPlay.AverageStrategy(T.F64(new double[] { 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1 }, 4, 3)), 1e-15);
        T.Close(new[] { 0.4, 0.35, 0.25 }, FictitiousPlay.AverageStrategy(T.F64(new[] { 0.3, 0.2, 0.5, 0.5, 0.5, 0.0 }, 2, 3)), 1e-15);
        T.Close(new[] { 0.2, 0.0, 0.6, 0.2 }, FictitiousPlay.AverageStrategy(T.I64(0, 2, 2, 3, 2), 4), 1e-15);
    }

    [Fact]
    public void TheBestResponseInAGameWithADominantStrategyIsThatStrategy()
    {
        var a = T.F64(Pd, 2, 2);
        foreach (var s in new[] { new[] { 1.0, 0 }, new[] { 0.0, 1 }, new[] { 0.5, 0.5 }, new[] { 0.9, 0.1 } })
            T.Close(new[] { 0.0, 1.0 }, FictitiousPlay.BestResponse(a, T.F64(s)), 0, 0);
        // The column player's best response uses B^T; the game is symmetric, B = A^T, so B^T = A.
        var (row, col) = FictitiousPlay.Run(a, 50, payoffCol: a.t());
        // Uniform counts as the first play, then 50 defections.
        T.Close(new[] { 0.5 / 51, 50.5 / 51 }, row, 1e-12);
        T.Close(new[] { 0.5 / 51, 50.5 / 51 }, col, 1e-12);
        // Batched: a 3 x 3 game where the last action dominates, and rock-paper-scissors against rock.
        var batch = torch.stack(new[] { T.F64(new double[] { 1, 2, 0, 0, 1, 1, 2, 3, 2 }, 3, 3), T.F64(Rps, 3, 3) });
        var br = FictitiousPlay.BestResponse(batch, T.F64(new double[] { 0.2, 0.5, 0.3, 1, 0, 0 }, 2, 3));
        T.Close(new double[] { 0, 0, 1, 0, 1, 0 }, br, 0, 0);
    }

    [Fact]
    public void OneStepMovesEachAverageTowardItsBestResponse()
    {
        // Both play rock (t = 1): each best response is paper, so the averages become (1/2, 1/2, 0).
        var rock = T.F64(new[] { 1.0, 0, 0 });
        var (row, col) = FictitiousPlay.Step(T.F64(Rps, 3, 3), rock, rock, 1);
        T.Close(new[] { 0.5, 0.5, 0.0 }, row, 1e-15);
        T.Close(new[] { 0.5, 0.5, 0.0 }, col, 1e-15);
    }

    [Fact]
    public void RunMatchesAPlainLoopOnAGeneralSumGame()
    {
        double[] a = { 0.37, -1.21, 0.88, 0.05, 1.43, -0.62 };   // (2, 3)
        double[] b = { -0.44, 0.91, 0.13, 1.07, -0.29, 0.52 };
        double[] r = { 0.5, 0.5 }, c = { 1.0 / 3, 1.0 / 3, 1.0 / 3 };
        var bt = new double[6];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) bt[j * 2 + i] = b[i * 3 + j];
        for (int t = 1; t <= 300; t++)
        {
            int br = ArgMax(Mv(a, 2, 3, c)), bc = ArgMax(Mv(bt, 3, 2, r));
            r = r.Select((v, i) => v + ((i == br ? 1 : 0) - v) / (t + 1)).ToArray();
            c = c.Select((v, j) => v + ((j == bc ? 1 : 0) - v) / (t + 1)).ToArray();
        }
        var (row, col) = FictitiousPlay.Run(T.F64(a, 2, 3), 300, T.F64(b, 2, 3));
        T.Close(r, row, 1e-12);
        T.Close(c, col, 1e-12);
    }

    [Fact]
    public void OnRockPaperScissorsTheAveragesConvergeTowardUniform()
    {
        var a = T.F64(Rps, 3, 3);
        var rock = T.F64(new[] { 1.0, 0, 0 });
        var paper = T.F64(new[] { 0.0, 1, 0 });
        double Gap(long iterations)
        {
            var (row, col) = FictitiousPlay.Run(a, iterations, null, rock, paper);
            double[] rv = T.Values(row), cv = T.Values(col);
            // NashConv by hand: max_i (A c)_i + max_j -(r^T A)_j.
            double gap = Mv(Rps, 3, 3, cv).Max() + Enumerable.Range(0, 3).Max(j => -Enumerable.Range(0, 3).Sum(i => rv[i] * Rps[i * 3 + j]));
            if (iterations == 2000) Assert.All(rv.Concat(cv), v => Assert.InRange(v, 1.0 / 3 - 0.03, 1.0 / 3 + 0.03));
            return gap;
        }
        double early = Gap(20), late = Gap(2000);
        Assert.True(late < 0.06, $"NashConv after 2000 iterations is {late}");
        Assert.True(late < early / 3, $"NashConv went from {early} to {late}");
    }

    private static readonly double[] Logits = { 0.3, -0.8, 1.1, 0.5, 0.0, -0.4 };   // (2, 3)
    private static readonly double[] Payoffs = { 1.0, -0.5, 2.0, 0.3, 0.7, -1.2, -2.0, 0.4, 1.5, 0.2, -0.3, 0.8, 0.6, 1.1, -0.9, 0.0, 2.2, -0.4 };   // (2, 3, 3)
    private static readonly double[] Opp = { 0.2, 0.5, 0.3, 0.6, 0.1, 0.3 };

    private static double[] Softmax(double[] x)
    {
        double m = x.Max(), z = x.Sum(v => Math.Exp(v - m));
        return x.Select(v => Math.Exp(v - m) / z).ToArray();
    }

    private static (double Regret, double Ce, double[] Values, double[] Pi) Game(int g)
    {
        var pi = Softmax(Logits.Skip(3 * g).Take(3).ToArray());
        var v = Mv(Payoffs.Skip(9 * g).Take(9).ToArray(), 3, 3, Opp.Skip(3 * g).Take(3).ToArray());
        double value = pi.Zip(v, (p, x) => p * x).Sum();
        int best = ArgMax(v);
        return (v.Max() - value, -Math.Log(pi[best]), v, pi);
    }

    [Theory]
    [InlineData(FictitiousPlayObjective.Regret)]
    [InlineData(FictitiousPlayObjective.CrossEntropy)]
    public void IsTheRegretOrTheCrossEntropyTowardTheBestResponseForEachReduction(FictitiousPlayObjective objective)
    {
        var want = Enumerable.Range(0, 2).Select(g => objective == FictitiousPlayObjective.Regret ? Game(g).Regret : Game(g).Ce).ToArray();
        Tensor Loss(Reduction r) => F.fictitious_play_loss(T.F64(Logits, 2, 3), T.F64(Payoffs, 2, 3, 3), T.F64(Opp, 2, 3), objective, r);
        T.Close(want, Loss(Reduction.None), 1e-13);
        T.Close(want.Average(), Loss(Reduction.Mean), 1e-13);
        T.Close(want.Sum(), Loss(Reduction.Sum), 1e-13);
        // One game, unbatched.
        T.Close(want[1], F.fictitious_play_loss(T.F64(Logits.Skip(3).ToArray()), T.F64(Payoffs.Skip(9).ToArray(), 3, 3), T.F64(Opp.Skip(3).ToArray()), objective, Reduction.None), 1e-13);
    }

    [Fact]
    public void TheRegretGradientMovesThePolicyTowardTheBestResponse()
    {
        // d regret / d logit_j = -pi_j (v_j - pi . v), summed over games.
        var want = Enumerable.Range(0, 2).SelectMany(g =>
        {
            var (_, _, v, pi) = Game(g);
            double value = pi.Zip(v, (p, x) => p * x).Sum();
            return pi.Select((p, j) => -p * (v[j] - value));
        }).ToArray();
        T.Close(want, T.Grad(x => F.fictitious_play_loss(x, T.F64(Payoffs, 2, 3, 3), T.F64(Opp, 2, 3), reduction: Reduction.Sum), T.F64(Logits, 2, 3)), 1e-13);
        // A policy that is the best response has no regret.
        var (_, _, v0, _) = Game(0);
        var pure = new double[3];
        pure[ArgMax(v0)] = 50;
        T.Close(0.0, F.fictitious_play_loss(T.F64(pure), T.F64(Payoffs.Take(9).ToArray(), 3, 3), T.F64(Opp.Take(3).ToArray())), 0, 1e-12);
    }

    [Fact]
    public void Float32LogitsOf1e4StayFiniteAndModuleAndRegistryMatch()
    {
        var logits = T.F32(new[] { 1e4f, -1e4f, 0f }, 3);
        var a = T.F32(Rps.Select(v => (float)v).ToArray(), 3, 3);
        var s = T.F32(new[] { 0.2f, 0.5f, 0.3f }, 3);
        foreach (var objective in new[] { FictitiousPlayObjective.Regret, FictitiousPlayObjective.CrossEntropy })
        {
            T.Finite(F.fictitious_play_loss(logits, a, s, objective), "loss");
            T.Finite(T.Grad(x => F.fictitious_play_loss(x, a, s, objective), logits), "gradient");
        }
        double want = Game(0).Ce + Game(1).Ce;
        T.Close(want, new FictitiousPlayLoss(FictitiousPlayObjective.CrossEntropy, Reduction.Sum).forward(T.F64(Logits, 2, 3), T.F64(Payoffs, 2, 3, 3), T.F64(Opp, 2, 3)), 1e-13);
        T.Close(want, LossCatalog.Create("fictitious_play:objective=cross_entropy,reduction=sum").Forward(new Dictionary<string, Tensor>
        {
            ["logits"] = T.F64(Logits, 2, 3), ["payoff"] = T.F64(Payoffs, 2, 3, 3), ["opponent_average"] = T.F64(Opp, 2, 3),
        }), 1e-13);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var a = T.F64(Rps, 3, 3);
        var s = T.F64(new[] { 0.2, 0.5, 0.3 });
        Assert.Contains("logits", Assert.Throws<ArgumentException>(() => F.fictitious_play_loss(T.F64(new[] { 1.0, 2.0 }), a, s)).Message);
        Assert.Contains("opponent_average", Assert.Throws<ArgumentException>(() => F.fictitious_play_loss(s, a, T.F64(new[] { 0.2, 0.5, 0.5 }))).Message);
        Assert.Contains("opponent_average", Assert.Throws<ArgumentException>(() => F.fictitious_play_loss(s, a, T.F64(new[] { 0.5, 0.5 }))).Message);
        Assert.Contains("payoff", Assert.Throws<ArgumentException>(() => F.fictitious_play_loss(s, T.F64(Rps), s)).Message);
        Assert.Contains("history", Assert.Throws<ArgumentException>(() => FictitiousPlay.AverageStrategy(T.F64(new[] { 0.5, 0.7 }, 1, 2))).Message);
        Assert.Contains("actions", Assert.Throws<ArgumentException>(() => FictitiousPlay.AverageStrategy(T.I64(0, 3), 3)).Message);
        Assert.Contains("opponent", Assert.Throws<ArgumentException>(() => FictitiousPlay.BestResponse(a, T.F64(new[] { 1.0, 0.0 }))).Message);
        Assert.Contains("iteration", Assert.Throws<ArgumentOutOfRangeException>(() => FictitiousPlay.Step(a, s, s, 0)).Message);
        Assert.Contains("payoffCol", Assert.Throws<ArgumentException>(() => FictitiousPlay.Run(a, 3, T.F64(Pd, 2, 2))).Message);
        Assert.Contains("iterations", Assert.Throws<ArgumentOutOfRangeException>(() => FictitiousPlay.Run(a, -1)).Message);
    }
}
