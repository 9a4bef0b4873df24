using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class TeacherStudentTests
{
    private static readonly double[] S = { 1.0, -0.5, 2.0, /**/ 0.3, 0.1, -1.2, /**/ -2.0, 3.0, 0.5 };
    private static readonly double[] Teach = { 2.5, 0.0, 1.0, /**/ -1.0, 2.0, 0.5, /**/ 0.0, 4.0, -3.0 };
    private static readonly long[] Y = { 2, 1, 1 };

    // -sum_c ((1 - alpha) onehot + alpha softmax(teacher / T))_c log softmax(student)_c, per sample.
    private static double[] Reference(double alpha, double temperature)
    {
        var s = ClassificationRef.Rows(S, 3);
        var t = ClassificationRef.Rows(Teach, 3);
        return s.Select((row, i) =>
        {
            var lp = ClassificationRef.LogSoftmax(row);
            var pi = ClassificationRef.LogSoftmax(t[i].Select(v => v / temperature).ToArray()).Select(Math.Exp).ToArray();
            double l = 0;
            for (int c = 0; c < 3; c++) l -= ((1 - alpha) * (c == Y[i] ? 1 : 0) + alpha * pi[c]) * lp[c];
            return l;
        }).ToArray();
    }

    [Theory]
    [InlineData(0.5, 1.0)]
    [InlineData(0.8, 3.0)]
    [InlineData(1.0, 0.5)]
    public void MatchesTheMixedTargetCrossEntropyForEachReduction(double alpha, double temperature)
    {
        var want = Reference(alpha, temperature);
        var (x, y, t) = (T.F64(S, 3, 3), T.I64(Y), T.F64(Teach, 3, 3));
        T.Close(want, F.teacher_student_loss(x, y, t, alpha, temperature, reduction: Reduction.None));
        T.Close(want.Average(), F.teacher_student_loss(x, y, t, alpha, temperature));
        T.Close(want.Sum(), F.teacher_student_loss(x, y, t, alpha, temperature, reduction: Reduction.Sum));
        // the teacher given as probabilities softmax(teacher / T) is the same loss
        var probs = torch.softmax(t / temperature, 1);
        T.Close(want, F.teacher_student_loss(x, y, probs, alpha, teacher_probabilities: true, reduction: Reduction.None));
        var spec = LossCatalog.Create($"teacher_student:alpha={alpha},temperature={temperature}");
        T.Close(want.Average(), spec.Forward(new Dictionary<string, Tensor> { ["input"] = x, ["target"] = y, ["teacher"] = t }));
    }

    [Fact]
    public void AlphaZeroIsCrossEntropyAndAUniformTeacherIsLabelSmoothing()
    {
        var x = torch.randn(6, 4, dtype: ScalarType.Float64, generator: new Generator(41)) * 2;
        var y = torch.randint(0, 4, new long[] { 6 }, generator: new Generator(42));
        var t = torch.randn(6, 4, dtype: ScalarType.Float64, generator: new Generator(43));
        T.Close(T.Scalar(torch.nn.functional.cross_entropy(x, y)), F.teacher_student_loss(x, y, t, alpha: 0));
        var uniform = torch.full(new long[] { 6, 4 }, 0.25, dtype: ScalarType.Float64);
        T.Close(T.Scalar(F.cross_entropy(x, y, label_smoothing: 0.3)), F.teacher_student_loss(x, y, uniform, 0.3, teacher_probabilities: true));
    }

    [Fact]
    public void GradientIsSoftmaxMinusTheMixedTargetAndTheTeacherGetsNone()
    {
        const double alpha = 0.4, temperature = 2.0;
        var g = T.Values(T.Grad(v => F.teacher_student_loss(v, T.I64(Y), T.F64(Teach, 3, 3), alpha, temperature, reduction: Reduction.Sum), T.F64(S, 3, 3)));
        var s = ClassificationRef.Rows(S, 3);
        var t = ClassificationRef.Rows(Teach, 3);
        for (int i = 0; i < 3; i++)
        {
            var p = ClassificationRef.LogSoftmax(s[i]).Select(Math.Exp).ToArray();
            var pi = ClassificationRef.LogSoftmax(t[i].Select(v => v / temperature).ToArray()).Select(Math.Exp).ToArray();
            for (int c = 0; c < 3; c++) Assert.Equal(p[c] - ((1 - alpha) * (c == Y[i] ? 1 : 0) + alpha * pi[c]), g[i * 3 + c], 12);
        }
        var teacher = T.F64(Teach, 3, 3).requires_grad_(true);
        Assert.False(F.teacher_student_loss(T.F64(S, 3, 3), T.I64(Y), teacher).requires_grad);
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 3f }, 2, 3);
        var t = T.F32(new[] { -1e4f, 1e4f, 0f, 1e4f, 0f, -1e4f }, 2, 3);
        var y = T.I64(1, 0);
        T.Finite(F.teacher_student_loss(x, y, t, 0.5), "loss");
        T.Finite(T.Grad(v => F.teacher_student_loss(v, y, t, 0.5), x), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(3, 3, dtype: ScalarType.Float64);
        Assert.Contains("teacher", Assert.Throws<ArgumentException>(() => F.teacher_student_loss(x, T.I64(Y), torch.zeros(2, 3, dtype: ScalarType.Float64))).Message);
        Assert.Contains("teacher", Assert.Throws<ArgumentException>(() => F.teacher_student_loss(x, T.I64(Y), x + 2, teacher_probabilities: true)).Message);
        Assert.Contains("alpha", Assert.Throws<ArgumentOutOfRangeException>(() => F.teacher_student_loss(x, T.I64(Y), x, alpha: -0.5)).Message);
        Assert.Contains("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => F.teacher_student_loss(x, T.I64(Y), x, temperature: -1)).Message);
    }
}
