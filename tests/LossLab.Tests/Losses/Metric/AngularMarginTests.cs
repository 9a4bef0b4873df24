using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;
using R = LossLab.Tests.Losses.Metric.MetricRef;

namespace LossLab.Tests.Losses.Metric;

/// <summary>ArcFace, CosFace and SphereFace against per-sample references written with arccos and the papers' formulas.</summary>
public class AngularMarginTests
{
    private static readonly long[] Y = { 2, 0, 1, 2, 3 };

    private static (double[][] x, double[][] w) Data(int seed) => (R.Rows(seed, Y.Length, 4), R.Rows(seed + 100, 4, 4));

    // Cross entropy of s * cos with the target logit replaced by s * target(theta_y, cos_y).
    private static double[] Reference(double[][] x, double[][] w, double s, Func<double, double, double> target)
    {
        return x.Select((row, i) =>
        {
            var logits = w.Select(c => s * R.Cos(row, c)).ToArray();
            double cy = R.Cos(row, w[Y[i]]);
            logits[Y[i]] = s * target(Math.Acos(Math.Clamp(cy, -1, 1)), cy);
            return R.LogSumExp(logits) - logits[Y[i]];
        }).ToArray();
    }

    private static double ArcTarget(double theta, double cos, double m, bool easy)
    {
        if (easy) return cos > 0 ? Math.Cos(theta + m) : cos;
        // insightface: cos(theta + m) while theta + m <= pi, else cos(theta) - m sin(m)
        return theta + m <= Math.PI ? Math.Cos(theta + m) : cos - m * Math.Sin(m);
    }

    private static double Psi(double theta, int m)
    {
        int k = Math.Min((int)Math.Floor(m * theta / Math.PI), m - 1);
        return (k % 2 == 0 ? 1 : -1) * Math.Cos(m * theta) - 2 * k;
    }

    [Theory]
    [InlineData(64.0, 0.5, false)]
    [InlineData(10.0, 0.3, true)]
    [InlineData(8.0, 2.8, false)]   // large margin: exercises the fallback past theta + m > pi
    [InlineData(30.0, 1.2, true)]
    public void ArcFaceMatchesTheReference(double s, double m, bool easy)
    {
        var (x, w) = Data(31);
        var each = Reference(x, w, s, (t, c) => ArcTarget(t, c, m, easy));
        T.Close(each, F.arcface_loss(R.M(x), R.M(w), T.I64(Y), s, m, easy, Reduction.None), 1e-9, 1e-10);
        T.Close(each.Average(), F.arcface_loss(R.M(x), R.M(w), T.I64(Y), s, m, easy), 1e-9, 1e-10);
        T.Close(each.Sum(), F.arcface_loss(R.M(x), R.M(w), T.I64(Y), s, m, easy, Reduction.Sum), 1e-9, 1e-10);
    }

    [Theory]
    [InlineData(64.0, 0.35)]
    [InlineData(5.0, 0.0)]
    [InlineData(20.0, 1.0)]
    public void CosFaceMatchesTheReference(double s, double m)
    {
        var (x, w) = Data(32);
        var each = Reference(x, w, s, (t, c) => c - m);
        T.Close(each, F.cosface_loss(R.M(x), R.M(w), T.I64(Y), s, m, Reduction.None), 1e-9, 1e-10);
        T.Close(each.Average(), F.cosface_loss(R.M(x), R.M(w), T.I64(Y), s, m), 1e-9, 1e-10);
    }

    [Theory]
    [InlineData(30.0, 4)]
    [InlineData(5.0, 1)]
    [InlineData(10.0, 2)]
    [InlineData(7.0, 3)]
    [InlineData(4.0, 6)]
    public void SphereFaceMatchesTheReference(double s, long m)
    {
        var (x, w) = Data(33);
        var each = Reference(x, w, s, (t, c) => Psi(t, (int)m));
        T.Close(each, F.sphereface_loss(R.M(x), R.M(w), T.I64(Y), s, m, Reduction.None), 1e-8, 1e-10);
        T.Close(each.Average(), F.sphereface_loss(R.M(x), R.M(w), T.I64(Y), s, m), 1e-8, 1e-10);
    }

    [Fact]
    public void SpherefacePsiIsContinuousAndDecreasing()
    {
        // embeddings at angles 0..pi from a single class direction: the target logit must decrease with the angle
        int n = 200;
        var x = torch.zeros(n, 2, dtype: ScalarType.Float64);
        for (int i = 0; i < n; i++) { double a = Math.PI * i / (n - 1); x[i, 0] = Math.Cos(a); x[i, 1] = Math.Sin(a); }
        var w = T.F64(new[] { 1.0, 0.0 }, 1, 2);
        var loss = T.Values(F.sphereface_loss(x, w, torch.zeros(n, dtype: ScalarType.Int64), 1.0, 4, Reduction.None));
        Assert.All(loss, v => Assert.Equal(0.0, v, 12));   // one class: cross entropy 0 whatever the logit
        var two = T.F64(new[] { 1.0, 0.0, -1.0, 0.0 }, 2, 2);
        var l2 = T.Values(F.sphereface_loss(x, two, torch.zeros(n, dtype: ScalarType.Int64), 1.0, 4, Reduction.None));
        for (int i = 1; i < n; i++) Assert.True(l2[i] >= l2[i - 1] - 1e-12, $"loss not increasing with the angle at {i}");
    }

    [Fact]
    public void WithoutMarginsTheyAreTheSameNormalisedSoftmax()
    {
        var (x, w) = Data(34);
        var plain = Reference(x, w, 12, (t, c) => c).Average();
        T.Close(plain, F.arcface_loss(R.M(x), R.M(w), T.I64(Y), 12, 0), 1e-10);
        T.Close(plain, F.cosface_loss(R.M(x), R.M(w), T.I64(Y), 12, 0), 1e-10);
        T.Close(plain, F.sphereface_loss(R.M(x), R.M(w), T.I64(Y), 12, 1), 1e-10);
    }

    [Fact]
    public void ExtremeAndAlignedEmbeddingsStayFiniteInFloat32()
    {
        // row 0 is exactly its class direction (cos = 1, sin = 0), the others have magnitude 1e4
        var w = T.F32(new float[] { 1f, 0f, 0f, 1f, -1f, 0f }, 3, 2);
        var x = T.F32(new float[] { 1e4f, 0f, -1e4f, 1e4f, 0f, -1e4f, 1e4f, 1e4f }, 4, 2);
        var y = T.I64(0, 2, 1, 1);
        foreach (Func<Tensor, Tensor, Tensor> f in new Func<Tensor, Tensor, Tensor>[]
        {
            (a, b) => F.arcface_loss(a, b, y), (a, b) => F.arcface_loss(a, b, y, easy_margin: true),
            (a, b) => F.cosface_loss(a, b, y), (a, b) => F.sphereface_loss(a, b, y),
        })
        {
            T.Finite(f(x, w), "loss");
            T.Finite(T.Grad(v => f(v, w), x), "gradient wrt embeddings");
            T.Finite(T.Grad(v => f(x, v), w), "gradient wrt weight");
        }
    }

    [Fact]
    public void ModulesOwnTheirClassWeights()
    {
        var (x, _) = Data(35);
        var arc = new ArcFaceLoss(4, 4, dtype: ScalarType.Float64);
        var cos = new CosFaceLoss(4, 4, dtype: ScalarType.Float64);
        var sph = new SphereFaceLoss(4, 4, dtype: ScalarType.Float64);
        Assert.Single(arc.parameters());
        T.Close(T.Scalar(F.arcface_loss(R.M(x), arc.Weight, T.I64(Y))), arc.forward(R.M(x), T.I64(Y)), 1e-12);
        T.Close(T.Scalar(F.cosface_loss(R.M(x), cos.Weight, T.I64(Y))), cos.forward(R.M(x), T.I64(Y)), 1e-12);
        T.Close(T.Scalar(F.sphereface_loss(R.M(x), sph.Weight, T.I64(Y))), sph.forward(R.M(x), T.I64(Y)), 1e-12);
        var g = torch.autograd.grad(new List<Tensor> { arc.forward(R.M(x), T.I64(Y)) }, new List<Tensor> { arc.Weight })[0];
        T.Finite(g, "weight gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var (x, w) = Data(36);
        var e1 = Assert.Throws<ArgumentException>(() => F.arcface_loss(R.M(x), R.M(w), T.I64(0, 1, 2, 3, 4)));
        Assert.Contains("labels", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.cosface_loss(R.M(x), T.F64(new double[6], 2, 3), T.I64(Y)));
        Assert.Contains("weight", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => F.arcface_loss(R.M(x), R.M(w), T.I64(Y), margin: 4));
        Assert.Contains("margin", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => F.sphereface_loss(R.M(x), R.M(w), T.I64(Y), margin: 0));
        Assert.Contains("margin", e4.Message);
        var e5 = Assert.Throws<ArgumentOutOfRangeException>(() => F.cosface_loss(R.M(x), R.M(w), T.I64(Y), scale: 0));
        Assert.Contains("scale", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => LossCatalog.Create("sphereface:margin=2.5"));
        Assert.Contains("integer", e6.Message);
    }
}
