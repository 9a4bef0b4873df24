using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static LossLab.Tests.Metrics.ClassificationMetricsTests;
using static TorchSharp.torch;
using LM = LossLab.Metrics;

namespace LossLab.Tests.Metrics;

public class OodScoresTests
{
    [Fact]
    public void ScoresByHand()
    {
        var z = new double[,] { { 1, 2, 3 }, { 0, 0, 0 } };
        var p = Softmax(z);
        T.Close(new[] { p[0, 2], 1.0 / 3 }, LM.msp_score(M(z)), 1e-14);
        T.Close(new[] { 3.0, 0.0 }, LM.max_logit_score(M(z)));
        double h0 = 0;
        for (int j = 0; j < 3; j++) h0 += p[0, j] * Math.Log(p[0, j]);
        T.Close(new[] { h0, -Math.Log(3) }, LM.negative_entropy_score(M(z)), 1e-14);
        double lse0 = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        T.Close(new[] { lse0, Math.Log(3) }, LM.energy_score(M(z)), 1e-14);
        // T = 2: 2 * log sum exp(z / 2)
        double lse2 = 2 * Math.Log(Math.Exp(0.5) + Math.Exp(1) + Math.Exp(1.5));
        T.Close(new[] { lse2, 2 * Math.Log(3) }, LM.energy_score(M(z), 2.0), 1e-14);
    }

    [Fact]
    public void HigherMeansMoreInDistributionForEveryScore()
    {
        // a confident row (in-distribution-like) against a flat one (OOD-like)
        var confident = M(new double[,] { { 8, 0, 0, 0 } });
        var flat = M(new double[,] { { 0.1, 0, 0.1, 0 } });
        foreach (var s in Enum.GetValues<OodScore>())
            Assert.True(T.Scalar(LM.ood_score(confident, s)) > T.Scalar(LM.ood_score(flat, s)), s.ToString());
    }

    [Fact]
    public void HugeFloat32LogitsGiveFiniteScores()
    {
        var z = T.F32(new float[] { 1e4f, -1e4f, 0f, -1e4f, -1e4f, -1e4f }, 2, 3);
        foreach (var s in Enum.GetValues<OodScore>()) T.Finite(LM.ood_score(z, s), s.ToString());
        T.Close(new[] { 1.0, 1.0 / 3 }, LM.msp_score(z), 1e-12);
    }

    [Fact]
    public void BadLogitsAndTemperatureAreNamed()
    {
        Assert.Contains("logits", Assert.Throws<ArgumentException>(() => LM.msp_score(M(new double[,] { { double.NaN, 1 } }))).Message);
        Assert.Contains("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => LM.energy_score(M(new double[,] { { 0, 1 } }), 0)).Message);
        Assert.Contains("logits", Assert.Throws<ArgumentException>(() => LM.msp_score(T.F64(new[] { 1.0, 2.0 }))).Message);
    }

    // O(n m) definitions with in-distribution positive.
    private static double BruteAuroc(double[] a, double[] b)
    {
        double s = 0;
        foreach (var x in a) foreach (var y in b) s += x > y ? 1 : x == y ? 0.5 : 0;
        return s / (a.Length * (double)b.Length);
    }

    // Average precision by the step-wise definition: precision at each distinct threshold times the recall gained.
    private static double BruteAp(double[] pos, double[] neg)
    {
        var thresholds = pos.Concat(neg).Distinct().OrderByDescending(t => t).ToArray();
        double ap = 0, prevRecall = 0;
        foreach (var t in thresholds)
        {
            double tp = pos.Count(x => x >= t), fp = neg.Count(x => x >= t);
            double recall = tp / pos.Length;
            ap += (recall - prevRecall) * (tp / (tp + fp));
            prevRecall = recall;
        }
        return ap;
    }

    [Theory]
    [InlineData(1, 30, 20, false)]
    [InlineData(2, 50, 80, true)]
    [InlineData(3, 1, 5, true)]
    public void DetectionMetricsMatchTheirDefinitions(int seed, int nIn, int nOut, bool ties)
    {
        var rng = new System.Random(seed);
        double Draw(double shift) { double v = rng.NextDouble() + shift; return ties ? Math.Round(v * 4) / 4 : v; }
        var a = Enumerable.Range(0, nIn).Select(_ => Draw(0.3)).ToArray();
        var b = Enumerable.Range(0, nOut).Select(_ => Draw(0)).ToArray();
        var ta = T.F64(a);
        var tb = T.F64(b);
        Assert.Equal(BruteAuroc(a, b), OodDetection.auroc(ta, tb), 12);
        Assert.Equal(BruteAp(a, b), OodDetection.aupr_in(ta, tb), 12);
        Assert.Equal(BruteAp(b.Select(x => -x).ToArray(), a.Select(x => -x).ToArray()), OodDetection.aupr_out(ta, tb), 12);
        // FPR95 with every distinct threshold: the smallest OOD rate at a threshold that keeps >= 95% of in-dist.
        double fpr = double.PositiveInfinity;
        foreach (var t in a.Concat(b).Distinct().Append(double.PositiveInfinity))
            if (a.Count(x => x >= t) >= 0.95 * a.Length) fpr = Math.Min(fpr, b.Count(x => x >= t) / (double)b.Length);
        Assert.Equal(fpr, OodDetection.fpr_at_95_tpr(ta, tb), 12);
        var r = OodDetection.Evaluate("s", ta, tb);
        Assert.Equal(r.Auroc, OodDetection.auroc(ta, tb));
        Assert.Equal(r.AuprOut, OodDetection.aupr_out(ta, tb));
    }

    [Fact]
    public void RocCurveAsScikitLearn()
    {
        // scikit-learn's documented example: y = [1, 1, 2, 2] (2 positive), scores [0.1, 0.4, 0.35, 0.8]
        var roc = LM.roc_curve(new[] { 0.1, 0.4, 0.35, 0.8 }, new[] { 0.0, 0, 1, 1 });
        Assert.Equal(new[] { 0, 0, 0.5, 0.5, 1 }, roc.Fpr);
        Assert.Equal(new[] { 0, 0.5, 0.5, 1, 1 }, roc.Tpr);
        Assert.Equal(new[] { double.PositiveInfinity, 0.8, 0.4, 0.35, 0.1 }, roc.Thresholds);
        // a straight run is dropped: scores 4, 3, 2, 1 with labels 1, 1, 1, 0 keep 4? no: (0,1/3),(0,2/3),(0,1),(1,1)
        var run = LM.roc_curve(new[] { 4.0, 3, 2, 1 }, new[] { 1.0, 1, 1, 0 });
        Assert.Equal(new[] { 0, 0, 0, 1.0 }, run.Fpr);
        Assert.Equal(new[] { 0, 1.0 / 3, 1, 1 }, run.Tpr);
        Assert.Equal(new[] { double.PositiveInfinity, 4, 2, 1.0 }, run.Thresholds);
        var all = LM.roc_curve(new[] { 4.0, 3, 2, 1 }, new[] { 1.0, 1, 1, 0 }, drop_intermediate: false);
        Assert.Equal(5, all.Fpr.Length);
        // tied scores move together
        var tied = LM.roc_curve(new[] { 0.5, 0.5, 0.2 }, new[] { 1.0, 0, 1 }, drop_intermediate: false);
        Assert.Equal(new[] { 0, 1, 1.0 }, tied.Fpr);
        Assert.Equal(new[] { 0, 0.5, 1 }, tied.Tpr);
    }

    [Fact]
    public void DetectionNeedsBothSetsAndNoNaN()
    {
        var ok = T.F64(new[] { 0.5, 0.7 });
        Assert.Contains("out_scores", Assert.Throws<ArgumentException>(() => OodDetection.auroc(ok, torch.zeros(0, dtype: ScalarType.Float64))).Message);
        Assert.Contains("in_scores", Assert.Throws<ArgumentException>(() => OodDetection.auroc(T.F64(new[] { double.NaN }), ok)).Message);
        Assert.Contains("classes", Assert.Throws<ArgumentException>(() => OodDetection.Evaluate(M(new double[,] { { 1, 2 } }), M(new double[,] { { 1, 2, 3 } }), OodScore.Energy)).Message);
    }
}
