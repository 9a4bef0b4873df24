using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class ForwardDynamicsTests
{
    private static readonly double[] Pred = { 0.5, -1.0, 2.0, 0.3, 0.0, -0.7, 1.1, 0.4 };
    private static readonly double[] Next = { 0.1, -0.4, 1.0, 1.3, -0.5, 0.2, 0.9, -0.6 };

    /// <summary>1/2 sum over the features of each sample (rows of <paramref name="width"/>).</summary>
    private static double[] Half(int width) => Enumerable.Range(0, Pred.Length / width)
        .Select(i => 0.5 * Enumerable.Range(i * width, width).Sum(j => (Pred[j] - Next[j]) * (Pred[j] - Next[j]))).ToArray();

    [Fact]
    public void IsHalfTheSquaredFeatureErrorSummedOverFeaturesForEachReduction()
    {
        var p = T.F64(Pred, 4, 2);
        var n = T.F64(Next, 4, 2);
        T.Close(Half(2), F.forward_dynamics_loss(p, n, reduction: Reduction.None), 1e-14);
        T.Close(Half(2).Average(), F.forward_dynamics_loss(p, n), 1e-14);
        T.Close(Half(2).Sum(), F.forward_dynamics_loss(p, n, reduction: Reduction.Sum), 1e-14);
        // (N, ...) features: (2, 2, 2) sums over 4 features per sample.
        T.Close(Half(4), F.forward_dynamics_loss(T.F64(Pred, 2, 2, 2), T.F64(Next, 2, 2, 2), reduction: Reduction.None), 1e-14);
    }

    [Fact]
    public void TheTargetIsHeldUnlessAsked()
    {
        var grad = Pred.Select((v, j) => (v - Next[j]) / 4).ToArray();
        T.Close(grad, T.Grad(x => F.forward_dynamics_loss(x, T.F64(Next, 4, 2)), T.F64(Pred, 4, 2)), 1e-14);
        var held = Tests.Losses.Generative.GenerativeRef.GradOrZero(x => F.forward_dynamics_loss(T.F64(Pred, 4, 2).requires_grad_(true), x), T.F64(Next, 4, 2));
        Assert.All(T.Values(held), g => Assert.Equal(0.0, g));
        T.Close(grad.Select(g => -g).ToArray(), T.Grad(x => F.forward_dynamics_loss(T.F64(Pred, 4, 2), x, hold_features: false), T.F64(Next, 4, 2)), 1e-14);
        Assert.Equal(new[] { "next_features" }, LossCatalog.GetLoss("forward_dynamics").HeldTerms);
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.7)]
    public void IcmIsOneMinusBetaInverseDynamicsPlusBetaForwardDynamics(double beta)
    {
        var logits = T.F64(new[] { 1.0, -0.5, 2.0, 0.3, 0.3, -1.2, -2.0, 0.0, 1.5, 0.7, 0.1, -0.4 }, 4, 3);
        var actions = T.I64(2, 0, 1, 1);
        var icm = F.icm_loss(logits, actions, T.F64(Pred, 4, 2), T.F64(Next, 4, 2), beta, reduction: Reduction.None);
        var parts = F.inverse_dynamics_loss(logits, actions, Reduction.None) * (1 - beta) + F.forward_dynamics_loss(T.F64(Pred, 4, 2), T.F64(Next, 4, 2), reduction: Reduction.None) * beta;
        T.Close(T.Values(parts), icm, 1e-13);
    }

    [Fact]
    public void Float32ExtremesStayFiniteAndModuleAndRegistryMatch()
    {
        var p = T.F32(new[] { 1e4f, -1e4f, 3f, 0f }, 2, 2);
        var n = T.F32(new[] { -1e4f, 1e4f, 0f, 0f }, 2, 2);
        T.Finite(F.forward_dynamics_loss(p, n), "loss");
        T.Finite(T.Grad(x => F.forward_dynamics_loss(x, n, hold_features: false), p), "gradient");
        double want = Half(2).Sum();
        T.Close(want, new ForwardDynamicsLoss(false, Reduction.Sum).forward(T.F64(Pred, 4, 2), T.F64(Next, 4, 2)), 1e-14);
        T.Close(want, LossCatalog.Create("forward_dynamics:hold_features=false,reduction=sum").Forward(new Dictionary<string, Tensor>
        {
            ["predicted_features"] = T.F64(Pred, 4, 2), ["next_features"] = T.F64(Next, 4, 2),
        }), 1e-14);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        Assert.Contains("next_features", Assert.Throws<ArgumentException>(() => F.forward_dynamics_loss(T.F64(Pred, 4, 2), T.F64(Next, 2, 4))).Message);
        Assert.Contains("next_features", Assert.Throws<ArgumentException>(() => F.forward_dynamics_loss(T.F64(Pred, 4, 2), T.I64(1, 2, 3, 4, 5, 6, 7, 8).reshape(4, 2))).Message);
        Assert.Contains("predicted_features", Assert.Throws<ArgumentException>(() => F.forward_dynamics_loss(torch.zeros(0, 2, dtype: ScalarType.Float64), torch.zeros(0, 2, dtype: ScalarType.Float64))).Message);
        Assert.Contains("reduction", Assert.Throws<ArgumentException>(() => F.forward_dynamics_loss(T.F64(Pred, 4, 2), T.F64(Next, 4, 2), reduction: Reduction.BatchMean)).Message);
    }
}
