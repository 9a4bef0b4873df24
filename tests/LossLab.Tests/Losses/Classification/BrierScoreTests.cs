using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class BrierScoreTests
{
    [Fact]
    public void MatchesHandComputedValuesFromProbabilities()
    {
        // (0.7, 0.2, 0.1) with label 0: 0.09 + 0.04 + 0.01 = 0.14; (0.1, 0.3, 0.6) with label 1: 0.01 + 0.49 + 0.36 = 0.86
        var p = T.F64(new[] { 0.7, 0.2, 0.1, 0.1, 0.3, 0.6 }, 2, 3);
        var y = T.I64(0, 1);
        T.Close(new[] { 0.14, 0.86 }, F.brier_score_loss(p, y, from_logits: false, reduction: Reduction.None));
        T.Close(0.5, F.brier_score_loss(p, y, from_logits: false));
        T.Close(1.0, F.brier_score_loss(p, y, from_logits: false, reduction: Reduction.Sum));
    }

    [Fact]
    public void FromLogitsAppliesTheSoftmax()
    {
        var x = new[] { 1.0, -0.5, 2.0, 0.3, 0.1, -1.2 };
        var y = new long[] { 2, 0 };
        var rows = ClassificationRef.Rows(x, 3);
        var want = rows.Select((r, i) => ClassificationRef.LogSoftmax(r).Select((lp, c) => Math.Pow(Math.Exp(lp) - (c == y[i] ? 1 : 0), 2)).Sum()).ToArray();
        T.Close(want, F.brier_score_loss(T.F64(x, 2, 3), T.I64(y), reduction: Reduction.None));
        // probability targets: sum_c (p_c - q_c)^2
        var q = new[] { 0.2, 0.3, 0.5, 1.0, 0.0, 0.0 };
        var wantSoft = rows.Select((r, i) => ClassificationRef.LogSoftmax(r).Select((lp, c) => Math.Pow(Math.Exp(lp) - q[i * 3 + c], 2)).Sum()).ToArray();
        T.Close(wantSoft, F.brier_score_loss(T.F64(x, 2, 3), T.F64(q, 2, 3), reduction: Reduction.None));
    }

    [Fact]
    public void BinaryCaseIsTwiceScikitLearnsBrierScore()
    {
        // sklearn's brier_score_loss for positive-class probabilities f: mean (f - o)^2; the two-class sum is twice that.
        var f = new[] { 0.9, 0.2, 0.6, 0.35 };
        var o = new long[] { 1, 0, 0, 1 };
        double sk = f.Zip(o, (a, b) => Math.Pow(a - b, 2)).Average();
        var p = T.F64(f.SelectMany(v => new[] { 1 - v, v }).ToArray(), 4, 2);
        T.Close(2 * sk, F.brier_score_loss(p, T.I64(o), from_logits: false));
    }

    [Fact]
    public void GradientMatchesTheClosedForm()
    {
        // d/dx_k sum_c (p_c - y_c)^2 = 2 p_k ((p_k - y_k) - sum_c p_c (p_c - y_c))
        var x = new[] { 0.4, -1.1, 0.9, 2.0 };
        int y = 1;
        var p = ClassificationRef.LogSoftmax(x).Select(Math.Exp).ToArray();
        var e = p.Select((v, c) => v - (c == y ? 1 : 0)).ToArray();
        double s = p.Zip(e, (a, b) => a * b).Sum();
        var want = p.Select((v, k) => 2 * v * (e[k] - s)).ToArray();
        T.Close(want, T.Grad(v => F.brier_score_loss(v, T.I64(y), reduction: Reduction.Sum), T.F64(x, 1, 4)).reshape(-1));
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 3f }, 2, 3);
        var y = T.I64(1, 1);
        var loss = F.brier_score_loss(x, y, reduction: Reduction.None);
        T.Finite(loss, "loss");
        T.Finite(T.Grad(v => F.brier_score_loss(v, y), x), "gradient");
        T.Close(new[] { 2.0, 0.0 }, loss, atol: 1e-6);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(2, 3, dtype: ScalarType.Float64);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.brier_score_loss(x, T.I64(0, 3))).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.brier_score_loss(x, torch.zeros(2, 2, dtype: ScalarType.Float64))).Message);
        Assert.Contains("input", Assert.Throws<ArgumentException>(() => F.brier_score_loss(T.F64(new[] { 0.5, 1.5, 0, 0, 0, 1 }, 2, 3), T.I64(0, 1), from_logits: false)).Message);
        Assert.Contains("batch size", Assert.Throws<ArgumentException>(() => F.brier_score_loss(x, T.I64(0))).Message);
    }
}
