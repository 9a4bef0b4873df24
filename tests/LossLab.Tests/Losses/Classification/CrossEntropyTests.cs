using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using L = LossLab.Losses;
using R = LossLab.Tests.Losses.Classification.ClassificationRef;

namespace LossLab.Tests.Losses.Classification;

public class CrossEntropyTests
{
    private static readonly double[] X = { 1.0, -0.5, 2.0, 0.3, 0.1, -1.2, -2.0, 3.0, 0.5, 0.7, 0.7, -0.1 };
    private static readonly double[] W = { 0.5, 2.0, 1.5 };

    private static double Reduce(double[] per, double den, Reduction r) => r switch
    {
        Reduction.Sum => per.Sum(),
        Reduction.Mean => per.Sum() / den,
        _ => throw new ArgumentException("reduction"),
    };

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(true, 0.0)]
    [InlineData(false, 0.1)]
    [InlineData(true, 0.25)]
    [InlineData(true, 1.0)]
    public void IndexTargetsMatchPyTorchsFormulaForEveryReduction(bool weighted, double eps)
    {
        long[] y = { 2, 0, 1, 1 };
        var w = weighted ? W : null;
        var (per, den) = R.CrossEntropy(R.Rows(X, 3), y, w, -100, eps);
        var input = T.F64(X, 4, 3);
        var wt = weighted ? T.F64(W) : null;
        T.Close(per, L.cross_entropy(input, T.I64(y), wt, reduction: Reduction.None, label_smoothing: eps));
        T.Close(Reduce(per, den, Reduction.Sum), L.cross_entropy(input, T.I64(y), wt, reduction: Reduction.Sum, label_smoothing: eps));
        T.Close(Reduce(per, den, Reduction.Mean), L.cross_entropy(input, T.I64(y), wt, label_smoothing: eps));
    }

    [Fact]
    public void HandWorkedValueOfASingleSample()
    {
        // logits (0, ln 3): p = (1/4, 3/4); target 0 -> -log(1/4) = ln 4.
        var got = L.cross_entropy(T.F64(new[] { 0.0, Math.Log(3) }, 1, 2), T.I64(0));
        T.Close(Math.Log(4), got);
        // weighted mean of one sample is the unweighted value.
        T.Close(Math.Log(4), L.cross_entropy(T.F64(new[] { 0.0, Math.Log(3) }, 1, 2), T.I64(0), T.F64(new[] { 3.0, 1.0 })));
    }

    [Fact]
    public void WeightedMeanDividesByTheTargetsWeights()
    {
        long[] y = { 2, 0, 1, 1 };
        var rows = R.Rows(X, 3);
        var (plain, _) = R.CrossEntropy(rows, y, null, -100, 0);
        double want = Enumerable.Range(0, 4).Sum(i => W[y[i]] * plain[i]) / y.Sum(k => W[k]);
        T.Close(want, L.cross_entropy(T.F64(X, 4, 3), T.I64(y), T.F64(W)));
    }

    [Theory]
    [InlineData(-100, 0.0)]
    [InlineData(1, 0.0)]
    [InlineData(-100, 0.2)]
    [InlineData(1, 0.2)]
    public void IgnoredTargetsCountNeitherInTheLossNorInTheDenominator(long ignore, double eps)
    {
        long[] y = ignore == 1 ? new long[] { 2, 1, 0, 1 } : new long[] { 2, -100, 0, 1 };
        var (per, den) = R.CrossEntropy(R.Rows(X, 3), y, W, ignore, eps);
        var none = L.cross_entropy(T.F64(X, 4, 3), T.I64(y), T.F64(W), ignore, Reduction.None, eps);
        T.Close(per, none);
        Assert.Equal(0.0, T.Values(none)[1]);
        T.Close(per.Sum() / den, L.cross_entropy(T.F64(X, 4, 3), T.I64(y), T.F64(W), ignore, label_smoothing: eps));
    }

    [Fact]
    public void SmoothingWithoutWeightsEqualsTheSmoothedOneHotProbabilityTarget()
    {
        long[] y = { 2, 0, 1, 1 };
        double eps = 0.3;
        var onehot = new double[12];
        for (int i = 0; i < 4; i++) onehot[i * 3 + y[i]] = 1;
        var smoothed = onehot.Select(v => (1 - eps) * v + eps / 3).ToArray();
        var a = L.cross_entropy(T.F64(X, 4, 3), T.I64(y), label_smoothing: eps);
        var b = L.cross_entropy(T.F64(X, 4, 3), T.F64(smoothed, 4, 3));
        var c = L.cross_entropy(T.F64(X, 4, 3), T.F64(onehot, 4, 3), label_smoothing: eps);
        T.Close(T.Scalar(b), a);
        T.Close(T.Scalar(b), c);
    }

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(true, 0.0)]
    [InlineData(true, 0.15)]
    public void ProbabilityTargetsWithWeightsDivideTheMeanByTheSampleCount(bool weighted, double eps)
    {
        var t = new[] { 0.2, 0.3, 0.5, 1.0, 0.0, 0.0, 0.1, 0.8, 0.1, 0.6, 0.2, 0.2 };
        var w = weighted ? W : null;
        var per = R.SoftCrossEntropy(R.Rows(X, 3), R.Rows(t, 3), w, eps);
        var wt = weighted ? T.F64(W) : null;
        T.Close(per, L.cross_entropy(T.F64(X, 4, 3), T.F64(t, 4, 3), wt, reduction: Reduction.None, label_smoothing: eps));
        T.Close(per.Sum(), L.cross_entropy(T.F64(X, 4, 3), T.F64(t, 4, 3), wt, reduction: Reduction.Sum, label_smoothing: eps));
        T.Close(per.Sum() / 4, L.cross_entropy(T.F64(X, 4, 3), T.F64(t, 4, 3), wt, label_smoothing: eps));
    }

    [Fact]
    public void ProbabilityTargetsGiveTheTargetAGradientOfMinusLogSoftmax()
    {
        var t = T.F64(new[] { 0.2, 0.3, 0.5, 1.0, 0.0, 0.0, 0.1, 0.8, 0.1, 0.6, 0.2, 0.2 }, 4, 3);
        var g = T.Grad(v => L.cross_entropy(T.F64(X, 4, 3), v, reduction: Reduction.Sum), t);
        var want = R.Rows(X, 3).SelectMany(r => R.LogSoftmax(r).Select(v => -v)).ToArray();
        T.Close(want, g);
    }

    [Fact]
    public void GradientOfTheMeanIsSoftmaxMinusSmoothedTargetOverN()
    {
        long[] y = { 2, 0, 1, 1 };
        double eps = 0.2;
        var g = T.Grad(v => L.cross_entropy(v, T.I64(y), label_smoothing: eps), T.F64(X, 4, 3));
        var want = new double[12];
        var rows = R.Rows(X, 3);
        for (int i = 0; i < 4; i++)
        {
            var lp = R.LogSoftmax(rows[i]);
            for (int k = 0; k < 3; k++) want[i * 3 + k] = (Math.Exp(lp[k]) - ((k == y[i] ? 1 - eps : 0) + eps / 3)) / 4;
        }
        T.Close(want, g);
    }

    [Theory]
    [InlineData(Reduction.None)]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    public void KDimensionalInputIsTheLossOverEveryPosition(Reduction reduction)
    {
        // input (2, 3, 2, 2), target (2, 2, 2): every (n, h, w) position is one classification over the 3 classes.
        var gen = new Generator(11);
        var x = torch.randn(new long[] { 2, 3, 2, 2 }, dtype: ScalarType.Float64, generator: gen);
        var y = T.I64(0, 2, -100, 1, 1, 1, 0, 2).reshape(2, 2, 2);
        var xv = T.Values(x);
        var yv = T.Values(y).Select(v => (long)v).ToArray();
        var rows = new double[8][];
        var ys = new long[8];
        for (int n = 0; n < 2; n++)
            for (int h = 0; h < 2; h++)
                for (int w = 0; w < 2; w++)
                {
                    int p = (n * 2 + h) * 2 + w;
                    rows[p] = Enumerable.Range(0, 3).Select(c => xv[((n * 3 + c) * 2 + h) * 2 + w]).ToArray();
                    ys[p] = yv[p];
                }
        var (per, den) = R.CrossEntropy(rows, ys, W, -100, 0.1);
        var got = L.cross_entropy(x, y, T.F64(W), reduction: reduction, label_smoothing: 0.1);
        if (reduction == Reduction.None)
        {
            Assert.Equal(new long[] { 2, 2, 2 }, got.shape);
            T.Close(per, got);
        }
        else T.Close(Reduce(per, den, reduction), got);
    }

    [Fact]
    public void KDimensionalProbabilityTargetsReduceOverTheClassDimension()
    {
        var gen = new Generator(5);
        var x = torch.randn(new long[] { 2, 3, 4 }, dtype: ScalarType.Float64, generator: gen);
        var t = torch.softmax(torch.randn(new long[] { 2, 3, 4 }, dtype: ScalarType.Float64, generator: gen), 1);
        // moving the class dimension last gives (8, 3) rows of the 2-D form
        var rowsX = R.Rows(T.Values(x.permute(0, 2, 1).contiguous()), 3);
        var rowsT = R.Rows(T.Values(t.permute(0, 2, 1).contiguous()), 3);
        var per = R.SoftCrossEntropy(rowsX, rowsT, W, 0.2);
        var none = L.cross_entropy(x, t, T.F64(W), reduction: Reduction.None, label_smoothing: 0.2);
        Assert.Equal(new long[] { 2, 4 }, none.shape);
        T.Close(per, none);
        T.Close(per.Sum() / 8, L.cross_entropy(x, t, T.F64(W), label_smoothing: 0.2));
    }

    [Fact]
    public void UnbatchedInputEqualsABatchOfOne()
    {
        var x = T.F64(new[] { 0.4, -1.0, 2.5, 0.0 });
        var single = L.cross_entropy(x, torch.tensor(2L), T.F64(new[] { 1.0, 2.0, 0.5, 1.0 }), reduction: Reduction.None, label_smoothing: 0.1);
        Assert.Equal(0, single.dim());
        var (per, _) = R.CrossEntropy(new[] { T.Values(x) }, new long[] { 2 }, new[] { 1.0, 2.0, 0.5, 1.0 }, -100, 0.1);
        T.Close(per[0], single);
        // mean with weights: the one sample's weight cancels
        T.Close(per[0] / 0.5, L.cross_entropy(x, torch.tensor(2L), T.F64(new[] { 1.0, 2.0, 0.5, 1.0 }), label_smoothing: 0.1));
        var t = T.F64(new[] { 0.1, 0.2, 0.3, 0.4 });
        var soft = L.cross_entropy(x, t, reduction: Reduction.None);
        Assert.Equal(0, soft.dim());
        T.Close(R.SoftCrossEntropy(new[] { T.Values(x) }, new[] { T.Values(t) }, null, 0)[0], soft);
    }

    [Fact]
    public void EveryTargetIgnoredGivesNaNWithAZeroGradientAsPyTorch()
    {
        var x = T.F64(X, 4, 3);
        var y = T.I64(-100, -100, -100, -100);
        Assert.True(double.IsNaN(T.Scalar(L.cross_entropy(x, y))));
        Assert.True(double.IsNaN(T.Scalar(L.cross_entropy(x, y, T.F64(W), label_smoothing: 0.1))));
        Assert.All(T.Values(T.Grad(v => L.cross_entropy(v, y, T.F64(W), label_smoothing: 0.1), x)), g => Assert.Equal(0.0, g));
        Assert.Equal(0.0, T.Scalar(L.cross_entropy(x, y, reduction: Reduction.Sum)));
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 3f }, 2, 3);
        var y = T.I64(1, 1);
        var w = T.F32(new[] { 0.5f, 2f, 1f });
        var soft = T.F32(new[] { 0f, 1f, 0f, 0.5f, 0.5f, 0f }, 2, 3);
        Func<Tensor, Tensor>[] fs =
        {
            v => L.cross_entropy(v, y),
            v => L.cross_entropy(v, y, w, label_smoothing: 0.1),
            v => L.cross_entropy(v, y, w, label_smoothing: 0.1, consistent_smoothing_weights: true),
            v => L.cross_entropy(v, soft, w, label_smoothing: 0.2),
        };
        foreach (var f in fs)
        {
            T.Finite(f(x), "loss");
            T.Finite(T.Grad(f, x), "gradient");
        }
        // sample 0: -log softmax(1e4, -1e4, 0)[1] = 2e4; sample 1: 0 (class 1 holds all the mass)
        T.Close(1e4, L.cross_entropy(x, y), rtol: 1e-6);
    }

    [Fact]
    public void AgreesWithLibtorchsKernelOnRandomSettings()
    {
        // libtorch's own cross_entropy (PyTorch's C++ implementation) is an independent implementation to compare with.
        var gen = new Generator(2024);
        foreach (var shape in new[] { new long[] { 7, 5 }, new long[] { 3, 4, 2, 3 }, new long[] { 1, 6 } })
            foreach (double eps in new[] { 0.0, 0.1, 0.7 })
                foreach (bool weighted in new[] { false, true })
                    foreach (var red in new[] { Reduction.None, Reduction.Mean, Reduction.Sum })
                    {
                        var x = torch.randn(shape, dtype: ScalarType.Float64, generator: gen) * 2;
                        var tshape = new[] { shape[0] }.Concat(shape.Skip(2)).ToArray();
                        var y = torch.randint(0, shape[1], tshape, dtype: ScalarType.Int64, generator: gen);
                        y = torch.where(torch.rand(tshape, generator: gen).lt(0.25), torch.full_like(y, 1), y); // ignore_index 1 below
                        var w = weighted ? torch.rand(new[] { shape[1] }, dtype: ScalarType.Float64, generator: gen) + 0.2 : null;
                        var tr = red switch { Reduction.None => nn.Reduction.None, Reduction.Sum => nn.Reduction.Sum, _ => nn.Reduction.Mean };
                        foreach (long ignore in new long[] { -100, 1 })
                        {
                            var want = torch.nn.functional.cross_entropy(x, y, w, ignore, tr, eps);
                            var got = L.cross_entropy(x, y, w, ignore, red, eps);
                            if (red == Reduction.Mean && double.IsNaN(T.Scalar(want))) { Assert.True(double.IsNaN(T.Scalar(got))); continue; }
                            T.Close(T.Values(want), got, 1e-10, 1e-12);
                            var gw = T.Grad(v => torch.nn.functional.cross_entropy(v, y, w, ignore, tr, eps), x);
                            T.Close(T.Values(gw), T.Grad(v => L.cross_entropy(v, y, w, ignore, red, eps), x), 1e-9, 1e-12);
                        }
                        var p = torch.softmax(torch.randn(shape, dtype: ScalarType.Float64, generator: gen), 1);
                        T.Close(T.Values(torch.nn.functional.cross_entropy(x, p, w, -100, tr, eps)), L.cross_entropy(x, p, w, -100, red, eps), 1e-10, 1e-12);
                    }
    }

    [Fact]
    public void PyTorchsWeightedSmoothingIsNotMinimisedAtTheSmoothedTargetButTheConsistentOptionIs()
    {
        // weights (0.01, 0.99), eps = 0.1, target class 0: the smoothed target is q = (0.95, 0.05).
        var w = T.F64(new[] { 0.01, 0.99 });
        double eps = 0.1;
        var atQ = T.F64(new[] { Math.Log(0.95), Math.Log(0.05) }, 1, 2);
        var y = T.I64(0);
        // the consistent option: loss = w[y] * H(q, p), gradient w[y] * (p - q) = 0 at p = q.
        var g = T.Values(T.Grad(v => L.cross_entropy(v, y, w, label_smoothing: eps, consistent_smoothing_weights: true, reduction: Reduction.Sum), atQ));
        Assert.All(g, v => Assert.True(Math.Abs(v) < 1e-12, $"gradient {v}"));
        // PyTorch's formula: minimiser p ∝ w[c] q[c] = (0.0095, 0.0495), i.e. p[0] = 0.161, not 0.95.
        double p0 = 0.0095 / (0.0095 + 0.0495);
        var atPyTorchMin = T.F64(new[] { Math.Log(p0), Math.Log(1 - p0) }, 1, 2);
        var gp = T.Values(T.Grad(v => L.cross_entropy(v, y, w, label_smoothing: eps, reduction: Reduction.Sum), atPyTorchMin));
        Assert.All(gp, v => Assert.True(Math.Abs(v) < 1e-12, $"gradient {v}"));
        var gq = T.Values(T.Grad(v => L.cross_entropy(v, y, w, label_smoothing: eps, reduction: Reduction.Sum), atQ));
        Assert.True(Math.Abs(gq[0]) > 1e-3);
    }

    [Fact]
    public void ConsistentOptionWeightsEachSamplesSmoothedLossByItsTargetsWeight()
    {
        long[] y = { 2, -100, 1, 0 };
        double eps = 0.3;
        var (unweighted, _) = R.CrossEntropy(R.Rows(X, 3), y, null, -100, eps);
        var per = Enumerable.Range(0, 4).Select(i => y[i] < 0 ? 0 : W[y[i]] * unweighted[i]).ToArray();
        double den = y.Where(k => k >= 0).Sum(k => W[k]);
        var x = T.F64(X, 4, 3);
        T.Close(per, L.cross_entropy(x, T.I64(y), T.F64(W), reduction: Reduction.None, label_smoothing: eps, consistent_smoothing_weights: true));
        T.Close(per.Sum() / den, L.cross_entropy(x, T.I64(y), T.F64(W), label_smoothing: eps, consistent_smoothing_weights: true));
        // without weights, or without smoothing, it is PyTorch's formula
        T.Close(T.Scalar(L.cross_entropy(x, T.I64(y), label_smoothing: eps)), L.cross_entropy(x, T.I64(y), label_smoothing: eps, consistent_smoothing_weights: true));
        T.Close(T.Scalar(L.cross_entropy(x, T.I64(y), T.F64(W))), L.cross_entropy(x, T.I64(y), T.F64(W), consistent_smoothing_weights: true));
        // probability targets: one-hot targets give w[y] * H(q, p) per sample too
        var onehot = T.F64(new double[] { 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0 }, 4, 3);
        var (u2, _) = R.CrossEntropy(R.Rows(X, 3), new long[] { 2, 1, 1, 0 }, null, -100, eps);
        var want = new[] { W[2] * u2[0], W[1] * u2[1], W[1] * u2[2], W[0] * u2[3] };
        T.Close(want, L.cross_entropy(x, onehot, T.F64(W), reduction: Reduction.None, label_smoothing: eps, consistent_smoothing_weights: true));
    }

    [Fact]
    public void ModuleAndRegistryGiveTheFunctionsValue()
    {
        var x = T.F64(X, 4, 3);
        var y = T.I64(2, 0, 1, 1);
        double want = T.Scalar(L.cross_entropy(x, y, T.F64(W), label_smoothing: 0.1));
        T.Close(want, new CrossEntropyLoss(T.F64(W), label_smoothing: 0.1).forward(x, y));
        var def = LossLab.Registry.LossCatalog.GetLoss("cross_entropy");
        T.Close(want, def.Compute(new Dictionary<string, Tensor> { ["input"] = x, ["target"] = y, ["weight"] = T.F64(W) }, new Dictionary<string, string> { ["label_smoothing"] = "0.1" }));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(4, 3, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => L.cross_entropy(x, T.I64(0, 1, 3, 0)));
        Assert.Contains("target", e1.Message);
        Assert.Contains("[0, 2]", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => L.cross_entropy(x, T.I64(0, 1, 2)));
        Assert.Contains("target", e2.Message);
        Assert.Contains("[4]", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => L.cross_entropy(x, torch.zeros(4, 3, dtype: ScalarType.Int64)));
        Assert.Contains("probabilities", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => L.cross_entropy(x, torch.zeros(4, dtype: ScalarType.Float64)));
        Assert.Contains("target", e4.Message);
        var e5 = Assert.Throws<ArgumentOutOfRangeException>(() => L.cross_entropy(x, T.I64(0, 1, 2, 0), label_smoothing: 1.5));
        Assert.Contains("label_smoothing", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => L.cross_entropy(x, T.I64(0, 1, 2, 0), T.F64(new[] { 1.0, 2.0 })));
        Assert.Contains("weight", e6.Message);
        var e7 = Assert.Throws<ArgumentOutOfRangeException>(() => L.cross_entropy(x, torch.zeros(4, 3, dtype: ScalarType.Float64), ignore_index: 0));
        Assert.Contains("ignore_index", e7.Message);
        var e8 = Assert.Throws<ArgumentException>(() => L.cross_entropy(x, T.I64(0, 1, 2, 0), reduction: Reduction.BatchMean));
        Assert.Contains("batchmean", e8.Message);
        var e9 = Assert.Throws<ArgumentException>(() => L.cross_entropy(torch.zeros(4, 3, dtype: ScalarType.Int64), T.I64(0, 1, 2, 0)));
        Assert.Contains("floating-point", e9.Message);
        var e10 = Assert.Throws<ArgumentException>(() => L.cross_entropy(torch.zeros(2, 3, 4, dtype: ScalarType.Float64), T.I64(0, 1)));
        Assert.Contains("(N, d1, ..., dk)", e10.Message);
    }
}
