using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class TverskyTests
{
    private static readonly double[] Logits =
    {
        1.0, -0.5, 0.2, 2.0,   0.3, 1.5, -1.0, 0.0,   -0.7, 0.1, 1.2, -0.3,
        0.0, 0.4, -2.0, 1.1,   2.2, -0.6, 0.5, 0.3,   0.1, 0.9, 0.8, -1.5,
    };
    private static readonly long[] Labels = { 0, 1, 2, 0, /**/ 1, 2, -100, 2 };

    private static double[] Reference(double alpha, double beta, double gamma, double smooth, bool batch)
    {
        var (p, t) = OverlapRef.SoftmaxOneHot(Logits, Labels, 2, 3, 4);
        var tp = OverlapRef.Sum(p, t, batch, (a, b) => a * b);
        var fp = OverlapRef.Sum(p, t, batch, (a, b) => a * (1 - b));
        var fn = OverlapRef.Sum(p, t, batch, (a, b) => (1 - a) * b);
        var list = new List<double>();
        for (int i = 0; i < tp.GetLength(0); i++)
            for (int j = 0; j < 3; j++)
                list.Add(Math.Pow(1 - (tp[i, j] + smooth) / (tp[i, j] + alpha * fp[i, j] + beta * fn[i, j] + smooth), gamma));
        return list.ToArray();
    }

    [Theory]
    [InlineData(0.3, 0.7, 1.0, 1e-5, false)]
    [InlineData(0.5, 0.5, 2.0, 1.0, false)]
    [InlineData(0.7, 0.3, 0.75, 0.0, true)]
    public void MatchesTheDefinitionForEachReduction(double alpha, double beta, double gamma, double smooth, bool batch)
    {
        var want = Reference(alpha, beta, gamma, smooth, batch);
        var x = T.F64(Logits, 2, 3, 4);
        var y = T.I64(Labels).reshape(2, 4);
        T.Close(want, F.tversky_loss(x, y, alpha, beta, gamma, smooth: smooth, batch: batch, reduction: Reduction.None).reshape(-1));
        T.Close(want.Average(), F.tversky_loss(x, y, alpha, beta, gamma, smooth: smooth, batch: batch));
        T.Close(want.Sum(), F.tversky_loss(x, y, alpha, beta, gamma, smooth: smooth, batch: batch, reduction: Reduction.Sum));
        var spec = LossCatalog.Create($"tversky:alpha={alpha},beta={beta},gamma={gamma},smooth={smooth},batch={(batch ? "true" : "false")}");
        T.Close(want.Average(), spec.forward(x, y));
    }

    [Fact]
    public void HalfAndHalfIsDiceAndOneAndOneIsJaccard()
    {
        var x = T.F64(Logits, 2, 3, 4);
        var y = T.I64(Labels).reshape(2, 4);
        T.Close(T.Values(F.dice_loss(x, y, smooth: 0, reduction: Reduction.None)), F.tversky_loss(x, y, 0.5, 0.5, smooth: 0, reduction: Reduction.None));
        // Jaccard: 1 - I / (P + T - I)
        var (p, t) = OverlapRef.SoftmaxOneHot(Logits, Labels, 2, 3, 4);
        var i2 = OverlapRef.Sum(p, t, false, (a, b) => a * b);
        var ps = OverlapRef.Sum(p, t, false, (a, _) => a);
        var ts = OverlapRef.Sum(p, t, false, (_, b) => b);
        var jaccard = new List<double>();
        for (int n = 0; n < 2; n++) for (int c = 0; c < 3; c++) jaccard.Add(1 - i2[n, c] / (ps[n, c] + ts[n, c] - i2[n, c]));
        T.Close(jaccard.ToArray(), F.tversky_loss(x, y, 1, 1, smooth: 0, reduction: Reduction.None).reshape(-1));
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32ForEveryGamma()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, 3f, -1e4f, 1e4f, 5f, -3f }, 1, 2, 4);
        var y = T.I64(0, 1, 0, 1).reshape(1, 4);
        foreach (double gamma in new[] { 0.5, 1.0, 2.0 })
            foreach (double smooth in new[] { 0.0, 1e-5 })
            {
                T.Finite(F.tversky_loss(x, y, 0.3, 0.7, gamma, smooth: smooth), "loss");
                T.Finite(T.Grad(v => F.tversky_loss(v, y, 0.3, 0.7, gamma, smooth: smooth), x), "gradient");
            }
        // perfect prediction: TI = 1, and (1 - TI)^0.5 keeps a finite (zero) gradient
        var sure = T.F32(new[] { 1e4f, -1e4f, -1e4f, 1e4f }, 1, 2, 2);
        var yy = T.I64(0, 1).reshape(1, 2);
        T.Close(0.0, F.tversky_loss(sure, yy, gamma: 0.5, smooth: 0), atol: 1e-6);
        T.Finite(T.Grad(v => F.tversky_loss(v, yy, gamma: 0.5, smooth: 0), sure), "gradient at TI = 1");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(2, 3, 4, dtype: ScalarType.Float64);
        var y = torch.zeros(2, 4, dtype: ScalarType.Int64);
        Assert.Contains("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => F.tversky_loss(x, y, alpha: -0.1)).Message);
        Assert.Contains("beta", Assert.Throws<ArgumentOutOfRangeException>(() => F.tversky_loss(x, y, beta: double.NaN)).Message);
        Assert.Contains("gamma", Assert.Throws<ArgumentOutOfRangeException>(() => F.tversky_loss(x, y, gamma: 0)).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.tversky_loss(x, torch.zeros(2, 3, dtype: ScalarType.Int64))).Message);
        Assert.Contains("include_background", Assert.Throws<ArgumentException>(() => F.tversky_loss(torch.zeros(2, 1, 4, dtype: ScalarType.Float64), y, activation: OverlapActivation.Sigmoid, include_background: false)).Message);
    }
}
