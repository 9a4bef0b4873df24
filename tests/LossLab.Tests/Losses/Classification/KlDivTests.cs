using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using L = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class KlDivTests
{
    private static readonly double[] LogQ = { Math.Log(0.2), Math.Log(0.5), Math.Log(0.3), Math.Log(0.6), Math.Log(0.3), Math.Log(0.1) };
    private static readonly double[] P = { 0.1, 0.9, 0.0, 0.25, 0.25, 0.5 };

    private static double[] Pointwise() => P.Select((p, i) => p == 0 ? 0 : p * (Math.Log(p) - LogQ[i])).ToArray();

    [Fact]
    public void MatchesTheFormulaForEveryReductionWithZeroTargetsGivingZero()
    {
        var pw = Pointwise();
        var x = T.F64(LogQ, 2, 3);
        var t = T.F64(P, 2, 3);
        T.Close(pw, L.kl_div(x, t, Reduction.None));
        Assert.Equal(0.0, T.Values(L.kl_div(x, t, Reduction.None))[2]);
        T.Close(pw.Sum(), L.kl_div(x, t, Reduction.Sum));
        T.Close(pw.Average(), L.kl_div(x, t));
        T.Close(pw.Sum() / 2, L.kl_div(x, t, Reduction.BatchMean));
    }

    [Fact]
    public void BatchmeanIsTheMeanKlDivergencePerSample()
    {
        // KL(p || q) of each row, by hand
        double kl0 = 0.1 * Math.Log(0.1 / 0.2) + 0.9 * Math.Log(0.9 / 0.5);
        double kl1 = 0.25 * Math.Log(0.25 / 0.6) + 0.25 * Math.Log(0.25 / 0.3) + 0.5 * Math.Log(0.5 / 0.1);
        T.Close((kl0 + kl1) / 2, L.kl_div(T.F64(LogQ, 2, 3), T.F64(P, 2, 3), Reduction.BatchMean));
    }

    [Fact]
    public void LogTargetDefaultsToFalseAndTrueTakesLogProbabilities()
    {
        var x = T.F64(LogQ, 2, 3);
        var p = new[] { 0.1, 0.9, 0.05, 0.25, 0.25, 0.5 };
        var logp = T.F64(p.Select(v => Math.Log(v)).ToArray(), 2, 3);
        T.Close(T.Scalar(L.kl_div(x, T.F64(p, 2, 3))), L.kl_div(x, logp, log_target: true));
        T.Close(T.Values(L.kl_div(x, T.F64(p, 2, 3), Reduction.None)), L.kl_div(x, logp, Reduction.None, true));
    }

    [Fact]
    public void GradientsFlowToInputAndTarget()
    {
        var x = T.F64(LogQ, 2, 3);
        var p = new[] { 0.1, 0.9, 0.05, 0.25, 0.25, 0.5 };
        T.Close(p.Select(v => -v / 2).ToArray(), T.Grad(v => L.kl_div(v, T.F64(p, 2, 3), Reduction.BatchMean), x));
        // d/dt t (log t - x) = log t + 1 - x
        T.Close(p.Select((v, i) => Math.Log(v) + 1 - LogQ[i]).ToArray(), T.Grad(v => L.kl_div(x, v, Reduction.Sum), T.F64(p, 2, 3)));
        // log target s: d/ds exp(s) (s - x) = exp(s) (s - x + 1)
        var s = p.Select(v => Math.Log(v)).ToArray();
        T.Close(s.Select((v, i) => Math.Exp(v) * (v - LogQ[i] + 1)).ToArray(), T.Grad(v => L.kl_div(x, v, Reduction.Sum, true), T.F64(s, 2, 3)));
        T.Close(s.Select(v => -Math.Exp(v)).ToArray(), T.Grad(v => L.kl_div(v, T.F64(s, 2, 3), Reduction.Sum, true), x));
    }

    [Fact]
    public void AgreesWithLibtorchsKernelAndBroadcasts()
    {
        var gen = new Generator(3);
        var x = torch.nn.functional.log_softmax(torch.randn(new long[] { 4, 5 }, dtype: ScalarType.Float64, generator: gen), 1);
        var t = torch.softmax(torch.randn(new long[] { 4, 5 }, dtype: ScalarType.Float64, generator: gen), 1);
        // TorchSharp's binding defaults to log_target = true; pass it explicitly
        T.Close(T.Values(torch.nn.functional.kl_div(x, t, false, nn.Reduction.None)), L.kl_div(x, t, Reduction.None), 1e-12);
        // gradients to both, with a zero target: libtorch's xlogy gives NaN for the target there, and so do we
        var tz = T.F64(P, 2, 3);
        var xz = T.F64(LogQ, 2, 3);
        T.Close(T.Values(T.Grad(v => torch.nn.functional.kl_div(xz, v, false, nn.Reduction.Sum), tz)).Select(v => double.IsNaN(v) ? -1e300 : v).ToArray(),
            T.F64(T.Values(T.Grad(v => L.kl_div(xz, v, Reduction.Sum), tz)).Select(v => double.IsNaN(v) ? -1e300 : v).ToArray()));
        T.Close(T.Values(T.Grad(v => torch.nn.functional.kl_div(v, tz, false, nn.Reduction.Sum), xz)), T.Grad(v => L.kl_div(v, tz, Reduction.Sum), xz));
        var row = t[0];
        var b = L.kl_div(x, row, Reduction.None);
        Assert.Equal(new long[] { 4, 5 }, b.shape);
        T.Close(T.Values(L.kl_div(x, row.expand(4, 5), Reduction.None)), b);
    }

    [Fact]
    public void ModuleGivesTheFunctionsValue()
    {
        T.Close(T.Scalar(L.kl_div(T.F64(LogQ), T.F64(P), Reduction.BatchMean)), new KLDivLoss(Reduction.BatchMean).forward(T.F64(LogQ), T.F64(P)));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var e1 = Assert.Throws<ArgumentException>(() => L.kl_div(T.F64(LogQ, 2, 3), T.F64(P, 3, 2)));
        Assert.Contains("broadcast", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => L.kl_div(T.I64(1, 2), T.F64(new[] { 0.5, 0.5 })));
        Assert.Contains("input", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => L.kl_div(T.F64(new[] { -1.0, -1.0 }), T.I64(1, 0)));
        Assert.Contains("target", e3.Message);
    }
}
