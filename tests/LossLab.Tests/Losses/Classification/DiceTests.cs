using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

/// <summary>Plain-double soft-overlap sums shared by the Dice and Tversky tests.</summary>
internal static class OverlapRef
{
    // logits (N, C, P) flattened row-major; labels (N, P) with ignore; returns softmax probabilities and one-hot targets with ignored positions zeroed.
    public static (double[,,] p, double[,,] t) SoftmaxOneHot(double[] logits, long[] labels, int n, int c, int positions, long ignore = -100)
    {
        var p = new double[n, c, positions];
        var t = new double[n, c, positions];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < positions; k++)
            {
                long y = labels[i * positions + k];
                if (y == ignore) continue;
                var col = Enumerable.Range(0, c).Select(j => logits[(i * c + j) * positions + k]).ToArray();
                var lp = ClassificationRef.LogSoftmax(col);
                for (int j = 0; j < c; j++)
                {
                    p[i, j, k] = Math.Exp(lp[j]);
                    t[i, j, k] = j == y ? 1 : 0;
                }
            }
        return (p, t);
    }

    // Per (sample, class) sums of p t, p and t (or their squares), over positions (and samples with batch).
    public static double[,] Sum(double[,,] a, double[,,] b, bool batch, Func<double, double, double> f)
    {
        int n = a.GetLength(0), c = a.GetLength(1), m = a.GetLength(2);
        var s = new double[batch ? 1 : n, c];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < c; j++)
                for (int k = 0; k < m; k++) s[batch ? 0 : i, j] += f(a[i, j, k], b[i, j, k]);
        return s;
    }
}

public class DiceTests
{
    private static readonly double[] Logits =
    {
        // sample 0: 3 classes x 4 positions
        1.0, -0.5, 0.2, 2.0,   0.3, 1.5, -1.0, 0.0,   -0.7, 0.1, 1.2, -0.3,
        // sample 1
        0.0, 0.4, -2.0, 1.1,   2.2, -0.6, 0.5, 0.3,   0.1, 0.9, 0.8, -1.5,
    };
    private static readonly long[] Labels = { 0, 1, 2, 0, /**/ 1, 2, 2, -100 };

    private static double[] Reference(bool background, bool batch, bool squared, double smooth, double[]? w)
    {
        var (p, t) = OverlapRef.SoftmaxOneHot(Logits, Labels, 2, 3, 4);
        var inter = OverlapRef.Sum(p, t, batch, (a, b) => a * b);
        var ps = OverlapRef.Sum(p, p, batch, (a, _) => squared ? a * a : a);
        var ts = OverlapRef.Sum(t, t, batch, (a, _) => squared ? a * a : a);
        var list = new List<double>();
        for (int i = 0; i < inter.GetLength(0); i++)
            for (int j = background ? 0 : 1; j < 3; j++)
                list.Add((1 - (2 * inter[i, j] + smooth) / (ps[i, j] + ts[i, j] + smooth)) * (w?[j] ?? 1));
        return list.ToArray();
    }

    [Fact]
    public void HandWorkedTwoClassExample()
    {
        // probabilities of class 1 at 4 positions: 0.9, 0.2, 0.6, 0.1 (class 0: the complement); labels 1, 0, 1, 0.
        // class 1: 2 * (0.9 + 0.6) / (1.8 + 2) = 3 / 3.8; class 0: 2 * (0.8 + 0.9) / (2.2 + 2) = 3.4 / 4.2
        var p = T.F64(new[] { 0.1, 0.8, 0.4, 0.9, /**/ 0.9, 0.2, 0.6, 0.1 }, 1, 2, 4);
        var loss = F.dice_loss(p, T.I64(1, 0, 1, 0).reshape(1, 4), OverlapActivation.None, smooth: 0, reduction: Reduction.None);
        T.Close(new[] { 1 - 3.4 / 4.2, 1 - 3 / 3.8 }, loss.reshape(-1));
        Assert.Equal(new long[] { 1, 2 }, loss.shape);
    }

    [Theory]
    [InlineData(true, false, false, 1e-5)]
    [InlineData(false, false, false, 1.0)]
    [InlineData(true, true, false, 0.0)]
    [InlineData(false, true, true, 0.5)]
    public void SoftmaxFromLogitsMatchesTheDefinition(bool background, bool batch, bool squared, double smooth)
    {
        var want = Reference(background, batch, squared, smooth, null);
        var x = T.F64(Logits, 2, 3, 4);
        var y = T.I64(Labels).reshape(2, 4);
        var none = F.dice_loss(x, y, smooth: smooth, include_background: background, batch: batch, squared_pred: squared, reduction: Reduction.None);
        Assert.Equal(batch ? new long[] { background ? 3 : 2 } : new long[] { 2, background ? 3 : 2 }, none.shape);
        T.Close(want, none.reshape(-1));
        T.Close(want.Average(), F.dice_loss(x, y, smooth: smooth, include_background: background, batch: batch, squared_pred: squared));
        T.Close(want.Sum(), F.dice_loss(x, y, smooth: smooth, include_background: background, batch: batch, squared_pred: squared, reduction: Reduction.Sum));
    }

    [Fact]
    public void ClassWeightsScaleEachClassAndOneHotTargetsEqualIndices()
    {
        var w = new[] { 0.5, 2.0, 1.0 };
        var x = T.F64(Logits, 2, 3, 4);
        var y = T.I64(Labels).reshape(2, 4);
        T.Close(Reference(true, false, false, 1e-5, w).Average(), F.dice_loss(x, y, weight: T.F64(w)));
        T.Close(Reference(false, false, false, 1e-5, w).Sum(), F.dice_loss(x, y, include_background: false, weight: T.F64(w), reduction: Reduction.Sum));
        // one-hot float targets give the same value when nothing is ignored
        var y2 = T.I64(0, 1, 2, 0, 1, 2, 2, 1).reshape(2, 4);
        var onehot = torch.nn.functional.one_hot(y2, 3).permute(0, 2, 1).to_type(ScalarType.Float64);
        T.Close(T.Scalar(F.dice_loss(x, y2)), F.dice_loss(x, onehot));
        var spec = LossCatalog.Create("dice:include_background=false,smooth=1");
        T.Close(Reference(false, false, false, 1.0, null).Average(), spec.forward(x, y));
    }

    [Fact]
    public void SigmoidTreatsEachChannelAsABinaryMask()
    {
        var x = new[] { 0.5, -1.0, 2.0, 0.0, /**/ -0.3, 0.8, 1.5, -2.0 };
        var t = new[] { 1.0, 0, 1, 0, /**/ 0, 1, 1, 0 };
        var p = x.Select(ClassificationRef.Sigmoid).ToArray();
        double Dice(int ch)
        {
            double i = 0, a = 0, b = 0;
            for (int k = 0; k < 4; k++) { i += p[ch * 4 + k] * t[ch * 4 + k]; a += p[ch * 4 + k]; b += t[ch * 4 + k]; }
            return 1 - 2 * i / (a + b);
        }
        T.Close(new[] { Dice(0), Dice(1) }, F.dice_loss(T.F64(x, 1, 2, 4), T.F64(t, 1, 2, 4), OverlapActivation.Sigmoid, smooth: 0, reduction: Reduction.None).reshape(-1));
    }

    [Fact]
    public void EmptyPredictionAndTargetCountAsAPerfectMatchWithoutSmoothing()
    {
        // class 2 absent from the target and, at these logits, from the float32 softmax: 0 / 0 is taken as dice 1
        var x = T.F32(new[] { 1e4f, -1e4f, -1e4f, 1e4f, -1e4f, -1e4f }, 1, 3, 2);
        var y = T.I64(0, 1).reshape(1, 2);
        var loss = F.dice_loss(x, y, smooth: 0, reduction: Reduction.None);
        T.Close(new[] { 0.0, 0.0, 0.0 }, loss.reshape(-1), atol: 1e-6);
        T.Finite(T.Grad(v => F.dice_loss(v, y, smooth: 0), x), "gradient");
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, 3f, -1e4f, 1e4f, 5f, -3f }, 1, 2, 4);
        var y = T.I64(1, 0, 0, 1).reshape(1, 4);
        foreach (var act in new[] { OverlapActivation.Softmax, OverlapActivation.Sigmoid })
        {
            T.Finite(F.dice_loss(x, y, act), "loss");
            T.Finite(T.Grad(v => F.dice_loss(v, y, act, squared_pred: true), x), "gradient");
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(2, 3, 4, dtype: ScalarType.Float64);
        var y = torch.zeros(2, 4, dtype: ScalarType.Int64);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.dice_loss(x, torch.zeros(2, 5, dtype: ScalarType.Int64))).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.dice_loss(x, torch.full(new long[] { 2, 4 }, 3L))).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.dice_loss(x, torch.full(new long[] { 2, 3, 4 }, 2.0, dtype: ScalarType.Float64))).Message);
        Assert.Contains("smooth", Assert.Throws<ArgumentOutOfRangeException>(() => F.dice_loss(x, y, smooth: -1)).Message);
        Assert.Contains("softmax", Assert.Throws<ArgumentException>(() => F.dice_loss(torch.zeros(2, 1, 4, dtype: ScalarType.Float64), y)).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.dice_loss(x + 2, y, OverlapActivation.None)).Message);
        Assert.Contains("weight", Assert.Throws<ArgumentException>(() => F.dice_loss(x, y, weight: T.F64(new[] { 1.0, 2.0 }))).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.dice_loss(torch.zeros(3, dtype: ScalarType.Float64), T.I64(0))).Message);
    }
}
