using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Generative;

public class IcmTests
{
    private static readonly double[] Logits = { 1.0, -0.5, 2.0, 0.3, 0.3, -1.2, -2.0, 0.0, 1.5 };
    private static readonly long[] Actions = { 2, 0, 1 };
    private static readonly double[] Pred = { 0.5, -1.0, 2.0, 0.3, 0.0, -0.7 };
    private static readonly double[] Next = { 0.1, -0.4, 1.0, 1.3, -0.5, 0.2 };

    private static double[] Ce() => GenerativeRef.Rows(Logits, 3).Select((row, i) =>
    {
        double m = row.Max();
        return -(row[Actions[i]] - m - Math.Log(row.Sum(v => Math.Exp(v - m))));
    }).ToArray();

    private static double[] Forward() => GenerativeRef.Rows(Pred.Zip(Next, (p, n) => (p - n) * (p - n)).ToArray(), 2).Select(r => 0.5 * r.Sum()).ToArray();

    private static Tensor Loss(double beta = 0.2, bool hold = true, Reduction reduction = Reduction.Mean, Tensor? logits = null, Tensor? pred = null, Tensor? next = null) =>
        F.icm_loss(logits ?? T.F64(Logits, 3, 3), T.I64(Actions), pred ?? T.F64(Pred, 3, 2), next ?? T.F64(Next, 3, 2), beta, hold, reduction);

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void IsOneMinusBetaInverseCrossEntropyPlusBetaHalfSquaredFeatureError(double beta)
    {
        var want = Ce().Zip(Forward(), (i, f) => (1 - beta) * i + beta * f).ToArray();
        T.Close(want, Loss(beta, reduction: Reduction.None), 1e-13);
        T.Close(want.Average(), Loss(beta), 1e-13);
        T.Close(want.Sum(), Loss(beta, reduction: Reduction.Sum), 1e-13);
    }

    [Fact]
    public void TheForwardLossTrainsThePredictionButNotTheEncodersTargetUnlessAsked()
    {
        const double beta = 0.2;
        var gradPred = Pred.Select((p, k) => beta * (p - Next[k]) / 3).ToArray();
        T.Close(gradPred, T.Grad(x => Loss(beta, pred: x), T.F64(Pred, 3, 2)), 1e-13);
        // Held (the paper): no gradient to phi(s_{t+1}); not held (the authors' code): the mirror image.
        T.Close(new double[6], GenerativeRef.GradOrZero(x => Loss(beta, pred: T.F64(Pred, 3, 2).requires_grad_(true), next: x), T.F64(Next, 3, 2)), 0, 0);
        T.Close(gradPred.Select(g => -g).ToArray(), T.Grad(x => Loss(beta, hold: false, next: x), T.F64(Next, 3, 2)), 1e-13);
        // The inverse loss's gradient: (1 - beta) (softmax - onehot) / N.
        var soft = GenerativeRef.Rows(Logits, 3).SelectMany((row, i) =>
        {
            double m = row.Max(), z = row.Sum(v => Math.Exp(v - m));
            return row.Select((v, j) => (1 - beta) * (Math.Exp(v - m) / z - (j == Actions[i] ? 1 : 0)) / 3);
        }).ToArray();
        T.Close(soft, T.Grad(x => Loss(beta, logits: x), T.F64(Logits, 3, 3)), 1e-13);
    }

    [Fact]
    public void IntrinsicRewardIsHalfEtaTimesTheForwardError()
    {
        var r = IntrinsicReward.Icm(T.F64(Pred, 3, 2).requires_grad_(true), T.F64(Next, 3, 2), eta: 0.5);
        T.Close(Forward().Select(f => 0.5 * f).ToArray(), r, 1e-13);
        Assert.False(r.requires_grad);
        var (loss, terms) = F.icm_loss_terms(T.F64(Logits, 3, 3), T.I64(Actions), T.F64(Pred, 3, 2), T.F64(Next, 3, 2));
        Assert.Equal(Ce().Average(), terms["inverse"], 12);
        Assert.Equal(Forward().Average(), terms["forward"], 12);
        T.Close(0.8 * Ce().Average() + 0.2 * Forward().Average(), loss, 1e-13);
    }

    [Fact]
    public void Float32LogitsOf1e4StayFiniteAndModuleAndRegistryMatch()
    {
        var logits = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 0f }, 2, 3);
        var pred = T.F32(new[] { 1f, 2f, 3f, 4f }, 2, 2);
        var next = T.F32(new[] { 0f, 2f, 3f, 0f }, 2, 2);
        var loss = F.icm_loss(logits, T.I64(1, 1), pred, next, reduction: Reduction.None);
        T.Close(new[] { 0.8 * 2e4 + 0.2 * 0.5, 0.2 * 8 }, loss, 1e-6);
        T.Finite(T.Grad(x => F.icm_loss(x, T.I64(1, 1), pred, next), logits));
        double want = T.Scalar(Loss(0.3));
        T.Close(want, new IcmLoss(0.3).forward(T.F64(Logits, 3, 3), T.I64(Actions), T.F64(Pred, 3, 2), T.F64(Next, 3, 2)));
        T.Close(want, LossCatalog.Create("icm:beta=0.3").Forward(new Dictionary<string, Tensor> { ["action_logits"] = T.F64(Logits, 3, 3), ["actions"] = T.I64(Actions), ["predicted_features"] = T.F64(Pred, 3, 2), ["next_features"] = T.F64(Next, 3, 2) }));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var l = T.F64(Logits, 3, 3);
        var p = T.F64(Pred, 3, 2);
        Assert.Contains("actions", Assert.Throws<ArgumentException>(() => F.icm_loss(l, T.I64(0, 3, 1), p, p)).Message);
        Assert.Contains("actions", Assert.Throws<ArgumentException>(() => F.icm_loss(l, T.F64(new[] { 0.0, 1, 1 }), p, p)).Message);
        Assert.Contains("next_features", Assert.Throws<ArgumentException>(() => F.icm_loss(l, T.I64(Actions), p, T.F64(Next, 2, 3))).Message);
        Assert.Contains("predicted_features", Assert.Throws<ArgumentException>(() => F.icm_loss(l, T.I64(Actions), T.F64(Pred, 2, 3), T.F64(Next, 2, 3))).Message);
        Assert.Contains("beta", Assert.Throws<ArgumentOutOfRangeException>(() => F.icm_loss(l, T.I64(Actions), p, p, beta: 1.5)).Message);
        Assert.Contains("eta", Assert.Throws<ArgumentOutOfRangeException>(() => IntrinsicReward.Icm(p, p, -1)).Message);
    }
}
