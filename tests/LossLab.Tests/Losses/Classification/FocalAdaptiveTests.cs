using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class FocalAdaptiveTests
{
    // Rows chosen so that p_t falls on both sides of 0.2 and of 0.5.
    private static readonly double[] X = { 1.0, -0.5, 2.0, /**/ 0.3, 0.1, -1.2, /**/ -2.0, 3.0, 0.5, /**/ 0.0, 0.2, 0.1 };
    private static readonly long[] Y = { 2, 0, 0, 1 };

    private static double Pt(double[] row, long y) => Math.Exp(ClassificationRef.LogSoftmax(row)[y]);

    // -(1 - p)^g log p with g picked from p by the rule, in plain doubles.
    private static double[] Reference(Func<double, double> gammaOf)
    {
        var rows = ClassificationRef.Rows(X, 3);
        return rows.Select((r, i) =>
        {
            double p = Pt(r, Y[i]);
            return -Math.Pow(1 - p, gammaOf(p)) * Math.Log(p);
        }).ToArray();
    }

    [Fact]
    public void Flsd53UsesGammaFiveBelowPointTwoAndThreeAbove()
    {
        var rows = ClassificationRef.Rows(X, 3);
        var pts = rows.Select((r, i) => Pt(r, Y[i])).ToArray();
        Assert.Contains(pts, p => p < 0.2);
        Assert.Contains(pts, p => p > 0.5);
        var want = Reference(p => p < 0.2 ? 5 : 3);
        T.Close(want, F.focal_adaptive_loss(T.F64(X, 4, 3), T.I64(Y), reduction: Reduction.None));
        T.Close(want.Average(), F.focal_adaptive_loss(T.F64(X, 4, 3), T.I64(Y)));
        T.Close(want.Sum(), F.focal_adaptive_loss(T.F64(X, 4, 3), T.I64(Y), reduction: Reduction.Sum));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    [InlineData(3.0)]
    public void EqualGammasAreFocalLoss(double g)
    {
        var x = torch.randn(9, 4, dtype: ScalarType.Float64, generator: new Generator(11)) * 2;
        var y = T.I64(0, 3, -100, 1, 2, 2, 0, -100, 3);
        var w = T.F64(new[] { 0.5, 2.0, 1.0, 1.5 });
        foreach (var red in new[] { Reduction.None, Reduction.Mean, Reduction.Sum })
        {
            var want = F.focal_loss(x, y, g, w, reduction: red);
            T.Close(T.Values(want), F.focal_adaptive_loss(x, y, gamma_low: g, gamma_high: g, weight: w, reduction: red));
        }
        // the registry spec with both gammas equal
        var spec = LossCatalog.Create($"focal_adaptive:gamma_low={g},gamma_high={g}");
        T.Close(T.Scalar(F.focal_loss(x, y, g, ignore_index: -100)), spec.forward(x, y));
    }

    [Fact]
    public void ScheduleOfPairsPicksTheFirstThresholdAbovePt()
    {
        var schedule = new[] { (0.2, 5.0), (0.5, 4.0) };
        var want = Reference(p => p < 0.2 ? 5 : p < 0.5 ? 4 : 1);
        T.Close(want, F.focal_adaptive_loss(T.F64(X, 4, 3), T.I64(Y), gamma_high: 1.0, schedule: schedule, reduction: Reduction.None));
        // the same through the registry's FloatList
        var spec = LossCatalog.Create("focal_adaptive:schedule=0.2;5;0.5;4,gamma_high=1,reduction=none");
        T.Close(want, spec.forward(T.F64(X, 4, 3), T.I64(Y)));
        // the paper code's dictionary {0.2: 5, 0.5: 3} with gamma 3 is the default two-level rule
        T.Close(T.Values(F.focal_adaptive_loss(T.F64(X, 4, 3), T.I64(Y), reduction: Reduction.None)),
            F.focal_adaptive_loss(T.F64(X, 4, 3), T.I64(Y), gamma_high: 3, schedule: new[] { (0.2, 5.0), (0.5, 3.0) }, reduction: Reduction.None));
    }

    [Fact]
    public void NoGradientFlowsThroughTheGammaChoice()
    {
        // Each row's gradient is that of the focal loss with the row's gamma held fixed.
        var rows = ClassificationRef.Rows(X, 3);
        var g = T.Values(T.Grad(v => F.focal_adaptive_loss(v, T.I64(Y), reduction: Reduction.Sum), T.F64(X, 4, 3)));
        for (int i = 0; i < rows.Length; i++)
        {
            double gamma = Pt(rows[i], Y[i]) < 0.2 ? 5 : 3;
            var row = T.Values(T.Grad(v => F.focal_loss(v, T.I64(Y[i]), gamma, reduction: Reduction.Sum), T.F64(rows[i], 1, 3)));
            for (int j = 0; j < 3; j++) Assert.Equal(row[j], g[i * 3 + j], 12);
        }
    }

    [Fact]
    public void WeightsAndIgnoredSamplesGiveTheWeightedMean()
    {
        var per = Reference(p => p < 0.2 ? 5 : 3);
        double[] w = { 0.5, 2.0, 1.5 };
        var y = T.I64(2, -1, 0, 1);   // sample 1 ignored
        double want = (w[2] * per[0] + w[0] * per[2] + w[1] * per[3]) / (w[2] + w[0] + w[1]);
        T.Close(want, F.focal_adaptive_loss(T.F64(X, 4, 3), y, weight: T.F64(w), ignore_index: -1));
        var none = T.Values(F.focal_adaptive_loss(T.F64(X, 4, 3), y, weight: T.F64(w), ignore_index: -1, reduction: Reduction.None));
        Assert.Equal(0.0, none[1]);
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 3f, 0f, 0f, 1e4f }, 3, 3);
        var y = T.I64(1, 1, 2);
        T.Finite(F.focal_adaptive_loss(x, y), "loss");
        T.Finite(T.Grad(v => F.focal_adaptive_loss(v, y), x), "gradient");
        T.Finite(T.Grad(v => F.focal_adaptive_loss(v, y, gamma_low: 0.5, gamma_high: 0.25), x), "gradient, gammas below 1");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(4, 3, dtype: ScalarType.Float64);
        var y = T.I64(0, 1, 2, 0);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.focal_adaptive_loss(x, T.I64(0, 1, 3, 0))).Message);
        Assert.Contains("batch size", Assert.Throws<ArgumentException>(() => F.focal_adaptive_loss(x, T.I64(0, 1))).Message);
        Assert.Contains("gamma_low", Assert.Throws<ArgumentOutOfRangeException>(() => F.focal_adaptive_loss(x, y, gamma_low: -1)).Message);
        Assert.Contains("threshold", Assert.Throws<ArgumentOutOfRangeException>(() => F.focal_adaptive_loss(x, y, threshold: 0)).Message);
        Assert.Contains("schedule", Assert.Throws<ArgumentOutOfRangeException>(() => F.focal_adaptive_loss(x, y, schedule: new[] { (0.5, 2.0), (0.3, 1.0) })).Message);
        Assert.Contains("schedule", Assert.Throws<ArgumentOutOfRangeException>(() => F.focal_adaptive_loss(x, y, schedule: Array.Empty<(double, double)>())).Message);
        Assert.Contains("weight", Assert.Throws<ArgumentException>(() => F.focal_adaptive_loss(x, y, weight: T.F64(new[] { 1.0, 2.0 }))).Message);
        Assert.Contains("schedule", Assert.Throws<ArgumentException>(() => LossCatalog.Create("focal_adaptive:schedule=0.3;2,threshold=0.4").forward(x, y)).Message);
        Assert.Contains("pairs", Assert.Throws<ArgumentException>(() => LossCatalog.Create("focal_adaptive:schedule=0.3;2;0.5").forward(x, y)).Message);
    }
}
