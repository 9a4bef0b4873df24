using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;
using R = LossLab.Tests.Losses.Metric.MetricRef;

namespace LossLab.Tests.Losses.Contrastive;

/// <summary>next_token, masked_lm and masked_reconstruction against loops over positions.</summary>
public class TokenLossTests
{
    private const int B = 2, Tn = 4, V = 5;

    private static double[] Logits(int seed) => R.Rows(seed, B * Tn, V, 3).SelectMany(r => r).ToArray();

    // Cross entropy of one position, with PyTorch's label smoothing: (1 - e) (-lp_y) + e / V sum_c (-lp_c).
    private static double Ce(double[] logits, int b, int t, long y, double eps)
    {
        var row = logits.Skip((b * Tn + t) * V).Take(V).ToArray();
        double lse = R.LogSumExp(row);
        return (1 - eps) * (lse - row[y]) + eps / V * row.Sum(x => lse - x);
    }

    [Theory]
    [InlineData(true, 0.0)]
    [InlineData(true, 0.2)]
    [InlineData(false, 0.0)]
    public void NextTokenMatchesALoopOverPositions(bool shift, double eps)
    {
        var x = Logits(131);
        long[] y = { 3, 1, -100, 4, 0, 2, 2, -100 };
        int steps = shift ? Tn - 1 : Tn;
        var per = new double[B * steps];
        int count = 0;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < steps; t++)
            {
                long target = y[b * Tn + t + (shift ? 1 : 0)];
                if (target == -100) continue;
                per[b * steps + t] = Ce(x, b, t, target, eps);
                count++;
            }
        var input = T.F64(x, B, Tn, V);
        var tgt = T.I64(y).reshape(B, Tn);
        T.Close(per, F.next_token_loss(input, tgt, label_smoothing: eps, shift: shift, reduction: Reduction.None), 1e-12, 1e-14);
        T.Close(per.Sum() / count, F.next_token_loss(input, tgt, label_smoothing: eps, shift: shift), 1e-12);
        T.Close(per.Sum(), F.next_token_loss(input, tgt, label_smoothing: eps, shift: shift, reduction: Reduction.Sum), 1e-12);
    }

    [Fact]
    public void NextTokenIsLibtorchsCrossEntropyOnTheShiftedTokens()
    {
        var x = torch.randn(3, 6, 7, dtype: ScalarType.Float64, generator: new Generator(132));
        var y = torch.randint(0, 7, new[] { 3L, 6 }, dtype: ScalarType.Int64, generator: new Generator(133));
        y[1, 3] = -100;
        var want = nn.functional.cross_entropy(x.narrow(1, 0, 5).reshape(15, 7), y.narrow(1, 1, 5).reshape(15), ignore_index: -100);
        T.Close(T.Scalar(want), F.next_token_loss(x, y), 1e-12);
        T.Close(T.Scalar(want), LossCatalog.Create("next_token").forward(x, y), 1e-12);
        T.Close(T.Scalar(want), new NextTokenLoss().forward(x, y), 1e-12);
    }

    [Fact]
    public void NothingToPredictGivesZeroNotNaN()
    {
        var x = torch.randn(2, 3, 4, dtype: ScalarType.Float64, generator: new Generator(134));
        var allPad = torch.full(new long[] { 2, 3 }, -100L);
        T.Close(0.0, F.next_token_loss(x, allPad));
        T.Close(new double[24], T.Grad(v => F.next_token_loss(v, allPad), x));
        T.Close(0.0, F.next_token_loss(x.narrow(1, 0, 1), T.I64(1, 2).reshape(2, 1)));   // length 1: no next token
        T.Close(0.0, F.masked_lm_loss(x, T.I64(0, 1, 2, 3, 0, 1).reshape(2, 3), torch.zeros(2, 3, dtype: ScalarType.Bool)));
        T.Close(0.0, F.masked_reconstruction_loss(x, x, torch.zeros(2, 3)));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void MaskedLmScoresOnlyTheMaskedPositions(double eps)
    {
        var x = Logits(135);
        long[] y = { 3, 1, 0, 4, 0, 2, 2, 1 };
        bool[] mask = { true, false, false, true, false, true, true, false };
        var per = new double[B * Tn];
        for (int i = 0; i < per.Length; i++) if (mask[i]) per[i] = Ce(x, i / Tn, i % Tn, y[i], eps);
        var input = T.F64(x, B, Tn, V);
        var m = torch.tensor(mask).reshape(B, Tn);
        T.Close(per, F.masked_lm_loss(input, T.I64(y).reshape(B, Tn), m, label_smoothing: eps, reduction: Reduction.None), 1e-12, 1e-14);
        T.Close(per.Sum() / 4, F.masked_lm_loss(input, T.I64(y).reshape(B, Tn), m, label_smoothing: eps), 1e-12);
        // the same with Hugging Face's convention: -100 outside the mask, no mask argument (and garbage ids under it with a mask)
        var hf = T.I64(y.Select((v, i) => mask[i] ? v : -100).ToArray()).reshape(B, Tn);
        T.Close(per.Sum() / 4, F.masked_lm_loss(input, hf, label_smoothing: eps), 1e-12);
        var garbage = T.I64(y.Select((v, i) => mask[i] ? v : 999).ToArray()).reshape(B, Tn);
        T.Close(per.Sum() / 4, new MaskedLmLoss(label_smoothing: eps).forward(input, garbage, m), 1e-12);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MaskedReconstructionMatchesMaesLoss(bool normPix)
    {
        var pred = R.Rows(136, B * 3, 4);
        var target = R.Rows(137, B * 3, 4, 2);
        double[] mask = { 1, 0, 1, 1, 1, 0 };
        var per = new double[B * 3];
        for (int i = 0; i < per.Length; i++)
        {
            var t = target[i];
            if (normPix)
            {
                double m = t.Average(), v = t.Sum(x => (x - m) * (x - m)) / (t.Length - 1);
                t = t.Select(x => (x - m) / Math.Sqrt(v + 1e-6)).ToArray();
            }
            per[i] = mask[i] * pred[i].Select((p, k) => (p - t[k]) * (p - t[k])).Average();
        }
        var pt = T.F64(pred.SelectMany(r => r).ToArray(), B, 3, 4);
        var tt = T.F64(target.SelectMany(r => r).ToArray(), B, 3, 4);
        var mt = T.F64(mask, B, 3);
        T.Close(per, F.masked_reconstruction_loss(pt, tt, mt, normPix, Reduction.None), 1e-12, 1e-14);
        T.Close(per.Sum() / mask.Sum(), F.masked_reconstruction_loss(pt, tt, mt, normPix), 1e-12);
        T.Close(per.Sum(), F.masked_reconstruction_loss(pt, tt, mt.to_type(ScalarType.Bool), normPix, Reduction.Sum), 1e-12);
        T.Close(per.Sum() / mask.Sum(), new MaskedReconstructionLoss(normPix).forward(pt, tt, mt), 1e-12);
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = torch.tensor(new float[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 5f, 0f, 0f, 1e4f, 3f, -1e4f, 1e4f }).reshape(1, 4, 3);
        var y = T.I64(1, 0, 2, 1).reshape(1, 4);
        T.Finite(F.next_token_loss(x, y, label_smoothing: 0.1), "next_token");
        T.Finite(T.Grad(v => F.next_token_loss(v, y, label_smoothing: 0.1), x), "next_token gradient");
        T.Finite(F.masked_lm_loss(x, y), "masked_lm");
        T.Finite(T.Grad(v => F.masked_lm_loss(v, y), x), "masked_lm gradient");
        var patches = torch.tensor(new float[] { 1e4f, -1e4f, 1e4f, 1e4f, 1e4f, 1e4f }).reshape(1, 2, 3);   // second patch constant: var 0
        T.Finite(F.masked_reconstruction_loss(patches, patches, torch.ones(1, 2), true), "mae");
        T.Finite(T.Grad(v => F.masked_reconstruction_loss(v, patches, torch.ones(1, 2), true), patches), "mae gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.randn(2, 3, 4, dtype: ScalarType.Float64, generator: new Generator(138));
        var e1 = Assert.Throws<ArgumentException>(() => F.next_token_loss(x, T.I64(0, 1, 4, 0, 1, 2).reshape(2, 3)));
        Assert.Contains("target", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.next_token_loss(x, T.I64(0, 1, 2)));
        Assert.Contains("target", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.masked_lm_loss(x, T.I64(0, 1, 7, 0, 1, 2).reshape(2, 3), torch.ones(2, 3, dtype: ScalarType.Bool)));
        Assert.Contains("target", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => F.masked_lm_loss(x, T.I64(0, 1, 2, 0, 1, 2).reshape(2, 3), torch.ones(3, 2, dtype: ScalarType.Bool)));
        Assert.Contains("mask", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => F.masked_reconstruction_loss(x, x, torch.ones(2, 4)));
        Assert.Contains("mask", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => F.masked_reconstruction_loss(x, x, torch.full(new long[] { 2, 3 }, 2.0)));
        Assert.Contains("mask", e6.Message);
        var e7 = Assert.Throws<ArgumentException>(() => F.masked_reconstruction_loss(x.narrow(2, 0, 1), x.narrow(2, 0, 1), torch.ones(2, 3), true));
        Assert.Contains("norm_pix_loss", e7.Message);
        var e8 = Assert.Throws<ArgumentOutOfRangeException>(() => F.next_token_loss(x, T.I64(0, 1, 2, 0, 1, 2).reshape(2, 3), label_smoothing: 1.5));
        Assert.Contains("label_smoothing", e8.Message);
    }
}
