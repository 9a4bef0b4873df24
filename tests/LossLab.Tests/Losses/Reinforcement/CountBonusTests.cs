using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class CountBonusTests
{
    private static readonly double[] V = { 1.0, 0.5, -2.0, 3.0 };
    private static readonly double[] Rw = { 0.0, 1.0, 2.0, -1.0 };
    private static readonly double[] NextV = { 2.0, 4.0, -1.0, 0.5 };
    private static readonly double[] D = { 0, 0, 1, 0 };
    private static readonly long[] N = { 1, 4, 16, 0 };

    /// <summary>V - (r + beta / sqrt(max(n, 1)) + gamma (1 - d) V'), in doubles.</summary>
    private static double[] Errors(double beta, double gamma) =>
        V.Select((v, i) => v - (Rw[i] + beta / Math.Sqrt(Math.Max(N[i], 1)) + gamma * (1 - D[i]) * NextV[i])).ToArray();

    private static Tensor Loss(double beta = 0.4, double gamma = 0.5, ValueLoss kind = ValueLoss.Mse, double delta = 1.0, Reduction reduction = Reduction.Mean, Tensor? values = null, Tensor? next = null) =>
        F.count_bonus_loss(values ?? T.F64(V), T.F64(Rw), next ?? T.F64(NextV), T.I64(N), T.F64(D), beta, gamma, kind, delta, reduction);

    [Fact]
    public void BonusIsBetaOverTheSquareRootOfTheCountWithZeroReadAsOne()
    {
        var bonus = CountBonus.FromCounts(T.I64(1, 4, 0, 9), beta: 0.5);
        Assert.Equal(ScalarType.Float64, bonus.dtype);
        T.Close(new[] { 0.5, 0.25, 0.5, 0.5 / 3 }, bonus, 1e-15);
        T.Close(new[] { 0.1 / Math.Sqrt(2.5) }, CountBonus.FromCounts(T.F64(new[] { 2.5 }), beta: 0.1), 1e-15);
        Assert.Equal(ScalarType.Float32, CountBonus.FromCounts(T.F32(new[] { 3f }), 1).dtype);
    }

    [Fact]
    public void IsTheTdErrorAgainstTheBonusAugmentedTargetForEachReduction()
    {
        // beta 0.4, gamma 0.5: bonus = [0.4, 0.2, 0.1, 0.4], target = [1.4, 3.2, 2.1, -0.35].
        var e = Errors(0.4, 0.5);
        T.Close(new[] { -0.4, -2.7, -4.1, 3.35 }, T.F64(e), 1e-12);
        T.Close(e.Select(x => x * x).ToArray(), Loss(reduction: Reduction.None), 1e-13);
        T.Close(e.Average(x => x * x), Loss(), 1e-13);
        T.Close(e.Sum(x => x * x), Loss(reduction: Reduction.Sum), 1e-13);
        var huber = e.Select(x => Math.Abs(x) <= 2 ? 0.5 * x * x : 2 * (Math.Abs(x) - 1)).ToArray();
        T.Close(huber, Loss(kind: ValueLoss.Huber, delta: 2, reduction: Reduction.None), 1e-13);
    }

    [Fact]
    public void WithBetaZeroItIsTd0AndTheGradientIsTheSemiGradient()
    {
        T.Close(T.Scalar(F.td0_loss(T.F64(V), T.F64(Rw), T.F64(NextV), T.F64(D), 0.7)), Loss(beta: 0, gamma: 0.7), 1e-14);
        var e = Errors(0.4, 0.5);
        T.Close(e.Select(x => 2 * x).ToArray(), T.Grad(x => Loss(reduction: Reduction.Sum, values: x), T.F64(V)), 1e-13);
        var held = Tests.Losses.Generative.GenerativeRef.GradOrZero(x => Loss(values: T.F64(V).requires_grad_(true), next: x), T.F64(NextV));
        Assert.All(T.Values(held), g => Assert.Equal(0.0, g));
    }

    [Fact]
    public void Float32ExtremesStayFiniteAndModuleAndRegistryMatch()
    {
        var v = T.F32(new[] { 1e4f, -1e4f }, 2);
        var r = T.F32(new[] { -1e4f, 1e4f }, 2);
        var counts = T.I64(0, 1000000000);
        T.Finite(F.count_bonus_loss(v, r, v, counts, beta: 1e3), "loss");
        T.Finite(T.Grad(x => F.count_bonus_loss(x, r, v, counts, beta: 1e3, value_loss: ValueLoss.Huber), v), "gradient");
        double want = T.Scalar(Loss(beta: 0.3, gamma: 0.9));
        T.Close(want, new CountBonusLoss(0.3, 0.9).forward(T.F64(V), T.F64(Rw), T.F64(NextV), T.I64(N), T.F64(D)), 1e-14);
        T.Close(want, LossCatalog.Create("count_bonus:beta=0.3,gamma=0.9").Forward(new Dictionary<string, Tensor>
        {
            ["values"] = T.F64(V), ["rewards"] = T.F64(Rw), ["next_values"] = T.F64(NextV), ["counts"] = T.I64(N), ["dones"] = T.F64(D),
        }), 1e-14);
        Assert.Equal(new[] { "target" }, LossCatalog.GetLoss("count_bonus").HeldTerms);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = T.F64(V);
        Assert.Contains("counts", Assert.Throws<ArgumentException>(() => F.count_bonus_loss(x, x, x, T.I64(1, 2, -1, 3))).Message);
        Assert.Contains("counts", Assert.Throws<ArgumentException>(() => F.count_bonus_loss(x, x, x, T.I64(1, 2, 3))).Message);
        Assert.Contains("counts", Assert.Throws<ArgumentException>(() => F.count_bonus_loss(x, x, x, torch.ones(4, dtype: ScalarType.Bool))).Message);
        Assert.Contains("counts", Assert.Throws<ArgumentException>(() => CountBonus.FromCounts(T.F64(new[] { double.NaN }))).Message);
        Assert.Contains("rewards", Assert.Throws<ArgumentException>(() => F.count_bonus_loss(x, T.F64(new[] { 1.0 }), x, T.I64(N))).Message);
        Assert.Contains("next_values", Assert.Throws<ArgumentException>(() => F.count_bonus_loss(x, x, T.F64(new[] { 1.0 }), T.I64(N))).Message);
        Assert.Contains("beta", Assert.Throws<ArgumentOutOfRangeException>(() => F.count_bonus_loss(x, x, x, T.I64(N), beta: -0.1)).Message);
        Assert.Contains("beta", Assert.Throws<ArgumentOutOfRangeException>(() => CountBonus.FromCounts(T.I64(N), double.PositiveInfinity)).Message);
        Assert.Contains("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => F.count_bonus_loss(x, x, x, T.I64(N), gamma: 1.5)).Message);
    }
}
