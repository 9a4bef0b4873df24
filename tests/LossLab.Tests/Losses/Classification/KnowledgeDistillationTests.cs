using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class KnowledgeDistillationTests
{
    private static readonly double[] S = { 1.0, -0.5, 2.0, /**/ 0.3, 0.1, -1.2, /**/ -2.0, 3.0, 0.5 };
    private static readonly double[] Teach = { 2.5, 0.0, 1.0, /**/ -1.0, 2.0, 0.5, /**/ 0.0, 4.0, -3.0 };
    private static readonly long[] Y = { 2, 1, 1 };

    // (1 - alpha) CE + alpha T^2 KL(softmax(teacher/T) || softmax(student/T)), per sample, in plain doubles.
    private static double[] Reference(double temperature, double alpha)
    {
        var s = ClassificationRef.Rows(S, 3);
        var t = ClassificationRef.Rows(Teach, 3);
        return s.Select((row, i) =>
        {
            double ce = -ClassificationRef.LogSoftmax(row)[Y[i]];
            var lp = ClassificationRef.LogSoftmax(row.Select(v => v / temperature).ToArray());
            var lq = ClassificationRef.LogSoftmax(t[i].Select(v => v / temperature).ToArray());
            double kl = 0;
            for (int c = 0; c < 3; c++) kl += Math.Exp(lq[c]) * (lq[c] - lp[c]);
            return (1 - alpha) * ce + alpha * temperature * temperature * kl;
        }).ToArray();
    }

    [Theory]
    [InlineData(4.0, 0.5)]
    [InlineData(1.0, 1.0)]
    [InlineData(2.5, 0.9)]
    public void MatchesHintonsLossForEachReduction(double temperature, double alpha)
    {
        var want = Reference(temperature, alpha);
        var (x, y, t) = (T.F64(S, 3, 3), T.I64(Y), T.F64(Teach, 3, 3));
        T.Close(want, F.knowledge_distillation_loss(x, y, t, temperature, alpha, Reduction.None));
        T.Close(want.Average(), F.knowledge_distillation_loss(x, y, t, temperature, alpha));
        T.Close(want.Sum(), F.knowledge_distillation_loss(x, y, t, temperature, alpha, Reduction.Sum));
        var spec = LossCatalog.Create($"knowledge_distillation:temperature={temperature},alpha={alpha}");
        T.Close(want.Average(), spec.Forward(new Dictionary<string, Tensor> { ["input"] = x, ["target"] = y, ["teacher"] = t }));
    }

    [Fact]
    public void AlphaZeroIsCrossEntropy()
    {
        var x = torch.randn(6, 4, dtype: ScalarType.Float64, generator: new Generator(31)) * 2;
        var y = torch.randint(0, 4, new long[] { 6 }, generator: new Generator(32));
        var t = torch.randn(6, 4, dtype: ScalarType.Float64, generator: new Generator(33));
        T.Close(T.Scalar(torch.nn.functional.cross_entropy(x, y)), F.knowledge_distillation_loss(x, y, t, 3.0, 0.0));
        T.Close(T.Values(F.cross_entropy(x, y, reduction: Reduction.None)), F.knowledge_distillation_loss(x, y, t, 7.0, 0.0, Reduction.None));
    }

    [Fact]
    public void GradientIsTheClosedFormAndTheTeacherGetsNone()
    {
        // d/dx: (1 - alpha) (p - onehot) + alpha T (softmax(x/T) - softmax(teacher/T))
        const double temperature = 3.0, alpha = 0.7;
        var g = T.Values(T.Grad(v => F.knowledge_distillation_loss(v, T.I64(Y), T.F64(Teach, 3, 3), temperature, alpha, Reduction.Sum), T.F64(S, 3, 3)));
        var s = ClassificationRef.Rows(S, 3);
        var t = ClassificationRef.Rows(Teach, 3);
        for (int i = 0; i < 3; i++)
        {
            var p = ClassificationRef.LogSoftmax(s[i]).Select(Math.Exp).ToArray();
            var pt = ClassificationRef.LogSoftmax(s[i].Select(v => v / temperature).ToArray()).Select(Math.Exp).ToArray();
            var q = ClassificationRef.LogSoftmax(t[i].Select(v => v / temperature).ToArray()).Select(Math.Exp).ToArray();
            for (int c = 0; c < 3; c++)
                Assert.Equal((1 - alpha) * (p[c] - (c == Y[i] ? 1 : 0)) + alpha * temperature * (pt[c] - q[c]), g[i * 3 + c], 12);
        }
        var teacher = T.F64(Teach, 3, 3).requires_grad_(true);
        Assert.False(F.knowledge_distillation_loss(T.F64(S, 3, 3), T.I64(Y), teacher).requires_grad);
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 3f }, 2, 3);
        var t = T.F32(new[] { -1e4f, 1e4f, 0f, 1e4f, 0f, -1e4f }, 2, 3);
        var y = T.I64(1, 0);
        foreach (double temperature in new[] { 1.0, 4.0 })
        {
            T.Finite(F.knowledge_distillation_loss(x, y, t, temperature, 0.5), "loss");
            T.Finite(T.Grad(v => F.knowledge_distillation_loss(v, y, t, temperature, 0.5), x), "gradient");
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(3, 3, dtype: ScalarType.Float64);
        Assert.Contains("teacher", Assert.Throws<ArgumentException>(() => F.knowledge_distillation_loss(x, T.I64(Y), torch.zeros(3, 4, dtype: ScalarType.Float64))).Message);
        Assert.Contains("teacher", Assert.Throws<ArgumentException>(() => F.knowledge_distillation_loss(x, T.I64(Y), torch.zeros(3, 3, dtype: ScalarType.Int64))).Message);
        Assert.Contains("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => F.knowledge_distillation_loss(x, T.I64(Y), x, temperature: 0)).Message);
        Assert.Contains("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => F.knowledge_distillation_loss(x, T.I64(Y), x, alpha: 1.5)).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.knowledge_distillation_loss(x, T.I64(0, 1, 3), x)).Message);
    }
}
