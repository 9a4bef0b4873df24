using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;
using R = LossLab.Tests.Losses.Metric.MetricRef;

namespace LossLab.Tests.Losses.Contrastive;

/// <summary>VICReg and Barlow Twins against their papers' formulas looped in plain doubles.</summary>
public class TwoViewLossTests
{
    private static double[] Column(double[][] z, int j) => z.Select(r => r[j]).ToArray();

    private static double VicReg(double[][] a, double[][] b, double lam, double mu, double nu, double gamma, double eps)
    {
        int n = a.Length, d = a[0].Length;
        double inv = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) inv += Math.Pow(a[i][j] - b[i][j], 2);
        inv /= n * d;
        double Var(double[][] z)
        {
            double v = 0;
            for (int j = 0; j < d; j++)
            {
                var c = Column(z, j);
                double m = c.Average(), unbiased = c.Sum(x => (x - m) * (x - m)) / (n - 1);
                v += Math.Max(0, gamma - Math.Sqrt(unbiased + eps));
            }
            return v / d;
        }
        double Cov(double[][] z)
        {
            double s = 0;
            for (int p = 0; p < d; p++)
                for (int q = 0; q < d; q++)
                {
                    if (p == q) continue;
                    var cp = Column(z, p);
                    var cq = Column(z, q);
                    double mp = cp.Average(), mq = cq.Average();
                    double c = cp.Select((x, i) => (x - mp) * (cq[i] - mq)).Sum() / (n - 1);
                    s += c * c;
                }
            return s / d;
        }
        return lam * inv + mu * (Var(a) + Var(b)) + nu * (Cov(a) + Cov(b));
    }

    private static double Barlow(double[][] a, double[][] b, double lambd, double eps)
    {
        int n = a.Length, d = a[0].Length;
        double[][] Bn(double[][] z) => z.Select(r => r.Select((x, j) =>
        {
            var c = Column(z, j);
            double m = c.Average(), biased = c.Sum(v => (v - m) * (v - m)) / n;
            return (x - m) / Math.Sqrt(biased + eps);
        }).ToArray()).ToArray();
        var za = Bn(a);
        var zb = Bn(b);
        double loss = 0;
        for (int p = 0; p < d; p++)
            for (int q = 0; q < d; q++)
            {
                double c = Enumerable.Range(0, n).Sum(i => za[i][p] * zb[i][q]) / n;
                loss += p == q ? (1 - c) * (1 - c) : lambd * c * c;
            }
        return loss;
    }

    [Theory]
    [InlineData(25.0, 25.0, 1.0, 1.0, 1e-4, 0.3)]
    [InlineData(1.0, 0.0, 0.0, 1.0, 1e-4, 1.0)]
    [InlineData(0.0, 1.0, 0.0, 2.0, 1e-2, 1.0)]
    [InlineData(0.0, 0.0, 1.0, 1.0, 1e-4, 2.0)]
    public void VicRegMatchesThePapersTerms(double lam, double mu, double nu, double gamma, double eps, double scale)
    {
        var a = R.Rows(121, 7, 4, scale);
        var b = R.Rows(122, 7, 4, scale);
        T.Close(VicReg(a, b, lam, mu, nu, gamma, eps), F.vicreg_loss(R.M(a), R.M(b), lam, mu, nu, gamma, eps), 1e-10, 1e-12);
    }

    [Fact]
    public void VicRegDefaultsAreThePapers()
    {
        var a = R.Rows(123, 6, 3);
        var b = R.Rows(124, 6, 3);
        double want = VicReg(a, b, 25, 25, 1, 1, 1e-4);
        T.Close(want, F.vicreg_loss(R.M(a), R.M(b)), 1e-10);
        T.Close(want, new VicRegLoss().forward(R.M(a), R.M(b)), 1e-10);
        T.Close(want, LossCatalog.Create("vicreg").forward(R.M(a), R.M(b)), 1e-10);
    }

    [Theory]
    [InlineData(5e-3, 1e-5)]
    [InlineData(0.0, 1e-5)]
    [InlineData(1.0, 0.1)]
    public void BarlowTwinsMatchesThePapersFormula(double lambd, double eps)
    {
        var a = R.Rows(125, 8, 3, 2);
        var b = R.Rows(126, 8, 3, 2);
        T.Close(Barlow(a, b, lambd, eps), F.barlow_twins_loss(R.M(a), R.M(b), lambd, eps), 1e-10, 1e-12);
    }

    [Fact]
    public void BarlowTwinsOfIdenticalDecorrelatedViewsIsNearZero()
    {
        // columns +-1 patterns that are orthogonal over the batch: C = I up to eps
        var z = T.F64(new double[] { 1, 1, 1, -1, -1, 1, -1, -1 }, 4, 2);
        T.Close(0.0, F.barlow_twins_loss(z, z), 0, 1e-8);
        T.Close(T.Scalar(F.barlow_twins_loss(z, z)), new BarlowTwinsLoss().forward(z, z), 1e-14);
    }

    [Fact]
    public void ExtremeInputsStayFiniteInFloat32()
    {
        var a = T.F32(new float[] { 1e4f, -1e4f, 0f, 1e4f, 3f, 0f, -1e4f, 2f, 1e4f }, 3, 3);
        var b = T.F32(new float[] { -1e4f, 1e4f, 1f, 0f, 1e4f, 1e4f, 5f, -1e4f, 0f }, 3, 3);
        T.Finite(F.vicreg_loss(a, b), "vicreg");
        T.Finite(T.Grad(v => F.vicreg_loss(v, b), a), "vicreg gradient");
        T.Finite(F.barlow_twins_loss(a, b), "barlow");
        T.Finite(T.Grad(v => F.barlow_twins_loss(v, b), a), "barlow gradient");
        // a collapsed batch (every sample equal): the variance hinge is active, the gradient stays finite
        var same = torch.ones(4, 3);
        T.Finite(T.Grad(v => F.vicreg_loss(v, same), same), "collapsed vicreg gradient");
        T.Finite(T.Grad(v => F.barlow_twins_loss(v, same), same), "collapsed barlow gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var a = torch.randn(4, 3, dtype: ScalarType.Float64, generator: new Generator(127));
        var e1 = Assert.Throws<ArgumentException>(() => F.vicreg_loss(a.narrow(0, 0, 1), a.narrow(0, 0, 1)));
        Assert.Contains("at least 2", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.barlow_twins_loss(a, a.narrow(1, 0, 2)));
        Assert.Contains("z_b", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => F.vicreg_loss(a, a, std_coeff: -1));
        Assert.Contains("std_coeff", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => F.barlow_twins_loss(a, a, eps: 0));
        Assert.Contains("eps", e4.Message);
    }
}
