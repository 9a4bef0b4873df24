using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using L = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class NllLossTests
{
    private static readonly double[] X = { -0.2, -1.9, -3.0, -1.1, -0.7, -1.6, -2.4, -0.1, -4.0, -0.9, -0.8, -1.7 };
    private static readonly double[] W = { 0.5, 2.0, 1.5 };

    [Fact]
    public void PicksMinusTheTargetsLogProbability()
    {
        var x = T.F64(X, 4, 3);
        var y = T.I64(0, 2, 1, 1);
        double[] per = { 0.2, 1.6, 0.1, 0.8 };
        T.Close(per, L.nll_loss(x, y, reduction: Reduction.None));
        T.Close(per.Sum(), L.nll_loss(x, y, reduction: Reduction.Sum));
        T.Close(per.Average(), L.nll_loss(x, y));
    }

    [Fact]
    public void WeightsAndIgnoreIndexGiveTheWeightedMeanOverKeptTargets()
    {
        var x = T.F64(X, 4, 3);
        var y = T.I64(0, -100, 1, 2);
        double[] per = { 0.5 * 0.2, 0, 2.0 * 0.1, 1.5 * 1.7 };
        T.Close(per, L.nll_loss(x, y, T.F64(W), reduction: Reduction.None));
        T.Close(per.Sum(), L.nll_loss(x, y, T.F64(W), reduction: Reduction.Sum));
        T.Close(per.Sum() / (0.5 + 2.0 + 1.5), L.nll_loss(x, y, T.F64(W)));
        // a custom ignore_index: class 1 is skipped
        T.Close((0.5 * 0.2 + 1.5 * 1.6) / 2.0, L.nll_loss(x, T.I64(0, 2, 1, 1), T.F64(W), ignore_index: 1));
    }

    [Fact]
    public void GradientIsMinusTheWeightOverTheTotalWeightAtTheTarget()
    {
        var y = T.I64(0, -100, 1, 2);
        var g = T.Grad(v => L.nll_loss(v, y, T.F64(W)), T.F64(X, 4, 3));
        var want = new double[12];
        want[0] = -0.5 / 4; want[3 * 2 + 1] = -2.0 / 4; want[3 * 3 + 2] = -1.5 / 4;
        T.Close(want, g);
    }

    [Fact]
    public void KDimensionalAndUnbatchedForms()
    {
        // (1, 3, 2): two positions; target (1, 2)
        var x = T.F64(new[] { -0.1, -2.0, -3.0, -0.5, -4.0, -1.5 }, 1, 3, 2);
        var none = L.nll_loss(x, T.I64(2, 1).reshape(1, 2), reduction: Reduction.None);
        Assert.Equal(new long[] { 1, 2 }, none.shape);
        T.Close(new[] { 4.0, 0.5 }, none);
        var single = L.nll_loss(T.F64(new[] { -0.3, -1.2, -2.2 }), torch.tensor(1L), reduction: Reduction.None);
        Assert.Equal(0, single.dim());
        T.Close(1.2, single);
        T.Close(1.2, L.nll_loss(T.F64(new[] { -0.3, -1.2, -2.2 }), torch.tensor(1L), T.F64(W)));
    }

    [Fact]
    public void InfiniteLogProbabilitiesAtIgnoredTargetsStayOut()
    {
        var x = T.F64(new[] { double.NegativeInfinity, -0.5, -1.0, -0.3 }, 2, 2);
        var y = T.I64(-100, 1);
        T.Close(0.3, L.nll_loss(x, y));
        T.Finite(T.Grad(v => L.nll_loss(v, y), x), "gradient");
        var all = T.I64(-100, -100);
        Assert.True(double.IsNaN(T.Scalar(L.nll_loss(x, all))));
    }

    [Fact]
    public void AgreesWithLibtorchsKernel()
    {
        var gen = new Generator(8);
        var x = torch.nn.functional.log_softmax(torch.randn(new long[] { 9, 4, 3 }, dtype: ScalarType.Float64, generator: gen), 1);
        var y = torch.randint(0, 4, new long[] { 9, 3 }, dtype: ScalarType.Int64, generator: gen);
        var w = torch.rand(new long[] { 4 }, dtype: ScalarType.Float64, generator: gen) + 0.1;
        T.Close(T.Values(torch.nn.functional.nll_loss(x, y, w)), L.nll_loss(x, y, w), 1e-12);
        T.Close(T.Values(torch.nn.functional.nll_loss(x, y, w, nn.Reduction.None)), L.nll_loss(x, y, w, reduction: Reduction.None), 1e-12);
    }

    [Fact]
    public void ModuleGivesTheFunctionsValue()
    {
        var x = T.F64(X, 4, 3);
        var y = T.I64(0, 2, 1, 1);
        T.Close(T.Scalar(L.nll_loss(x, y, T.F64(W))), new NLLLoss(T.F64(W)).forward(x, y));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(4, 3, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => L.nll_loss(x, T.I64(0, 1, 5, 0)));
        Assert.Contains("target", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => L.nll_loss(x, torch.zeros(4, dtype: ScalarType.Float64)));
        Assert.Contains("integer", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => L.nll_loss(x, T.I64(0, 1)));
        Assert.Contains("target", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => L.nll_loss(x, T.I64(0, 1, 2, 0), T.F64(new[] { 1.0 })));
        Assert.Contains("weight", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => L.nll_loss(x, T.I64(0, 1, 2, 0), reduction: Reduction.BatchMean));
        Assert.Contains("batchmean", e5.Message);
    }
}
