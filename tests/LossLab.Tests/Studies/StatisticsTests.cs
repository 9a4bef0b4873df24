using LossLab.Training.Studies;
using Xunit;

namespace LossLab.Tests.Studies;

public class StatisticsTests
{
    // Closed forms: with 1 degree of freedom t is Cauchy, P(T > t) = 1/2 - atan(t)/pi; with 2,
    // P(T > t) = (1 - t / sqrt(2 + t^2)) / 2.
    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    [InlineData(12.7)]
    public void TheSurvivalFunctionMatchesClosedForms(double t)
    {
        Assert.Equal(0.5 - Math.Atan(t) / Math.PI, Statistics.StudentSf(t, 1), 12);
        Assert.Equal((1 - t / Math.Sqrt(2 + t * t)) / 2, Statistics.StudentSf(t, 2), 12);
    }

    [Fact]
    public void QuantilesMatchClosedFormsAndTables()
    {
        Assert.Equal(Math.Tan(Math.PI * 0.475), Statistics.StudentQuantile(0.975, 1), 9);
        Assert.Equal(Math.Sqrt(2 / (4 * 0.975 * 0.025) - 2) * 1, Statistics.StudentQuantile(0.975, 2), 9); // t = (2p-1) sqrt(2 / (4p(1-p)))
        Assert.Equal(2.228138852, Statistics.StudentQuantile(0.975, 10), 6);
        Assert.Equal(1.959963985, Statistics.StudentQuantile(0.975, 1e7), 5);
    }

    [Fact]
    public void ConfidenceIntervalsAndPairedTests()
    {
        var ci = Statistics.MeanCi([1.0, 2.0, 3.0]);
        Assert.Equal(2.0, ci.Mean, 12);
        Assert.Equal(Statistics.StudentQuantile(0.975, 2) * 1.0 / Math.Sqrt(3), ci.HalfWidth, 12);
        Assert.True(double.IsNaN(Statistics.MeanCi([4.0]).HalfWidth));
        var (diff, t, p) = Statistics.PairedT([1, 2, 3], [0.5, 1.9, 2.5]);
        Assert.Equal(0.3666666666666667, diff, 12);
        Assert.Equal(2.75, t, 9);
        Assert.Equal(1 - 2.75 / Math.Sqrt(2 + 2.75 * 2.75), p, 9);
        Assert.True(double.IsNaN(Statistics.PairedT([1, 2], [0, 1]).P), "no variation in the differences gives no p-value");
    }
}
