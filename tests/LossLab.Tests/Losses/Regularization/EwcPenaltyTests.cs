using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regularization;

public class EwcPenaltyTests
{
    private static readonly double[] W = { 1.0, -2.0, 0.5, 3.0 };
    private static readonly double[] A = { 0.0, -1.0, 0.5, 1.0 };
    private static readonly double[] Fi = { 2.0, 0.5, 10.0, 0.0 };

    [Fact]
    public void HandWorkedValueAndGradient()
    {
        // lambda / 2 * (2 * 1 + 0.5 * 1 + 10 * 0 + 0 * 4) = lambda / 2 * 2.5
        T.Close(4 * 2.5 / 2, F.ewc_penalty(T.F64(W, 2, 2), T.F64(A, 2, 2), T.F64(Fi, 2, 2), 4));
        var g = T.Grad(v => F.ewc_penalty(v, T.F64(A), T.F64(Fi), 4), T.F64(W));
        T.Close(W.Select((w, i) => 4 * Fi[i] * (w - A[i])).ToArray(), g);
        T.Close(0.0, F.ewc_penalty(T.F64(A), T.F64(A), T.F64(Fi)));
    }

    [Fact]
    public void OverAModuleWithSnapshotAndFisherByName()
    {
        var model = nn.Linear(2, 2, dtype: ScalarType.Float64);
        var anchor = Ewc.Snapshot(model);
        Assert.Equal(new[] { "bias", "weight" }, anchor.Keys.OrderBy(k => k));
        using (torch.no_grad()) model.weight!.add_(1.0);   // every weight moves by 1 after the previous task
        var fisher = new Dictionary<string, Tensor> { ["weight"] = T.F64(new[] { 1.0, 2.0, 3.0, 4.0 }, 2, 2) };   // bias not anchored
        T.Close(0.5 * 10 * 3, F.ewc_penalty(model, anchor, fisher, 3));
        T.Close(0.5 * 10 * 3, new EwcPenalty(3, anchor, fisher).forward(model));
        T.Close(0.0, F.ewc_penalty(model, anchor, new Dictionary<string, Tensor>()));
    }

    [Fact]
    public void DiagonalFisherIsTheMeanSquaredGradientOverBatches()
    {
        var model = nn.Linear(2, 1, dtype: ScalarType.Float64);
        using (torch.no_grad())
        {
            model.weight!.copy_(T.F64(new[] { 0.5, -1.0 }, 1, 2));
            model.bias!.copy_(T.F64(new[] { 0.25 }));
        }
        double[][] xs = [[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]];
        double[] ys = [0.0, 1.0, -2.0];
        var batches = Enumerable.Range(0, 3).Select(i => (x: T.F64(xs[i], 1, 2), y: T.F64([ys[i]], 1, 1))).ToList();
        // NLL of a unit-variance Gaussian up to a constant: 0.5 (w.x + b - y)^2, gradient r x and r
        var fisher = Ewc.EstimateDiagonalFisher(model, batches, b => 0.5 * (model.call(b.x) - b.y).square().sum());
        var wantW = new double[2];
        double wantB = 0;
        for (int i = 0; i < 3; i++)
        {
            double r = 0.5 * xs[i][0] - 1.0 * xs[i][1] + 0.25 - ys[i];
            wantW[0] += r * xs[i][0] * r * xs[i][0] / 3;
            wantW[1] += r * xs[i][1] * r * xs[i][1] / 3;
            wantB += r * r / 3;
        }
        T.Close(wantW, fisher["weight"]);
        T.Close(wantB, fisher["bias"]);
        Assert.Equal(new long[] { 1, 2 }, fisher["weight"].shape);
        Assert.False(fisher["weight"].requires_grad);
        // the parameters' own gradients are left untouched
        Assert.True(model.weight!.grad is null || model.weight.grad.IsInvalid);

        // one batch of all three samples: the square of the summed gradient
        var whole = new[] { (x: T.F64(xs.SelectMany(v => v).ToArray(), 3, 2), y: T.F64(ys, 3, 1)) };
        var batchFisher = Ewc.EstimateDiagonalFisher(model, whole, b => 0.5 * (model.call(b.x) - b.y).square().sum());
        double gb = Enumerable.Range(0, 3).Sum(i => 0.5 * xs[i][0] - xs[i][1] + 0.25 - ys[i]);
        T.Close(gb * gb, batchFisher["bias"]);
    }

    [Fact]
    public void FisherEstimationRejectsBadArguments()
    {
        var model = nn.Linear(2, 1, dtype: ScalarType.Float64);
        var x = torch.ones(1, 2, dtype: ScalarType.Float64);
        Assert.Contains("batches", Assert.Throws<ArgumentException>(() => Ewc.EstimateDiagonalFisher(model, Array.Empty<Tensor>(), b => model.call(b).sum())).Message);
        Assert.Contains("lossFn", Assert.Throws<ArgumentException>(() => Ewc.EstimateDiagonalFisher(model, new[] { torch.ones(2, 2, dtype: ScalarType.Float64) }, b => model.call(b))).Message);
        Assert.Contains("lossFn", Assert.Throws<ArgumentException>(() => Ewc.EstimateDiagonalFisher(model, new[] { x }, b => b.sum())).Message);
    }

    [Fact]
    public void Float32LargeValuesStayFiniteAndModuleMatches()
    {
        var w = T.F32(new[] { 1e4f, -1e4f, 0f }, 3);
        var a = T.F32(new[] { -1e4f, 1e4f, 0f }, 3);
        var f = T.F32(new[] { 1f, 0.5f, 2f }, 3);
        T.Finite(F.ewc_penalty(w, a, f, 400), "value");
        T.Finite(T.Grad(v => F.ewc_penalty(v, a, f, 400), w), "gradient");
        T.Close(T.Values(F.ewc_penalty(w, a, f, 2)), new EwcPenalty(2).forward(w, a, f), rtol: 1e-6);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var w = T.F64(W);
        Assert.Contains("fisher", Assert.Throws<ArgumentException>(() => F.ewc_penalty(w, T.F64(A), T.F64(new[] { 1.0, -1.0, 0.0, 0.0 }))).Message);
        Assert.Contains("anchor", Assert.Throws<ArgumentException>(() => F.ewc_penalty(w, T.F64(new[] { 1.0 }), T.F64(Fi))).Message);
        Assert.Contains("lambda", Assert.Throws<ArgumentOutOfRangeException>(() => F.ewc_penalty(w, T.F64(A), T.F64(Fi), -1)).Message);
        var model = nn.Linear(2, 2, dtype: ScalarType.Float64);
        var anchor = Ewc.Snapshot(model);
        var unknown = new Dictionary<string, Tensor> { ["fc.weight"] = torch.ones(2, 2, dtype: ScalarType.Float64) };
        Assert.Contains("fc.weight", Assert.Throws<ArgumentException>(() => F.ewc_penalty(model, anchor, unknown)).Message);
        var fisher = new Dictionary<string, Tensor> { ["weight"] = torch.ones(2, 2, dtype: ScalarType.Float64) };
        Assert.Contains("anchor", Assert.Throws<ArgumentException>(() => F.ewc_penalty(model, new Dictionary<string, Tensor>(), fisher)).Message);
        Assert.Throws<InvalidOperationException>(() => new EwcPenalty(1).forward(model));
        Assert.Throws<ArgumentException>(() => new EwcPenalty(1, anchor, null));
    }
}
