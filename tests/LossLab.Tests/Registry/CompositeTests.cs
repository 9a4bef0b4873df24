using LossLab.Diagnostics;
using LossLab.Registry;
using LossLab.Registry.Composite;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Registry;

public class CompositeTests
{
    private static readonly Tensor X = torch.randn(new long[] { 6, 4 }, dtype: ScalarType.Float64, generator: new Generator(21));
    private static readonly Tensor Y = torch.randint(0, 4, new long[] { 6 }, generator: new Generator(22));

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(50, 0.5)]
    [InlineData(100, 1.0)]
    [InlineData(1000, 1.0)]
    public void LinearAndAnnealHitTheirValues(long step, double want)
    {
        Assert.Equal(want, Schedule.Parse("linear(0,1,100)").At(step), 12);
        Assert.Equal(want, Schedule.Parse("anneal(0, 1, 100)").At(step), 12);
    }

    [Fact]
    public void OtherSchedulesHitTheirValues()
    {
        var cos = Schedule.Parse("cosine(1,0,100)");
        Assert.Equal(1.0, cos.At(0), 12);
        Assert.Equal(0.5, cos.At(50), 12);
        Assert.Equal(0.0, cos.At(100), 12);
        var step = Schedule.Parse("step(1,0.1,10)");
        Assert.Equal(1.0, step.At(9), 12);
        Assert.Equal(0.1, step.At(10), 12);
        Assert.Equal(0.01, step.At(25), 12);
        var cyc = Schedule.Parse("cyclical(0,1,100,0.5)");
        Assert.Equal(0.0, cyc.At(0), 12);
        Assert.Equal(0.5, cyc.At(25), 12);
        Assert.Equal(1.0, cyc.At(50), 12);
        Assert.Equal(1.0, cyc.At(99), 12);
        Assert.Equal(0.0, cyc.At(100), 12);
        Assert.Equal(0.5, cyc.At(125), 12);
        Assert.Equal(2.5, Schedule.Parse("2.5").At(7), 12);
    }

    [Fact]
    public void SpecsParse()
    {
        var t = CompositeSpec.Parse("cross_entropy + 2*focal:gamma=3 + 1e-3*iq(divergence=js, alpha=0.2) + linear(0,1,10)*mse_loss(detach=target)");
        Assert.Equal(4, t.Count);
        Assert.Equal("focal", t[1].Name);
        Assert.Equal("3", t[1].Params["gamma"]);
        Assert.Equal(1e-3, t[2].Weight.At(0), 15);
        Assert.Equal("js", t[2].Params["divergence"]);
        Assert.Equal(["target"], t[3].Detach);
        Assert.False(CompositeSpec.IsComposite("focal:gamma=3"));
        Assert.True(CompositeSpec.IsComposite("focal(gamma=linear(0,2,10))"));
        Assert.True(CompositeSpec.IsComposite("2*focal"));
        Assert.Throws<FormatException>(() => CompositeSpec.Parse("focal + "));
        Assert.Throws<FormatException>(() => CompositeSpec.Parse("focal(gamma=2"));
        Assert.Contains("unknown schedule", Assert.Throws<FormatException>(() => CompositeSpec.Parse("warm(0,1,5)*focal")).Message);
        Assert.Contains("no input 'teacher'", Assert.Throws<ArgumentException>(() => new CompositeLoss("focal(detach=teacher)")).Message);
        Assert.Contains("'gamma' must be a number >= 0", Assert.Throws<ArgumentException>(() => new CompositeLoss("focal(gamma=linear(1,-1,10))")).Message);
    }

    [Fact]
    public void ValueAndGradientAreTheWeightedSumOfTheTerms()
    {
        var loss = new CompositeLoss("cross_entropy + 2*focal:gamma=3 + 0.25*iq(divergence=js)");
        Tensor Expected(Tensor x) => torch.nn.functional.cross_entropy(x, Y)
            + 2 * LossLab.Losses.focal_loss(x, Y, 3)
            + 0.25 * LossLab.Losses.iq_loss(x, Y, LossLab.Divergence.JensenShannon);
        T.Close(T.Scalar(Expected(X)), loss.forward(X, Y), 1e-13, 1e-15);
        T.Close(T.Values(T.Grad(Expected, X)), T.Grad(x => loss.forward(x, Y), X), 1e-12, 1e-15);
        var (_, terms) = loss.ForwardWithTerms(X, Y);
        Assert.Equal(2 * T.Scalar(LossLab.Losses.focal_loss(X, Y, 3)), terms!["1.focal"], 12);
        Assert.Contains("2.iq/soft_q", terms.Keys);
    }

    [Fact]
    public void ScheduledWeightsAndParametersFollowTheStep()
    {
        var loss = new CompositeLoss("cross_entropy + linear(0,1,100)*focal(gamma=linear(0,2,100))");
        loss.SetStep(50);
        double want = T.Scalar(torch.nn.functional.cross_entropy(X, Y)) + 0.5 * T.Scalar(LossLab.Losses.focal_loss(X, Y, 1.0));
        T.Close(want, loss.forward(X, Y), 1e-13, 1e-15);
        loss.SetStep(0);
        T.Close(T.Scalar(torch.nn.functional.cross_entropy(X, Y)), loss.forward(X, Y), 1e-13, 1e-15);
    }

    [Fact]
    public void DetachStopsTheGradientIntoThatInput()
    {
        var a = torch.randn(new long[] { 5, 3 }, dtype: ScalarType.Float64, generator: new Generator(1));
        var b = torch.randn(new long[] { 5, 3 }, dtype: ScalarType.Float64, generator: new Generator(2)).requires_grad_(true);
        var plain = new CompositeLoss("2*mse_loss");
        var detached = new CompositeLoss("2*mse_loss(detach=target)");
        var g1 = torch.autograd.grad(new List<Tensor> { plain.forward(a.requires_grad_(true), b) }, new List<Tensor> { b })[0];
        Assert.True(g1.abs().sum().item<double>() > 0);
        var out2 = detached.forward(a, b);
        var g2 = torch.autograd.grad(new List<Tensor> { out2 }, new List<Tensor> { b }, allow_unused: true)[0];
        Assert.True(g2 is null || g2.IsInvalid || g2.abs().sum().item<double>() == 0);
    }

    [Theory]
    [InlineData("cross_entropy + 2*focal:gamma=2")]
    [InlineData("0.5*iq(divergence=kl) + poly1_cross_entropy")]
    public void GradcheckCoversComposites(string spec)
    {
        var results = GradCheck.Run(new CompositeDefinition(spec)).ToList();
        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.True(r.Passed, $"[{r.Case}] {r.Message}"));
    }

    [Fact]
    public void TheMonitorWarnsAboutImbalancedAndDeadTerms()
    {
        var loss = new CompositeLoss("cross_entropy + 1e-6*focal + 0*poly1_cross_entropy", zeroStepsWarning: 3);
        for (int i = 0; i < 3; i++) loss.ForwardWithTerms(X, Y);
        var warnings = loss.TakeWarnings();
        Assert.Contains(warnings, w => w.Contains("0.cross_entropy") && w.Contains("1.focal") && w.Contains("similar magnitudes"));
        Assert.Contains(warnings, w => w.Contains("2.poly1_cross_entropy") && w.Contains("has been 0"));
        Assert.Empty(loss.TakeWarnings());
    }

    [Fact]
    public void TheCatalogMakesSingleOrCompositeTrainingLosses()
    {
        Assert.IsType<SpecLoss>(LossCatalog.CreateTrainingLoss("focal:gamma=3"));
        Assert.IsType<CompositeLoss>(LossCatalog.CreateTrainingLoss("focal + cross_entropy"));
    }
}
