using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Contrastive;

public class NtXentTests
{
    // The definition, looped in plain doubles: cosine / t, every ordered pair of one label against the anchor's negatives.
    private static double Reference(double[][] e, long[] y, double t)
    {
        int n = e.Length;
        double Cos(int i, int j)
        {
            double d = 0, a = 0, b = 0;
            for (int k = 0; k < e[i].Length; k++) { d += e[i][k] * e[j][k]; a += e[i][k] * e[i][k]; b += e[j][k] * e[j][k]; }
            return d / (Math.Sqrt(a) * Math.Sqrt(b));
        }
        double total = 0; int pairs = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (i == j || y[i] != y[j]) continue;
                double sij = Cos(i, j) / t;
                double denom = Math.Exp(sij);
                for (int k = 0; k < n; k++) if (y[k] != y[i]) denom += Math.Exp(Cos(i, k) / t);
                total += -Math.Log(Math.Exp(sij) / denom);
                pairs++;
            }
        return total / pairs;
    }

    private static double[][] RandomRows(int seed, int n, int d)
    {
        var rng = new System.Random(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => rng.NextDouble() * 2 - 1).ToArray()).ToArray();
    }

    private static Tensor M(double[][] e) => T.F64(e.SelectMany(r => r).ToArray(), e.Length, e[0].Length);

    [Theory]
    [InlineData(1, new long[] { 0, 1, 2, 3, 0, 1, 2, 3 }, 0.5)]
    [InlineData(2, new long[] { 0, 0, 0, 1, 1, 2 }, 0.2)]
    [InlineData(3, new long[] { 4, 9, 4, 9 }, 1.0)]
    [InlineData(4, new long[] { 1, 1, 1, 1, 2, 2, 3, 5, 5 }, 0.07)]
    public void MatchesTheDefinition(int seed, long[] labels, double t)
    {
        var e = RandomRows(seed, labels.Length, 5);
        T.Close(Reference(e, labels, t), LossLab.Losses.ntxent_loss(M(e), T.I64(labels), t), 1e-10);
    }

    [Fact]
    public void DefaultTemperatureIsOptaxs()
    {
        var e = RandomRows(5, 6, 4);
        var y = new long[] { 0, 1, 2, 0, 1, 2 };
        T.Close(Reference(e, y, 0.07), LossLab.Losses.ntxent_loss(M(e), T.I64(y)), 1e-10);
        T.Close(Reference(e, y, 0.07), new NtXentLoss().forward(M(e), T.I64(y)), 1e-10);
    }

    [Fact]
    public void TwoViewsIsSimClrCrossEntropyOverAllOthers()
    {
        // With exactly one positive per anchor the denominator is every other sample: SimCLR's form, a cross entropy
        // over the similarity rows with the diagonal masked and the partner as target.
        var x = torch.randn(10, 6, dtype: ScalarType.Float64, generator: new Generator(7));
        var y = T.I64(0, 1, 2, 3, 4, 0, 1, 2, 3, 4);
        var z = x / x.norm(1, true, 2);
        var s = z.mm(z.t()) / 0.3 - torch.eye(10, dtype: ScalarType.Float64) * 1e9;
        var partner = T.I64(5, 6, 7, 8, 9, 0, 1, 2, 3, 4);
        var want = torch.nn.functional.cross_entropy(s, partner);
        T.Close(T.Scalar(want), LossLab.Losses.ntxent_loss(x, y, 0.3), 1e-10);
    }

    [Fact]
    public void ScaleOfEmbeddingsDoesNotMatter()
    {
        var x = torch.randn(6, 3, dtype: ScalarType.Float64, generator: new Generator(8));
        var y = T.I64(0, 0, 1, 1, 2, 2);
        var scaled = x * torch.tensor(new[] { 1.0, 100.0, 0.01, 3.0, 7.0, 1e-3 }, dtype: ScalarType.Float64).unsqueeze(1);
        T.Close(T.Scalar(LossLab.Losses.ntxent_loss(x, y, 0.5)), LossLab.Losses.ntxent_loss(scaled, y, 0.5), 1e-10);
    }

    [Fact]
    public void NoNegativesCostNothing()
    {
        var x = torch.randn(3, 4, dtype: ScalarType.Float64, generator: new Generator(9));
        var y = T.I64(2, 2, 2);
        T.Close(0.0, LossLab.Losses.ntxent_loss(x, y, 0.1));
        var g = T.Grad(v => LossLab.Losses.ntxent_loss(v, y, 0.1), x);
        T.Close(new double[12], g);
    }

    [Fact]
    public void ExtremeInputsStayFiniteInFloat32()
    {
        var x = T.F32(new float[] { 1e4f, -1e4f, 0f, 1e4f, 1e4f, 1f, -1e4f, 3f, 2f, 0f, 0f, 0f }, 4, 3);
        var y = T.I64(0, 0, 1, 1);
        foreach (double t in new[] { 0.07, 1e-3, 10.0 })
        {
            var loss = LossLab.Losses.ntxent_loss(x, y, t);
            T.Finite(loss, "loss");
            T.Finite(T.Grad(v => LossLab.Losses.ntxent_loss(v, y, t), x), "gradient");
        }
    }

    [Fact]
    public void TinyTemperatureIsComputedInLogSpace()
    {
        // s up to 1e4: the direct formula overflows, the log-space one gives the margin
        var x = T.F64(new[] { 1.0, 0.0, 0.8, 0.6, 0.0, 1.0 }, 3, 2);
        var y = T.I64(0, 0, 1);
        double t = 1e-4;
        // pair (0,1): s01 = 0.8/t, negative s02 = 0; pair (1,0): s10 = 0.8/t, negative s12 = 0.6/t
        double l01 = Math.Log(1 + Math.Exp(-0.8 / t));
        double l10 = Math.Log(1 + Math.Exp((0.6 - 0.8) / t));
        T.Close((l01 + l10) / 2, LossLab.Losses.ntxent_loss(x, y, t), 1e-9, 1e-300);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.randn(4, 3, dtype: ScalarType.Float64, generator: new Generator(1));
        var e1 = Assert.Throws<ArgumentException>(() => LossLab.Losses.ntxent_loss(x, T.I64(0, 1, 2, 3)));
        Assert.Contains("no positive pair", e1.Message);
        Assert.Contains("labels", e1.Message);
        Assert.Throws<ArgumentException>(() => LossLab.Losses.ntxent_loss(x.narrow(0, 0, 1), T.I64(0)));
        var e2 = Assert.Throws<ArgumentException>(() => LossLab.Losses.ntxent_loss(x, T.I64(0, 1, 0)));
        Assert.Contains("batch size", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => LossLab.Losses.ntxent_loss(x, T.I64(0, 1, 0, 1), 0));
        Assert.Contains("temperature", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => LossLab.Losses.ntxent_loss(x, T.F64(new[] { 0.0, 1, 0, 1 })));
        Assert.Contains("labels", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => LossLab.Losses.ntxent_loss(torch.zeros(4, dtype: ScalarType.Float64), T.I64(0, 1, 0, 1)));
        Assert.Contains("embeddings", e5.Message);
    }
}
