using LossLab.Registry;
using Xunit;

namespace LossLab.Tests.Registry;

public class RegistryTests
{
    [Fact]
    public void SpecStringsParse()
    {
        var s = LossSpec.Parse(" iq:divergence=js, alpha=0.25 ");
        Assert.Equal("iq", s.Name);
        Assert.Equal("js", s.Params["divergence"]);
        Assert.Equal("0.25", s.Params["alpha"]);
        Assert.Empty(LossSpec.Parse("focal").Params);
        Assert.Throws<FormatException>(() => LossSpec.Parse("focal:gamma"));
        Assert.Throws<FormatException>(() => LossSpec.Parse("focal:gamma=1,gamma=2"));
        Assert.Throws<FormatException>(() => LossSpec.Parse(":gamma=1"));
        Assert.Throws<FormatException>(() => LossSpec.Parse("   "));
    }

    [Fact]
    public void SingleSpecsParseAsTheCompositeParserParsesATerm()
    {
        // the call form and a schedule whose commas sit inside parentheses, as in composite specs
        var call = LossSpec.Parse("focal(gamma=3, alpha=0.25)");
        Assert.Equal("focal", call.Name);
        Assert.Equal(new[] { "alpha", "gamma" }, call.Params.Keys.Order());
        var scheduled = LossSpec.Parse("vae_elbo:beta=anneal(0,1,10000),reduction=sum");
        Assert.Equal("anneal(0,1,10000)", scheduled.Params["beta"]);
        Assert.Equal("sum", scheduled.Params["reduction"]);
        var ex = Assert.Throws<FormatException>(() => LossSpec.Parse("focal:gamma=3,=2"));
        Assert.Contains("'=2' is not key=value", ex.Message);
        Assert.Throws<FormatException>(() => LossSpec.Parse("focal(gamma=3"));
        Assert.Throws<FormatException>(() => LossSpec.Parse("fo cal"));
    }

    [Fact]
    public void CreateValidatesAndFillsDefaults()
    {
        var loss = LossCatalog.Create("focal:gamma=3");
        Assert.Equal(3.0, loss.Parameters.Float("gamma"));
        Assert.Equal(LossLab.Reduction.Mean, loss.Parameters.Reduction);
        Assert.Equal(-100, loss.Parameters.Int("ignore_index"));
    }

    [Fact]
    public void UnknownNamesAndParametersSayWhatIsAllowed()
    {
        var e1 = Assert.Throws<ArgumentException>(() => LossCatalog.Create("focall"));
        Assert.Contains("did you mean focal", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => LossCatalog.Create("focal:gama=2"));
        Assert.Contains("unknown parameter 'gama'", e2.Message);
        Assert.Contains("gamma", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => LossCatalog.Create("focal:gamma=-1"));
        Assert.Contains("'gamma' must be a number >= 0", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => LossCatalog.Create("iq:divergence=tv2"));
        Assert.Contains("one of chi, kl, js, hellinger", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => LossCatalog.Create("focal:reduction=batchmean"));
        Assert.Contains("none, mean, sum", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => LossCatalog.Create("focal:ignore_index=1.5"));
        Assert.Contains("an integer", e6.Message);
    }

    public static TheoryData<string> AllLosses()
    {
        var d = new TheoryData<string>();
        foreach (var l in LossCatalog.Losses) d.Add(l.Name);
        return d;
    }

    [Theory]
    [MemberData(nameof(AllLosses))]
    public void EveryEntryIsDocumentedAndItsDefaultsParse(string name)
    {
        var def = LossCatalog.GetLoss(name);
        Assert.False(string.IsNullOrWhiteSpace(def.Summary));
        Assert.False(string.IsNullOrWhiteSpace(def.Math));
        Assert.False(string.IsNullOrWhiteSpace(def.Reference));
        Assert.StartsWith("Losses.", def.Function);
        Assert.NotEmpty(def.Inputs);
        Assert.Contains(def.Inputs, i => i.Differentiable);
        Assert.All(def.Parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Doc)));
        def.ParseParameters(null);
        Assert.Equal(def.Parameters.Count, def.Parameters.Select(p => p.Name).Distinct().Count());
        // the function named in the registry exists
        var method = def.Function["Losses.".Length..];
        Assert.Contains(typeof(LossLab.Losses).GetMethods(), m => m.Name == method);
    }

    [Fact]
    public void MetricsAreRegisteredToo()
    {
        foreach (var m in LossCatalog.Metrics)
        {
            Assert.False(string.IsNullOrWhiteSpace(m.Summary));
            Assert.NotEmpty(m.Inputs);
        }
    }
}
