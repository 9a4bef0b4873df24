using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Classification;

public class PolicyGradientTests
{
    // Near-deterministic policies (one logit 40 above the rest): the sampled action is the argmax with probability 1 - 1e-17.
    private static readonly double[] X = { 40, 0, 0.5, /**/ 0.3, 40, -1, /**/ 1, 0, 40, /**/ 40.0, 2, 1 };
    private static readonly long[] Y = { 0, 2, 2, 1 };
    private static readonly int[] A = { 0, 1, 2, 0 };

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.01, true)]
    [InlineData(0.5, true)]
    public void MatchesTheSurrogateOnKnownActions(double beta, bool baseline)
    {
        var rows = ClassificationRef.Rows(X, 3);
        var r = A.Select((a, i) => a == Y[i] ? 1.0 : 0.0).ToArray();   // 1, 0, 1, 0
        double b = baseline ? r.Average() : 0;
        var want = rows.Select((row, i) =>
        {
            var lp = ClassificationRef.LogSoftmax(row);
            double h = -lp.Sum(v => Math.Exp(v) * v);
            return -(r[i] - b) * lp[A[i]] - beta * h;
        }).ToArray();
        var x = T.F64(X, 4, 3);
        T.Close(want, F.policy_gradient_loss(x, T.I64(Y), beta, baseline, new Generator(1), Reduction.None), rtol: 1e-9, atol: 1e-12);
        T.Close(want.Average(), F.policy_gradient_loss(x, T.I64(Y), beta, baseline, new Generator(1)), rtol: 1e-9, atol: 1e-12);
        T.Close(want.Sum(), F.policy_gradient_loss(x, T.I64(Y), beta, baseline, new Generator(1), Reduction.Sum), rtol: 1e-9, atol: 1e-12);

        // gradient: -(r - b) (onehot(a) - pi) + beta pi (log pi + H), the advantage and baseline held
        var g = T.Values(T.Grad(v => F.policy_gradient_loss(v, T.I64(Y), beta, baseline, new Generator(1), Reduction.Sum), x));
        for (int i = 0; i < 4; i++)
        {
            var lp = ClassificationRef.LogSoftmax(rows[i]);
            var pi = lp.Select(Math.Exp).ToArray();
            double h = -pi.Zip(lp, (p, l) => p * l).Sum();
            for (int c = 0; c < 3; c++)
                Assert.Equal(-(r[i] - b) * ((c == A[i] ? 1 : 0) - pi[c]) + beta * pi[c] * (lp[c] + h), g[i * 3 + c], 12);
        }
    }

    [Fact]
    public void ActionsAreDrawnFromThePolicy()
    {
        // Without baseline or entropy the loss is -log pi(y) when the action is y and 0 otherwise.
        const int n = 6000;
        var row = T.F64(new[] { 0.5, -0.2, 1.0, 0.0 }, 1, 4);
        double piY = Math.Exp(ClassificationRef.LogSoftmax(new[] { 0.5, -0.2, 1.0, 0.0 })[2]);
        var x = row.expand(n, 4).contiguous();
        var y = torch.full(new long[] { n }, 2L);
        var loss = T.Values(F.policy_gradient_loss(x, y, 0, false, new Generator(2), Reduction.None));
        Assert.All(loss, v => Assert.True(v == 0 || Math.Abs(v + Math.Log(piY)) < 1e-12));
        Assert.InRange(loss.Count(v => v > 0) / (double)n, piY - 0.03, piY + 0.03);
    }

    [Fact]
    public void TheMeanGradientEstimatesTheGradientOfTheExpectedReward()
    {
        // E_a[-r(a) grad log pi(a)] = -grad pi_y = -pi_y (onehot(y) - pi)
        const int n = 8000;
        var logits = new[] { 0.5, -0.2, 1.0, 0.0 };
        var pi = ClassificationRef.LogSoftmax(logits).Select(Math.Exp).ToArray();
        var x = T.F64(logits, 1, 4).expand(n, 4).contiguous();
        var y = torch.full(new long[] { n }, 1L);
        var g = T.Values(T.Grad(v => F.policy_gradient_loss(v, y, 0, false, new Generator(3)), x).sum(new long[] { 0 }));
        for (int c = 0; c < 4; c++) Assert.Equal(-pi[1] * ((c == 1 ? 1 : 0) - pi[c]), g[c], 1);
        Assert.True(Math.Abs(g[1] + pi[1] * (1 - pi[1])) < 0.02, $"d/dx_y: {g[1]} vs {-pi[1] * (1 - pi[1])}");
    }

    [Fact]
    public void TheSameSeedGivesTheSameActions()
    {
        var x = torch.randn(30, 5, dtype: ScalarType.Float64, generator: new Generator(7));
        var y = torch.randint(0, 5, new long[] { 30 }, generator: new Generator(8));
        var spec = LossCatalog.Create("policy_gradient:seed=3,reduction=none");
        var a = T.Values(spec.forward(x, y));
        Assert.Equal(a, T.Values(spec.forward(x, y)));
        Assert.NotEqual(a, T.Values(LossCatalog.Create("policy_gradient:seed=4,reduction=none").forward(x, y)));
        Assert.Equal(a, T.Values(new PolicyGradientLoss(seed: 3, reduction: Reduction.None).forward(x, y)));
    }

    [Fact]
    public void ExtremeLogitsStayFiniteInFloat32()
    {
        var x = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 3f, 0f, 0f, 0f }, 3, 3);
        var y = T.I64(1, 1, 2);
        foreach (double beta in new[] { 0.0, 0.1 })
        {
            T.Finite(F.policy_gradient_loss(x, y, beta, true, new Generator(1)), "loss");
            T.Finite(T.Grad(v => F.policy_gradient_loss(v, y, beta, true, new Generator(1)), x), "gradient");
        }
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(2, 3, dtype: ScalarType.Float64);
        Assert.Contains("entropy_weight", Assert.Throws<ArgumentOutOfRangeException>(() => F.policy_gradient_loss(x, T.I64(0, 1), -0.1)).Message);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.policy_gradient_loss(x, T.I64(0, -1))).Message);
        Assert.Contains("batch size", Assert.Throws<ArgumentException>(() => F.policy_gradient_loss(x, T.I64(0))).Message);
    }
}
