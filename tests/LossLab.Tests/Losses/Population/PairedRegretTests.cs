using LossLab.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Population;

public class PairedRegretTests
{
    private static readonly double[] Protagonist = { 1, 2, 3, 0, 0, 3 };   // (2 environments, 3 episodes)
    private static readonly double[] Antagonist = { 5, 1, -1, 2 };         // (2, 2)

    [Fact]
    public void IsTheAntagonistsBestMinusTheProtagonistsMean()
    {
        double r0 = 5 - 2, r1 = 2 - 1;
        T.Close(new[] { r0, r1 }, LossLab.Losses.paired_regret(T.F64(Protagonist, 2, 3), T.F64(Antagonist, 2, 2), reduction: Reduction.None));
        T.Close((r0 + r1) / 2, LossLab.Losses.paired_regret(T.F64(Protagonist, 2, 3), T.F64(Antagonist, 2, 2)));
        T.Close(r0 + r1, LossLab.Losses.paired_regret(T.F64(Protagonist, 2, 3), T.F64(Antagonist, 2, 2), reduction: Reduction.Sum));
        T.Close(new[] { 3 - 2.0, 0.5 - 1 }, LossLab.Losses.paired_regret(T.F64(Protagonist, 2, 3), T.F64(Antagonist, 2, 2), AntagonistValue.Mean, Reduction.None));
        // one episode each: plain difference
        T.Close(new[] { -1.0, 2.0 }, LossLab.Losses.paired_regret(T.F64(new[] { 2.0, 0 }), T.F64(new[] { 1.0, 2 }), reduction: Reduction.None));
    }

    [Fact]
    public void GradientGoesToTheBestAntagonistEpisodeAndEveryProtagonistEpisode()
    {
        T.Close(new[] { 1.0, 0, 0, 1 }, T.Grad(a => LossLab.Losses.paired_regret(T.F64(Protagonist, 2, 3), a, reduction: Reduction.Sum), T.F64(Antagonist, 2, 2)));
        T.Close(Enumerable.Repeat(-1.0 / 3, 6).ToArray(), T.Grad(p => LossLab.Losses.paired_regret(p, T.F64(Antagonist, 2, 2), reduction: Reduction.Sum), T.F64(Protagonist, 2, 3)));
        var big = T.F32(new float[] { 1e4f, -1e4f }, 1, 2);
        T.Finite(T.Grad(a => LossLab.Losses.paired_regret(T.F32(new float[] { -1e4f }), a), big), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        Assert.Contains("antagonist", Assert.Throws<ArgumentException>(() => LossLab.Losses.paired_regret(T.F64(Protagonist, 2, 3), T.F64(Antagonist, 4, 1))).Message);
        Assert.Contains("antagonist", Assert.Throws<ArgumentException>(() => LossLab.Losses.paired_regret(T.F64(Protagonist, 2, 3), T.F64(new double[0], 2, 0))).Message);
        Assert.Contains("protagonist", Assert.Throws<ArgumentException>(() => LossLab.Losses.paired_regret(T.I64(1, 2), T.F64(Antagonist, 2, 2))).Message);
        T.Close(2.0, new LossLab.PairedRegretLoss().forward(T.F64(Protagonist, 2, 3), T.F64(Antagonist, 2, 2)));
    }
}
