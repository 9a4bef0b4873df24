using LossLab.Tests.Support;
using Xunit;
using static LossLab.Tests.Losses.Alignment.AlignmentRef;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Alignment;

public class RewardModelTests
{
    private static readonly double[] Chosen = { 1.5, -0.3, 0.2, 4.0 };
    private static readonly double[] Rejected = { 0.5, 0.4, 0.2, -1.0 };
    private static readonly double[] Margin = { 0.5, 0.0, 1.0, 2.0 };

    [Fact]
    public void IsTheBradleyTerryNegativeLogLikelihood()
    {
        var want = Chosen.Zip(Rejected, (c, r) => -LogSigmoid(c - r)).ToArray();
        T.Close(want, LossLab.Losses.reward_model_loss(T.F64(Chosen), T.F64(Rejected), reduction: Reduction.None));
        T.Close(want.Average(), LossLab.Losses.reward_model_loss(T.F64(Chosen), T.F64(Rejected)));
        T.Close(want.Sum(), LossLab.Losses.reward_model_loss(T.F64(Chosen), T.F64(Rejected), reduction: Reduction.Sum));
        // equal scores: log 2
        T.Close(Math.Log(2), LossLab.Losses.reward_model_loss(V(0.7), V(0.7)));
    }

    [Fact]
    public void MarginAndCentringAddTheirTerms()
    {
        var want = Enumerable.Range(0, 4).Select(i => -LogSigmoid(Chosen[i] - Rejected[i] - Margin[i]) + 0.01 * Math.Pow(Chosen[i] + Rejected[i], 2)).ToArray();
        T.Close(want, LossLab.Losses.reward_model_loss(T.F64(Chosen), T.F64(Rejected), T.F64(Margin), 0.01, Reduction.None));
    }

    [Fact]
    public void GradientIsMinusSigmoidOfTheNegativeGap()
    {
        // d/dc -log sigmoid(c - r) = -sigmoid(r - c)
        var g = T.Grad(c => LossLab.Losses.reward_model_loss(c, T.F64(Rejected), reduction: Reduction.Sum), T.F64(Chosen));
        T.Close(Chosen.Zip(Rejected, (c, r) => -Sigmoid(r - c)).ToArray(), g);
    }

    [Fact]
    public void ExtremeScoresStayFiniteInFloat32()
    {
        var c = T.F32(new float[] { 1e4f, -1e4f, 0f });
        var r = T.F32(new float[] { -1e4f, 1e4f, 1e4f });
        T.Finite(LossLab.Losses.reward_model_loss(c, r), "loss");
        T.Finite(T.Grad(v => LossLab.Losses.reward_model_loss(v, r), c), "gradient");
        T.Close(2e4, LossLab.Losses.reward_model_loss(T.F32(new float[] { -1e4f }), T.F32(new float[] { 1e4f })), rtol: 1e-6);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var c = T.F64(Chosen);
        Assert.Contains("rejected", Assert.Throws<ArgumentException>(() => LossLab.Losses.reward_model_loss(c, V(1.0, 2.0))).Message);
        Assert.Contains("chosen", Assert.Throws<ArgumentException>(() => LossLab.Losses.reward_model_loss(T.I64(1, 2, 3, 4), c)).Message);
        Assert.Contains("margin", Assert.Throws<ArgumentException>(() => LossLab.Losses.reward_model_loss(c, c, V(1.0))).Message);
        Assert.Contains("center_rewards_coefficient", Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.reward_model_loss(c, c, center_rewards_coefficient: -1)).Message);
        var module = new LossLab.RewardModelLoss();
        T.Close(Chosen.Zip(Rejected, (x, y) => -LogSigmoid(x - y)).Average(), module.forward(c, T.F64(Rejected)));
    }
}
