using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using L = LossLab.Losses;
using R = LossLab.Tests.Losses.Classification.ClassificationRef;

namespace LossLab.Tests.Losses.Classification;

public class MultilabelSoftMarginLossTests
{
    private static readonly double[] X = { 2.0, -1.0, 0.5, -3.0, 0.0, 4.0 };
    private static readonly double[] Y = { 1, 0, 0, 1, 1, 0 };
    private static readonly double[] W = { 0.5, 2.0, 1.0 };

    private static double[] Reference(double[]? w)
    {
        var res = new double[2];
        for (int i = 0; i < 2; i++)
            for (int c = 0; c < 3; c++)
            {
                double x = X[i * 3 + c], y = Y[i * 3 + c];
                res[i] -= (w?[c] ?? 1) * (y * Math.Log(R.Sigmoid(x)) + (1 - y) * Math.Log(1 - R.Sigmoid(x))) / 3;
            }
        return res;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MatchesTheFormulaForEveryReduction(bool weighted)
    {
        var want = Reference(weighted ? W : null);
        var wt = weighted ? T.F64(W) : null;
        T.Close(want, L.multilabel_soft_margin_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3), wt, Reduction.None));
        T.Close(want.Sum(), L.multilabel_soft_margin_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3), wt, Reduction.Sum));
        T.Close(want.Average(), L.multilabel_soft_margin_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3), wt));
        T.Close(want.Average(), L.multilabel_soft_margin_loss(T.F64(X, 2, 3), T.I64(1, 0, 0, 1, 1, 0).reshape(2, 3), wt));
    }

    [Fact]
    public void GradientIsWeightTimesSigmoidMinusTargetOverC()
    {
        var g = T.Grad(v => L.multilabel_soft_margin_loss(v, T.F64(Y, 2, 3), T.F64(W), Reduction.Sum), T.F64(X, 2, 3));
        T.Close(X.Select((x, i) => W[i % 3] * (R.Sigmoid(x) - Y[i]) / 3).ToArray(), g);
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 1e4f });
        var y = T.F32(new[] { 0f, 1f, 1f });
        T.Close(2e4 / 3, L.multilabel_soft_margin_loss(x, y), 1e-6);
        T.Finite(T.Grad(v => L.multilabel_soft_margin_loss(v, y), x), "gradient");
    }

    [Fact]
    public void AgreesWithLibtorchAndTheModule()
    {
        var gen = new Generator(12);
        var x = torch.randn(new long[] { 5, 4 }, dtype: ScalarType.Float64, generator: gen) * 3;
        var y = torch.randint(0, 2, new long[] { 5, 4 }, dtype: ScalarType.Float64, generator: gen);
        var w = torch.rand(new long[] { 4 }, dtype: ScalarType.Float64, generator: gen);
        T.Close(T.Values(torch.nn.functional.multilabel_soft_margin_loss(x, y, w, nn.Reduction.None)), L.multilabel_soft_margin_loss(x, y, w, Reduction.None), 1e-12);
        T.Close(T.Scalar(new MultiLabelSoftMarginLoss(w).forward(x, y)), L.multilabel_soft_margin_loss(x, y, w));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => L.multilabel_soft_margin_loss(T.F64(X, 2, 3), T.F64(Y, 3, 2)));
        Assert.Contains("target", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => L.multilabel_soft_margin_loss(T.F64(X, 2, 3), T.F64(Y, 2, 3), T.F64(new[] { 1.0, 2.0 })));
        Assert.Contains("weight", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => L.multilabel_soft_margin_loss(torch.tensor(1.0), torch.tensor(1.0)));
        Assert.Contains("input", e3.Message);
    }
}
