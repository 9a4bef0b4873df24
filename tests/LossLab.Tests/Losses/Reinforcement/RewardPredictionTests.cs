using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class RewardPredictionTests
{
    private static readonly double[] Logits = { 1.0, -0.5, 2.0, 0.3, 0.3, -1.2, -2.0, 0.0, 1.5, 0.7, 0.1, -0.4 };
    private static readonly double[] Rewards = { 0.0, 2.5, -0.1, 0.05 };

    /// <summary>-log softmax(row)[c] in doubles.</summary>
    private static double Ce(double[] row, int c)
    {
        double m = row.Max();
        return -(row[c] - m - Math.Log(row.Sum(v => Math.Exp(v - m))));
    }

    private static double[] Rows(int c) => Logits.Skip(c * 3).Take(3).ToArray();

    [Theory]
    [InlineData(0.0, new long[] { 0, 1, 2, 1 })]
    [InlineData(0.1, new long[] { 0, 1, 0, 0 })]
    [InlineData(3.0, new long[] { 0, 0, 0, 0 })]
    public void ClassifiesTheSignAsUnrealZeroPositiveNegative(double threshold, long[] classes)
    {
        Assert.Equal(classes, F.reward_classes(T.F64(Rewards), threshold).data<long>().ToArray());
        var want = classes.Select((c, i) => Ce(Rows(i), (int)c)).ToArray();
        var input = T.F64(Logits, 4, 3);
        T.Close(want, F.reward_prediction_loss(input, T.F64(Rewards), RewardPredictionMode.Classification, threshold, Reduction.None), 1e-13);
        T.Close(want.Average(), F.reward_prediction_loss(input, T.F64(Rewards), RewardPredictionMode.Classification, threshold), 1e-13);
        T.Close(want.Sum(), F.reward_prediction_loss(input, T.F64(Rewards), RewardPredictionMode.Classification, threshold, Reduction.Sum), 1e-13);
    }

    [Fact]
    public void RegressionIsTheSquaredErrorForEachReduction()
    {
        var predicted = new[] { 0.5, 2.0, 0.3, -1.0 };
        var sq = predicted.Select((p, i) => (p - Rewards[i]) * (p - Rewards[i])).ToArray();
        T.Close(sq, F.reward_prediction_loss(T.F64(predicted), T.F64(Rewards), reduction: Reduction.None), 1e-14);
        T.Close(sq.Average(), F.reward_prediction_loss(T.F64(predicted), T.F64(Rewards)), 1e-14);
        T.Close(sq.Sum(), F.reward_prediction_loss(T.F64(predicted), T.F64(Rewards), reduction: Reduction.Sum), 1e-14);
        T.Close(predicted.Select((p, i) => 2 * (p - Rewards[i]) / 4).ToArray(), T.Grad(x => F.reward_prediction_loss(x, T.F64(Rewards)), T.F64(predicted)), 1e-14);
    }

    [Fact]
    public void ClassificationGradientIsSoftmaxMinusOneHotOverN()
    {
        long[] classes = { 0, 1, 2, 1 };
        var want = Enumerable.Range(0, 4).SelectMany(i =>
        {
            var row = Rows(i);
            double m = row.Max(), z = row.Sum(v => Math.Exp(v - m));
            return row.Select((v, j) => (Math.Exp(v - m) / z - (j == classes[i] ? 1 : 0)) / 4);
        }).ToArray();
        T.Close(want, T.Grad(x => F.reward_prediction_loss(x, T.F64(Rewards), RewardPredictionMode.Classification), T.F64(Logits, 4, 3)), 1e-13);
    }

    [Fact]
    public void Float32LogitsOf1e4StayFiniteAndModuleAndRegistryMatch()
    {
        var logits = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 0f }, 2, 3);
        var r = T.F32(new[] { -1f, 1f }, 2);
        // r = -1 is class 2 (logit 0 against 1e4), r = 1 class 1 (the largest logit).
        T.Close(new[] { 1e4, 0.0 }, F.reward_prediction_loss(logits, r, RewardPredictionMode.Classification, reduction: Reduction.None), 1e-6, 1e-3);
        T.Finite(T.Grad(x => F.reward_prediction_loss(x, r, RewardPredictionMode.Classification), logits));
        T.Finite(F.reward_prediction_loss(T.F32(new[] { 1e4f, -1e4f }, 2), r));
        double want = T.Scalar(F.reward_prediction_loss(T.F64(Logits, 4, 3), T.F64(Rewards), RewardPredictionMode.Classification, 0.1));
        T.Close(want, new RewardPredictionLoss(RewardPredictionMode.Classification, 0.1).forward(T.F64(Logits, 4, 3), T.F64(Rewards)));
        T.Close(want, LossCatalog.Create("reward_prediction:mode=classification,zero_threshold=0.1").Forward(new Dictionary<string, Tensor> { ["input"] = T.F64(Logits, 4, 3), ["target"] = T.F64(Rewards) }));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var r = T.F64(Rewards);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.reward_prediction_loss(T.F64(new double[8], 4, 2), r, RewardPredictionMode.Classification)).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.reward_prediction_loss(T.F64(Logits, 4, 3), T.I64(0, 1, 2, 0), RewardPredictionMode.Classification)).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.reward_prediction_loss(T.F64(Logits, 4, 3), T.F64(new[] { 0.0, 1.0 }), RewardPredictionMode.Classification)).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.reward_prediction_loss(T.F64(new double[3]), r)).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.reward_prediction_loss(T.F64(new double[1]), T.F64(new[] { double.NaN }))).Message);
        Assert.Contains("zero_threshold", Assert.Throws<ArgumentOutOfRangeException>(() => F.reward_prediction_loss(T.F64(Logits, 4, 3), r, RewardPredictionMode.Classification, -1)).Message);
        Assert.Contains("mode", Assert.Throws<ArgumentOutOfRangeException>(() => F.reward_prediction_loss(r, r, (RewardPredictionMode)7)).Message);
    }
}
