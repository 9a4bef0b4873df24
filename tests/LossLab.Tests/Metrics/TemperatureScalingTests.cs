using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using LM = LossLab.Metrics;

namespace LossLab.Tests.Metrics;

public class TemperatureScalingTests
{
    // Labels drawn from softmax(true logits); the model reports 3x the true logits, so T = 3 calibrates it.
    internal static (Tensor logits, Tensor labels) Overconfident(int seed, long n, long c, double factor)
    {
        var g = new torch.Generator((ulong)seed);
        var truth = torch.randn(new[] { n, c }, dtype: ScalarType.Float64, generator: g) * 1.5;
        var labels = torch.multinomial(torch.softmax(truth, 1), 1, true, generator: g).squeeze(1);
        return (truth * factor, labels);
    }

    [Fact]
    public void RecoversAKnownTemperature()
    {
        var (z, y) = Overconfident(1, 20000, 6, 3.0);
        var fit = TemperatureScaling.Fit(z, y);
        Assert.InRange(fit.Temperature, 2.85, 3.15);
        Assert.True(fit.NllAfter < fit.NllBefore);
        Assert.True(fit.EceAfter < fit.EceBefore);
        Assert.False(fit.AtBoundary);
        Assert.Equal("nll", fit.Objective);
        Assert.InRange(fit.Evaluations, 20, 80);
        // the minimum: the NLL a little either side is not lower
        double Nll(double t) => T.Scalar(LM.nll(z / t, y));
        Assert.True(Nll(fit.Temperature) <= Nll(fit.Temperature * 1.01));
        Assert.True(Nll(fit.Temperature) <= Nll(fit.Temperature / 1.01));
        Assert.Equal(Nll(fit.Temperature), fit.NllAfter, 12);
        Assert.Equal(Nll(1.0), fit.NllBefore, 12);
    }

    [Fact]
    public void UnderconfidentLogitsGetATemperatureBelowOne()
    {
        var (z, y) = Overconfident(2, 20000, 4, 0.5);
        Assert.InRange(TemperatureScaling.Fit(z, y).Temperature, 0.45, 0.55);
    }

    [Fact]
    public void LbfgsAgreesWithGoldenSection()
    {
        var (z, y) = Overconfident(3, 5000, 5, 2.0);
        var golden = TemperatureScaling.Fit(z, y);
        var lbfgs = TemperatureScaling.Fit(z, y, TemperatureObjective.NllLbfgs);
        Assert.Equal(golden.Temperature, lbfgs.Temperature, 3);
        Assert.Equal("nll_lbfgs", lbfgs.Objective);
    }

    [Fact]
    public void EceGridIsTheReferenceGrid()
    {
        var grid = TemperatureScaling.EceGrid;
        Assert.Equal(100, grid.Count);
        Assert.Equal(0.1, grid[0]);
        Assert.Equal(0.1 + 0.1 + 0.1, grid[2]);
        Assert.Equal(10.0, grid[^1], 10);
        var (z, y) = Overconfident(4, 4000, 5, 3.0);
        var fit = TemperatureScaling.Fit(z, y, TemperatureObjective.EceGrid);
        // brute force: the first grid value with the lowest ECE
        double best = double.PositiveInfinity, bestT = 0;
        foreach (var t in grid)
        {
            double e = T.Scalar(LM.ece(torch.softmax(z / t, 1), y));
            if (e < best) { best = e; bestT = t; }
        }
        Assert.Equal(bestT, fit.Temperature);
        Assert.Equal(best, fit.EceAfter, 12);
        Assert.Equal(100, fit.Evaluations);
    }

    [Fact]
    public void AnAlwaysRightClassifierEndsAtTheLowerBound()
    {
        var z = T.F64(new double[] { 2, 0, 0, 3, 1, 0 }, 3, 2);
        var fit = TemperatureScaling.Fit(z, T.I64(0, 1, 0));
        Assert.True(fit.AtBoundary);
        Assert.Equal(TemperatureScaling.MinTemperature, fit.Temperature, 5);
    }

    [Fact]
    public void GoldenSectionFindsTheMinimumOfAKnownFunction()
    {
        var (t, evaluations) = TemperatureScaling.GoldenSection(x => Math.Pow(Math.Log(x) - Math.Log(1.7), 2));
        Assert.Equal(1.7, t, 6);
        Assert.True(evaluations < 60);
    }

    [Fact]
    public void ApplyDividesAndChecks()
    {
        var z = T.F64(new double[] { 2, 4 }, 1, 2);
        T.Close(new[] { 1.0, 2.0 }, TemperatureScaling.Apply(z, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => TemperatureScaling.Apply(z, 0));
        Assert.Contains("logits", Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit(T.F64(new double[] { double.PositiveInfinity, 1 }, 1, 2), T.I64(0))).Message);
    }
}
