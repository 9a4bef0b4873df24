using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using LM = LossLab.Metrics;

namespace LossLab.Tests.Metrics;

public class OodTests
{
    // ---- Independent references, O(n^2), in plain doubles ----

    // AUROC as the Mann-Whitney pair count: a positive above a negative counts 1, a tie 1/2.
    private static double BruteAuroc(double[] s, double[] y)
    {
        double wins = 0; long pairs = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (y[i] != 1) continue;
            for (int j = 0; j < s.Length; j++)
            {
                if (y[j] == 1) continue;
                pairs++;
                if (s[i] > s[j]) wins += 1;
                else if (s[i] == s[j]) wins += 0.5;
            }
        }
        return wins / pairs;
    }

    // (FP, TP) counts at every distinct threshold, decreasing, by counting scores >= t directly.
    private static List<(double fp, double tp)> BrutePoints(double[] s, double[] y)
    {
        var thresholds = s.Distinct().OrderByDescending(v => v).ToList();
        var pts = new List<(double, double)>();
        foreach (var t in thresholds)
        {
            double tp = 0, fp = 0;
            for (int i = 0; i < s.Length; i++)
                if (s[i] >= t) { if (y[i] == 1) tp++; else fp++; }
            pts.Add((fp, tp));
        }
        return pts;
    }

    // Average precision: sum over distinct thresholds of (R_n - R_{n-1}) P_n.
    private static double BruteAp(double[] s, double[] y)
    {
        double p = y.Count(v => v == 1), prevR = 0, ap = 0;
        foreach (var (fp, tp) in BrutePoints(s, y))
        {
            double r = tp / p;
            ap += (r - prevR) * (tp / (tp + fp));
            prevR = r;
        }
        return ap;
    }

    // scikit-learn's roc_curve, written out with loops: drop_intermediate removes points whose second differences of
    // both counts vanish (ends kept), then (0, 0) is prepended; the answer is min FPR over points with TPR >= level.
    private static double BruteFpr(double[] s, double[] y, double level, bool dropIntermediate)
    {
        var pts = BrutePoints(s, y);
        if (dropIntermediate && pts.Count > 2)
        {
            var kept = new List<(double fp, double tp)> { pts[0] };
            for (int i = 1; i < pts.Count - 1; i++)
            {
                double d2f = pts[i + 1].fp - 2 * pts[i].fp + pts[i - 1].fp;
                double d2t = pts[i + 1].tp - 2 * pts[i].tp + pts[i - 1].tp;
                if (d2f != 0 || d2t != 0) kept.Add(pts[i]);
            }
            kept.Add(pts[^1]);
            pts = kept;
        }
        pts.Insert(0, (0, 0));
        double n = pts[^1].fp, p = pts[^1].tp, best = double.PositiveInfinity;
        foreach (var (fp, tp) in pts)
            if (tp / p >= level) best = Math.Min(best, fp / n);
        return best;
    }

    private static (double[] s, double[] y) Random(int seed, int n, int distinctScores, double positiveRate = 0.5)
    {
        var rng = new System.Random(seed);
        var s = new double[n];
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = rng.NextDouble() < positiveRate ? 1 : 0;
            // a few distinct values give heavy ties; the score leans towards the label
            double raw = rng.NextDouble() + 0.4 * y[i];
            s[i] = distinctScores > 0 ? Math.Floor(raw * distinctScores) / distinctScores : raw;
        }
        if (!y.Contains(1)) y[0] = 1;
        if (!y.Contains(0)) y[1] = 0;
        return (s, y);
    }

    private static Tensor F(double[] v) => T.F64(v);

    // ---- Known values ----

    [Fact]
    public void ScikitLearnDocumentationExample()
    {
        double[] y = { 0, 0, 1, 1 };
        double[] s = { 0.1, 0.4, 0.35, 0.8 };
        T.Close(0.75, LM.auroc(F(s), F(y)));
        T.Close(0.8333333333333333, LM.aupr(F(s), F(y)));
        // roc_curve: fpr [0, 0, 0.5, 0.5, 1], tpr [0, 0.5, 0.5, 1, 1]
        T.Close(0.5, LM.fpr_at_95_tpr(F(s), F(y)));
        Assert.Equal(0.75, LM.auroc(s, y), 12);
        Assert.Equal(0.8333333333333333, LM.aupr(s, y), 12);
        Assert.Equal(0.5, LM.fpr_at_95_tpr(s, y), 12);
    }

    [Fact]
    public void AllScoresTiedGiveChanceValues()
    {
        double[] y = { 1, 0, 0, 1, 0, 0, 0 };
        var s = Enumerable.Repeat(0.3, y.Length).ToArray();
        T.Close(0.5, LM.auroc(F(s), F(y)));
        T.Close(2.0 / 7.0, LM.aupr(F(s), F(y)));
        T.Close(1.0, LM.fpr_at_95_tpr(F(s), F(y)));
    }

    [Fact]
    public void PerfectAndReversedRankings()
    {
        double[] y = { 1, 1, 0, 0, 0 };
        double[] s = { 5, 4, 3, 2, 1 };
        T.Close(1.0, LM.auroc(F(s), F(y)));
        T.Close(1.0, LM.aupr(F(s), F(y)));
        T.Close(0.0, LM.fpr_at_95_tpr(F(s), F(y)));
        var r = s.Select(v => -v).ToArray();
        T.Close(0.0, LM.auroc(F(r), F(y)));
        T.Close(1.0, LM.fpr_at_95_tpr(F(r), F(y)));
        // positives last: precision 1/4 at recall 1/2, 2/5 at recall 1
        T.Close(0.5 * 0.25 + 0.5 * 0.4, LM.aupr(F(r), F(y)));
    }

    // ---- Ties, hard, against the pair count ----

    [Theory]
    [InlineData(1, 40, 3)]
    [InlineData(2, 57, 5)]
    [InlineData(3, 200, 10)]
    [InlineData(4, 300, 2)]
    [InlineData(5, 25, 0)]
    [InlineData(6, 2000, 20)]
    [InlineData(7, 150, 4)]
    public void TiedScoresMatchBruteForce(int seed, int n, int distinct)
    {
        var (s, y) = Random(seed, n, distinct);
        T.Close(BruteAuroc(s, y), LM.auroc(F(s), F(y)), 1e-12);
        T.Close(BruteAp(s, y), LM.aupr(F(s), F(y)), 1e-12);
        foreach (bool drop in new[] { true, false })
            foreach (double level in new[] { 0.95, 0.5, 1.0 })
                T.Close(BruteFpr(s, y, level, drop), LM.fpr_at_95_tpr(F(s), F(y), level, drop), 1e-15);
    }

    [Theory]
    [InlineData(11, 0.1)]
    [InlineData(12, 0.9)]
    public void UnbalancedClassesMatchBruteForce(int seed, double rate)
    {
        var (s, y) = Random(seed, 120, 6, rate);
        T.Close(BruteAuroc(s, y), LM.auroc(F(s), F(y)), 1e-12);
        T.Close(BruteAp(s, y), LM.aupr(F(s), F(y)), 1e-12);
        T.Close(BruteFpr(s, y, 0.95, true), LM.fpr_at_95_tpr(F(s), F(y)), 1e-15);
    }

    [Fact]
    public void DropIntermediateFollowsRocCurveOnDiagonalRuns()
    {
        // 20 tie groups, each one positive and one negative: the ROC points lie on the diagonal with equal steps, and
        // roc_curve (drop_intermediate=True) keeps only the ends, so the first point reaching TPR 0.95 is (1, 1).
        var s = new double[40];
        var y = new double[40];
        for (int g = 0; g < 20; g++) { s[2 * g] = s[2 * g + 1] = g; y[2 * g] = 1; }
        T.Close(1.0, LM.fpr_at_95_tpr(F(s), F(y)));
        T.Close(0.95, LM.fpr_at_95_tpr(F(s), F(y), drop_intermediate: false));
        T.Close(0.5, LM.auroc(F(s), F(y)));
    }

    [Fact]
    public void OrderOfTiedSamplesDoesNotMatter()
    {
        var (s, y) = Random(21, 80, 4);
        var perm = Enumerable.Range(0, s.Length).OrderBy(i => (i * 37) % 80).ToArray();
        var s2 = perm.Select(i => s[i]).ToArray();
        var y2 = perm.Select(i => y[i]).ToArray();
        T.Close(T.Scalar(LM.auroc(F(s), F(y))), LM.auroc(F(s2), F(y2)), 1e-15);
        T.Close(T.Scalar(LM.aupr(F(s), F(y))), LM.aupr(F(s2), F(y2)), 1e-15);
        T.Close(T.Scalar(LM.fpr_at_95_tpr(F(s), F(y))), LM.fpr_at_95_tpr(F(s2), F(y2)), 1e-15);
    }

    // ---- Label and score types ----

    [Fact]
    public void IntegerBoolAndSignedLabelsAgreeWithRealLabels()
    {
        var (s, y) = Random(31, 60, 5);
        double want = BruteAuroc(s, y), wantAp = BruteAp(s, y);
        var asInt = torch.tensor(y.Select(v => (long)v).ToArray());
        var asBool = torch.tensor(y.Select(v => v == 1).ToArray());
        var asSigned = F(y.Select(v => v == 1 ? 1.0 : -1.0).ToArray());
        foreach (var labels in new[] { asInt, asBool, asSigned })
        {
            T.Close(want, LM.auroc(F(s), labels), 1e-12);
            T.Close(wantAp, LM.aupr(F(s), labels), 1e-12);
            T.Close(BruteFpr(s, y, 0.95, true), LM.fpr_at_95_tpr(F(s), labels), 1e-15);
        }
    }

    [Fact]
    public void Float32ScoresAndInfinitiesWork()
    {
        double[] y = { 1, 0, 1, 0, 1, 0 };
        double[] s = { double.PositiveInfinity, 0.5, 0.25, double.NegativeInfinity, 0.5, 0.1 };
        T.Close(BruteAuroc(s, y), LM.auroc(F(s), F(y)));
        T.Close(BruteAp(s, y), LM.aupr(F(s), F(y)));
        var s32 = T.F32(new[] { 0.9f, 0.2f, 0.7f, 0.7f, 0.3f, 0.1f });
        var s32d = new[] { 0.9f, 0.2f, 0.7f, 0.7f, 0.3f, 0.1f }.Select(v => (double)v).ToArray();
        var r = LM.auroc(s32, F(y));
        Assert.Equal(ScalarType.Float64, r.dtype);
        Assert.Equal(0, r.dim());
        T.Close(BruteAuroc(s32d, y), r);
    }

    [Fact]
    public void NoNegativesGiveAveragePrecisionOne()
    {
        T.Close(1.0, LM.aupr(F(new[] { 0.3, 0.1, 0.2 }), F(new[] { 1.0, 1.0, 1.0 })));
    }

    [Fact]
    public void ResultsCarryNoGradient()
    {
        var s = F(new[] { 0.1, 0.4, 0.35, 0.8 }).requires_grad_(true);
        Assert.False(LM.auroc(s, F(new double[] { 0, 0, 1, 1 })).requires_grad);
    }

    // ---- Errors ----

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var s = F(new[] { 0.1, 0.4, 0.35 });
        var e1 = Assert.Throws<ArgumentException>(() => LM.auroc(s, F(new double[] { 1, 1, 1 })));
        Assert.Contains("no negative", e1.Message);
        Assert.Contains("labels", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => LM.auroc(s, F(new double[] { 0, 0, 0 })));
        Assert.Contains("no positive", e2.Message);
        Assert.Throws<ArgumentException>(() => LM.aupr(s, F(new double[] { 0, 0, 0 })));
        Assert.Throws<ArgumentException>(() => LM.fpr_at_95_tpr(s, F(new double[] { 1, 1, 1 })));
        var e3 = Assert.Throws<ArgumentException>(() => LM.aupr(s, F(new double[] { 0, 1 })));
        Assert.Contains("labels", e3.Message);
        Assert.Contains("3", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => LM.auroc(F(new[] { 0.1, double.NaN, 0.3 }), F(new double[] { 0, 1, 1 })));
        Assert.Contains("NaN", e4.Message);
        Assert.Contains("scores", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => LM.auroc(s, F(new double[] { 0, 1, 2 })));
        Assert.Contains("binary", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => LM.auroc(s, F(new double[] { 0, 1, -1 })));
        Assert.Contains("labels", e6.Message);
        Assert.Throws<ArgumentException>(() => LM.auroc(torch.zeros(0, dtype: ScalarType.Float64), torch.zeros(0, dtype: ScalarType.Float64)));
        Assert.Throws<ArgumentException>(() => LM.auroc(torch.zeros(3, 1, dtype: ScalarType.Float64), F(new double[] { 0, 1, 1 })));
        Assert.Throws<ArgumentOutOfRangeException>(() => LM.fpr_at_95_tpr(s, F(new double[] { 0, 1, 1 }), recall_level: 0));
    }

    [Fact]
    public void RegistryComputesTheSameValues()
    {
        var (s, y) = Random(41, 50, 5);
        var inputs = new Dictionary<string, Tensor> { ["scores"] = F(s), ["labels"] = F(y) };
        T.Close(BruteAuroc(s, y), LossLab.Registry.LossCatalog.FindMetric("auroc")!.Compute(inputs), 1e-12);
        T.Close(BruteAp(s, y), LossLab.Registry.LossCatalog.FindMetric("aupr")!.Compute(inputs), 1e-12);
        T.Close(BruteFpr(s, y, 0.9, false), LossLab.Registry.LossCatalog.FindMetric("fpr_at_95_tpr")!.Compute(inputs,
            new Dictionary<string, string> { ["recall_level"] = "0.9", ["drop_intermediate"] = "false" }), 1e-15);
    }
}
