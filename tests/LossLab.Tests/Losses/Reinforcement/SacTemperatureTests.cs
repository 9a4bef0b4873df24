using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class SacTemperatureTests
{
    private static readonly double[] LogP = { -1.5, 0.5, -3.0, 2.0 };

    [Fact]
    public void ValueAndGradientWithTheDefaultTargetMinusActionDim()
    {
        const double la = 0.3;
        var logAlpha = torch.tensor(la, dtype: ScalarType.Float64);
        // target -|A| = -2: per sample -0.3 * (log pi - 2)
        T.Close(LogP.Select(l => -la * (l - 2)).ToArray(), F.sac_temperature_loss(logAlpha, T.F64(LogP), action_dim: 2, reduction: Reduction.None), rtol: 1e-12);
        var g = RlRef.Grads(x => F.sac_temperature_loss(x[0], x[1], action_dim: 2), logAlpha, T.F64(LogP));
        Assert.Equal(-LogP.Average(l => l - 2), g[0][0], 12);
        Assert.All(g[1], v => Assert.Equal(0.0, v));
        // an explicit target, the sum
        T.Close(LogP.Sum(l => -la * (l + 0.7)), F.sac_temperature_loss(logAlpha, T.F64(LogP), target_entropy: 0.7, reduction: Reduction.Sum), rtol: 1e-12);
    }

    [Fact]
    public void AlphaFormScalesTheGradientByAlpha()
    {
        var logAlpha = torch.tensor(new[] { -0.4 }, dtype: ScalarType.Float64);
        double alpha = Math.Exp(-0.4);
        T.Close(-alpha * LogP.Average(l => l - 1), F.sac_temperature_loss(logAlpha, T.F64(LogP), form: SacTemperatureForm.Alpha), rtol: 1e-12);
        var g = RlRef.Grads(x => F.sac_temperature_loss(x[0], T.F64(LogP), form: SacTemperatureForm.Alpha), logAlpha)[0];
        Assert.Equal(-alpha * LogP.Average(l => l - 1), g[0], 12);
        T.Close(T.Scalar(F.sac_temperature_loss(logAlpha, T.F64(LogP), 3)), new SacTemperatureLoss(3).forward(logAlpha, T.F64(LogP)));
    }

    [Fact]
    public void LargeFloat32LogProbsStayFinite()
    {
        var logAlpha = torch.tensor(0.1f);
        var logp = T.F32(new[] { -1e4f, 1e4f }, 2);
        T.Finite(F.sac_temperature_loss(logAlpha, logp), "loss");
        T.Finite(T.Grad(x => F.sac_temperature_loss(x, logp), logAlpha), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var logp = torch.zeros(3, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => F.sac_temperature_loss(torch.zeros(2), logp));
        Assert.Contains("log_alpha", e1.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => F.sac_temperature_loss(torch.zeros(1), logp, action_dim: 0));
        Assert.Contains("action_dim", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => F.sac_temperature_loss(torch.zeros(1), logp, target_entropy: double.NaN));
        Assert.Contains("target_entropy", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => F.sac_temperature_loss(torch.zeros(1), torch.zeros(3, 2)));
        Assert.Contains("log_probs", e4.Message);
    }
}
