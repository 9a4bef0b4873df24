using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class ValueFunctionTests
{
    private static readonly double[] Q = { 0.9, 0.1, 0.3, /**/ 0.2, 0.6, 0.1, /**/ 0.05, 0.4, 0.45, /**/ 0.7, 0.8, 0.0 };
    private static readonly long[] Y = { 0, 2, 2, 0 };

    [Fact]
    public void GreedyActionsGiveTheSquaredErrorOfTheArgmax()
    {
        // argmax per row: 0 (right), 1 (wrong), 2 (right), 1 (wrong)
        var want = new[] { Math.Pow(0.9 - 1, 2), Math.Pow(0.6, 2), Math.Pow(0.45 - 1, 2), Math.Pow(0.8, 2) };
        var x = T.F64(Q, 4, 3);
        T.Close(want, F.value_function_loss(x, T.I64(Y), 0, reduction: Reduction.None));
        T.Close(want.Average(), F.value_function_loss(x, T.I64(Y), 0));
        T.Close(want.Sum(), F.value_function_loss(x, T.I64(Y), 0, reduction: Reduction.Sum));
        // only the chosen action's prediction gets a gradient: 2 (Q_a - r)
        var g = T.Values(T.Grad(v => F.value_function_loss(v, T.I64(Y), 0, reduction: Reduction.Sum), x));
        var wantGrad = new double[12];
        wantGrad[0] = 2 * (0.9 - 1); wantGrad[4] = 2 * 0.6; wantGrad[8] = 2 * (0.45 - 1); wantGrad[10] = 2 * 0.8;
        T.Close(wantGrad, T.F64(g));
    }

    [Fact]
    public void ExploredActionsAreSomeClassWithTheMatchingRewardAndGradient()
    {
        var x = torch.rand(50, 4, dtype: ScalarType.Float64, generator: new Generator(3));
        var y = torch.randint(0, 4, new long[] { 50 }, generator: new Generator(4));
        var loss = T.Values(F.value_function_loss(x, y, 1.0, new Generator(5), Reduction.None));
        var g = T.Values(T.Grad(v => F.value_function_loss(v, y, 1.0, new Generator(5), Reduction.Sum), x));
        var xv = T.Values(x);
        var yv = y.data<long>().ToArray();
        for (int i = 0; i < 50; i++)
        {
            var nonzero = Enumerable.Range(0, 4).Where(j => g[i * 4 + j] != 0).ToArray();
            Assert.Single(nonzero);
            int a = nonzero[0];
            double r = a == yv[i] ? 1 : 0;
            Assert.Equal(Math.Pow(xv[i * 4 + a] - r, 2), loss[i], 12);
            Assert.Equal(2 * (xv[i * 4 + a] - r), g[i * 4 + a], 12);
        }
    }

    [Fact]
    public void ExplorationHappensWithProbabilityEpsilon()
    {
        // One row whose greedy action is class 0, repeated: a non-greedy action shows as a loss other than (0.9 - 1)^2.
        const int n = 6000;
        var x = T.F64(new[] { 0.9, 0.3, 0.2, 0.15 }, 1, 4).expand(n, 4).contiguous();
        var y = torch.zeros(n, dtype: ScalarType.Int64);
        var loss = T.Values(F.value_function_loss(x, y, 0.4, new Generator(6), Reduction.None));
        double nonGreedy = loss.Count(v => Math.Abs(v - 0.01) > 1e-12) / (double)n;
        Assert.InRange(nonGreedy, 0.4 * 0.75 - 0.03, 0.4 * 0.75 + 0.03);   // explore, then a class other than 0: 3 / 4
    }

    [Fact]
    public void TheSameSeedGivesTheSameActions()
    {
        var x = torch.rand(30, 5, dtype: ScalarType.Float64, generator: new Generator(7));
        var y = torch.randint(0, 5, new long[] { 30 }, generator: new Generator(8));
        var spec = LossCatalog.Create("value_function:epsilon=0.5,seed=3,reduction=none");
        var a = T.Values(spec.forward(x, y));
        Assert.Equal(a, T.Values(spec.forward(x, y)));
        Assert.NotEqual(a, T.Values(LossCatalog.Create("value_function:epsilon=0.5,seed=4,reduction=none").forward(x, y)));
        var module = new ValueFunctionLoss(0.5, seed: 3, reduction: Reduction.None);
        Assert.Equal(a, T.Values(module.forward(x, y)));
    }

    [Fact]
    public void ExtremeValuesStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 3f }, 2, 3);
        var y = T.I64(1, 1);
        foreach (double eps in new[] { 0.0, 1.0 })
        {
            T.Finite(F.value_function_loss(x, y, eps, new Generator(1)), "loss");
            T.Finite(T.Grad(v => F.value_function_loss(v, y, eps, new Generator(1)), x), "gradient");
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(2, 3, dtype: ScalarType.Float64);
        Assert.Contains("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => F.value_function_loss(x, T.I64(0, 1), 1.5)).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.value_function_loss(x, T.I64(0, 3))).Message);
        Assert.Contains("floating-point", Assert.Throws<ArgumentException>(() => F.value_function_loss(torch.zeros(2, 3, dtype: ScalarType.Int64), T.I64(0, 1))).Message);
    }
}
