using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;
using R = LossLab.Tests.Losses.Metric.MetricRef;

namespace LossLab.Tests.Losses.Contrastive;

public class ClipTests
{
    // Symmetric cross entropy of scale * cos, per pair.
    private static double[] Reference(double[][] img, double[][] txt, double scale)
    {
        int n = img.Length;
        return Enumerable.Range(0, n).Select(i =>
        {
            double row = R.LogSumExp(Enumerable.Range(0, n).Select(j => scale * R.Cos(img[i], txt[j]))) - scale * R.Cos(img[i], txt[i]);
            double col = R.LogSumExp(Enumerable.Range(0, n).Select(j => scale * R.Cos(img[j], txt[i]))) - scale * R.Cos(img[i], txt[i]);
            return (row + col) / 2;
        }).ToArray();
    }

    [Theory]
    [InlineData(0.07)]
    [InlineData(1.0)]
    public void FixedTemperatureMatchesTheDefinition(double t)
    {
        var img = R.Rows(101, 6, 4);
        var txt = R.Rows(102, 6, 4);
        var each = Reference(img, txt, 1 / t);
        T.Close(each, F.clip_loss(R.M(img), R.M(txt), temperature: t, reduction: Reduction.None), 1e-10, 1e-12);
        T.Close(each.Average(), F.clip_loss(R.M(img), R.M(txt), temperature: t), 1e-10);
        T.Close(each.Sum(), F.clip_loss(R.M(img), R.M(txt), temperature: t, reduction: Reduction.Sum), 1e-10);
    }

    [Fact]
    public void LearnableScaleIsExpOfLogitScaleClippedAt100()
    {
        var img = R.Rows(103, 5, 3);
        var txt = R.Rows(104, 5, 3);
        var ls = torch.tensor(Math.Log(1 / 0.07), dtype: ScalarType.Float64);
        T.Close(Reference(img, txt, 1 / 0.07).Average(), F.clip_loss(R.M(img), R.M(txt), ls), 1e-10);
        var big = torch.tensor(7.0, dtype: ScalarType.Float64);   // exp(7) > 100: clipped
        T.Close(Reference(img, txt, 100).Average(), F.clip_loss(R.M(img), R.M(txt), big), 1e-10);
        T.Close(0.0, T.Grad(v => F.clip_loss(R.M(img), R.M(txt), v), big), 1e-12, 1e-15);
        // below the clip: d/d logit_scale = scale * d/dscale, checked by central differences on the reference
        double s = 3, h = 1e-6;
        double numeric = (Reference(img, txt, s * Math.Exp(h)).Average() - Reference(img, txt, s * Math.Exp(-h)).Average()) / (2 * h);
        T.Close(numeric, T.Grad(v => F.clip_loss(R.M(img), R.M(txt), v), torch.tensor(Math.Log(s), dtype: ScalarType.Float64)), 1e-6);
    }

    [Fact]
    public void FixedScaleIsSymmetricMultipleNegativesRanking()
    {
        var img = torch.randn(6, 4, dtype: ScalarType.Float64, generator: new Generator(105));
        var txt = torch.randn(6, 4, dtype: ScalarType.Float64, generator: new Generator(106));
        T.Close(T.Values(F.multiple_negatives_ranking_loss(img, txt, scale: 1 / 0.1, symmetric: true, reduction: Reduction.None)),
            F.clip_loss(img, txt, temperature: 0.1, reduction: Reduction.None), 1e-12);
    }

    [Fact]
    public void ChunkedAndUnchunkedAgreeInValueAndGradient()
    {
        var img = torch.randn(9, 3, dtype: ScalarType.Float64, generator: new Generator(107));
        var txt = torch.randn(9, 3, dtype: ScalarType.Float64, generator: new Generator(108));
        var ls = torch.tensor(1.3, dtype: ScalarType.Float64);
        var whole = T.Values(F.clip_loss(img, txt, ls, reduction: Reduction.None));
        var gi = T.Values(T.Grad(v => F.clip_loss(v, txt, ls), img));
        var gs = T.Values(T.Grad(v => F.clip_loss(img, txt, v), ls));
        foreach (long chunk in new long[] { 1, 4, 9 })
        {
            T.Close(whole, F.clip_loss(img, txt, ls, chunk_size: chunk, reduction: Reduction.None), 1e-12, 1e-14);
            T.Close(gi, T.Grad(v => F.clip_loss(v, txt, ls, chunk_size: chunk), img), 1e-11, 1e-14);
            T.Close(gs, T.Grad(v => F.clip_loss(img, txt, v, chunk_size: chunk), ls), 1e-11, 1e-14);
        }
    }

    [Fact]
    public void ExtremeInputsStayFiniteInFloat32()
    {
        var img = T.F32(new float[] { 1e4f, -1e4f, 0f, 1e4f, 0f, 0f }, 3, 2);
        var txt = T.F32(new float[] { 1e4f, 1e4f, -1e4f, 3f, 1e4f, -1e4f }, 3, 2);
        var ls = torch.tensor(1e4f);
        T.Finite(F.clip_loss(img, txt, ls), "loss");
        T.Finite(T.Grad(v => F.clip_loss(v, txt, ls), img), "gradient");
        T.Finite(T.Grad(v => F.clip_loss(img, txt, v), ls), "scale gradient");
    }

    [Fact]
    public void ModuleHoldsTheLearnableLogScale()
    {
        var img = torch.randn(4, 3, dtype: ScalarType.Float64, generator: new Generator(109));
        var txt = torch.randn(4, 3, dtype: ScalarType.Float64, generator: new Generator(110));
        var m = new ClipLoss(dtype: ScalarType.Float64);
        Assert.Single(m.parameters());
        T.Close(Math.Log(1 / 0.07), m.LogitScale!, 1e-12);
        T.Close(T.Scalar(F.clip_loss(img, txt, temperature: 0.07)), m.forward(img, txt), 1e-12);
        var fixedT = new ClipLoss(0.5, learnable: false);
        Assert.Empty(fixedT.parameters());
        T.Close(T.Scalar(F.clip_loss(img, txt, temperature: 0.5)), fixedT.forward(img, txt), 1e-12);
        T.Close(T.Scalar(F.clip_loss(img, txt, temperature: 0.5)), LossCatalog.Create("clip:temperature=0.5").forward(img, txt), 1e-14);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.randn(4, 3, dtype: ScalarType.Float64, generator: new Generator(111));
        var e1 = Assert.Throws<ArgumentException>(() => F.clip_loss(x, x.narrow(1, 0, 2)));
        Assert.Contains("text_embeds", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.clip_loss(x, x, torch.ones(2, dtype: ScalarType.Float64)));
        Assert.Contains("logit_scale", e2.Message);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() => F.clip_loss(x, x, max_scale: 0));
        Assert.Contains("max_scale", e3.Message);
    }
}
