using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Divergence;

public class IqTests
{
    // Independent reference of the Appendix A computation and its surrogate gradient (phi' held), in plain doubles.
    private static (double value, double[,] grad) Reference(double[,] x, long[] y, string div, double alpha)
    {
        int n = x.GetLength(0), c = x.GetLength(1);
        double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        double Softplus(double v) => v > 0 ? v + Math.Log(1 + Math.Exp(-v)) : Math.Log(1 + Math.Exp(v));
        double Act(double v) => div switch { "js" => Softplus(v) - Math.Log(2) + 1e-5, "hellinger" => Softplus(v) - 1 + 1e-5, _ => v };
        double ActPrime(double v) => div is "js" or "hellinger" ? Sigmoid(v) : 1;
        double PhiPrime(double r) => div switch
        {
            "chi" => 1,
            "kl" => Math.Exp(-r),
            "js" => Math.Exp(-r) / (2 - Math.Exp(-r)),
            "hellinger" => 1 / ((1 + r) * (1 + r)),
            _ => throw new ArgumentException(div),
        };
        double total = 0;
        var grad = new double[n, c];
        for (int i = 0; i < n; i++)
        {
            var r = new double[c];
            for (int j = 0; j < c; j++) r[j] = Act(x[i, j]);
            double m = r.Max(), z = r.Sum(v => Math.Exp(v - m)), lse = m + Math.Log(z);
            double ry = r[y[i]], pp = PhiPrime(ry);
            double li = -pp * ry + lse;
            if (div == "chi") li += alpha / 4 * r.Sum(v => v * v) / c;
            total += li;
            for (int j = 0; j < c; j++)
            {
                double g = Math.Exp(r[j] - lse) - (j == y[i] ? pp : 0);
                g *= ActPrime(x[i, j]);
                if (div == "chi") g += alpha / 4 * 2 * r[j] / c;
                grad[i, j] = g / n;
            }
        }
        return (total / n, grad);
    }

    private static readonly double[,] X = { { 1.2, -0.7, 0.3, 2.1 }, { -1.5, 0.4, 0.9, -0.2 }, { 0.05, -2.2, 1.7, 0.6 } };
    private static readonly long[] Y = { 3, 0, 2 };

    [Theory]
    [InlineData("chi", 0.0)]
    [InlineData("chi", 0.5)]
    [InlineData("chi", 2.0)]
    [InlineData("kl", 0.5)]
    [InlineData("js", 0.5)]
    [InlineData("hellinger", 0.5)]
    public void ValueAndSurrogateGradientMatchTheClosedForm(string div, double alpha)
    {
        var (value, grad) = Reference(X, Y, div, alpha);
        var d = LossLab.DivergenceNames.Parse(div);
        var x = T.F64(X.Cast<double>().ToArray(), 3, 4);
        T.Close(value, LossLab.Losses.iq_loss(x, T.I64(Y), d, alpha));
        T.Close(grad.Cast<double>().ToArray(), T.Grad(v => LossLab.Losses.iq_loss(v, T.I64(Y), d, alpha), x));
    }

    [Fact]
    public void ChiWithAlphaZeroIsCrossEntropyExactly()
    {
        var x = torch.randn(9, 6, dtype: ScalarType.Float64, generator: new Generator(11)) * 3;
        var y = torch.randint(0, 6, new long[] { 9 }, generator: new Generator(12));
        var iq = LossLab.Losses.iq_loss(x, y, LossLab.Divergence.Chi2, 0.0, LossLab.Reduction.None);
        var ce = torch.nn.functional.cross_entropy(x, y, reduction: nn.Reduction.None);
        T.Close(T.Values(ce), iq, 1e-13, 1e-14);
        T.Close(T.Values(T.Grad(v => torch.nn.functional.cross_entropy(v, y), x)), T.Grad(v => LossLab.Losses.iq_loss(v, y, LossLab.Divergence.Chi2, 0.0), x), 1e-12, 1e-15);
    }

    [Theory]
    [InlineData("chi")]
    [InlineData("kl")]
    [InlineData("js")]
    [InlineData("hellinger")]
    public void LogitsOfMagnitude1e4StayFiniteInFloat32(string div)
    {
        var x = T.F32(new float[] { 1e4f, -1e4f, 0f, -1e4f, -1e4f, -1e4f, 1e4f, 1e4f, -1e4f }, 3, 3);
        var y = T.I64(1, 0, 2);
        var d = LossLab.DivergenceNames.Parse(div);
        T.Finite(LossLab.Losses.iq_loss(x, y, d), "value");
        T.Finite(T.Grad(v => LossLab.Losses.iq_loss(v, y, d), x), "gradient");
    }

    [Fact]
    public void ReductionsAgree()
    {
        var x = T.F64(X.Cast<double>().ToArray(), 3, 4);
        var none = LossLab.Losses.iq_loss(x, T.I64(Y), LossLab.Divergence.JensenShannon, reduction: LossLab.Reduction.None);
        Assert.Equal(new long[] { 3 }, none.shape);
        T.Close(T.Values(none).Sum(), LossLab.Losses.iq_loss(x, T.I64(Y), LossLab.Divergence.JensenShannon, reduction: LossLab.Reduction.Sum));
        T.Close(T.Values(none).Average(), LossLab.Losses.iq_loss(x, T.I64(Y), LossLab.Divergence.JensenShannon));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(3, 4, dtype: ScalarType.Float64);
        Assert.Contains("'target'", Assert.Throws<ArgumentException>(() => LossLab.Losses.iq_loss(x, T.I64(0, 4, 1))).Message);
        Assert.Contains("'alpha'", Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.iq_loss(x, T.I64(0, 1, 1), alpha: -0.1)).Message);
        Assert.Contains("'input' must have at least 2", Assert.Throws<ArgumentException>(() => LossLab.Losses.iq_loss(torch.zeros(3, dtype: ScalarType.Float64), T.I64(0, 1, 1))).Message);
        Assert.Contains("batchmean", Assert.Throws<ArgumentException>(() => LossLab.Losses.iq_loss(x, T.I64(0, 1, 1), reduction: LossLab.Reduction.BatchMean)).Message);
    }
}
