using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class PolicyTests
{
    private static double[] LogSoftmax(double[] x)
    {
        double m = x.Max();
        double lse = m + Math.Log(x.Sum(v => Math.Exp(v - m)));
        return x.Select(v => v - lse).ToArray();
    }

    [Fact]
    public void LogProbsAndEntropyOfACategoricalPolicy()
    {
        var rows = new[] { new[] { 1.0, 2.0, 0.5 }, new[] { -1.0, 0.0, 3.0 } };
        var logits = T.F64(rows.SelectMany(r => r).ToArray(), 2, 3);
        var lp = rows.Select(LogSoftmax).ToArray();
        T.Close(new[] { lp[0][1], lp[1][0] }, F.policy_log_probs(logits, T.I64(1, 0)));
        T.Close(lp.Select(l => -l.Sum(v => Math.Exp(v) * v)).ToArray(), F.policy_entropy(logits));
        // uniform logits: entropy log A
        T.Close(Math.Log(4), F.policy_entropy(torch.zeros(4, dtype: ScalarType.Float64)));
    }

    [Fact]
    public void BatchTimeShapesAreKept()
    {
        var logits = torch.randn(2, 5, 3, dtype: ScalarType.Float64, generator: new Generator(3));
        var actions = torch.randint(0, 3, new long[] { 2, 5 }, generator: new Generator(4));
        Assert.Equal(new long[] { 2, 5 }, F.policy_log_probs(logits, actions).shape);
        Assert.Equal(new long[] { 2, 5 }, F.policy_entropy(logits).shape);
    }

    [Fact]
    public void LogitsOfMagnitude1e4InFloat32AreFinite()
    {
        var logits = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 1e4f }, 2, 3);
        var actions = T.I64(1, 0);
        T.Close(new[] { -2e4, -2e4 - Math.Log(2) }, F.policy_log_probs(logits, actions), rtol: 1e-6);
        T.Finite(F.policy_entropy(logits), "entropy");
        T.Finite(T.Grad(x => F.policy_log_probs(x, actions), logits), "log-prob gradient");
        T.Finite(T.Grad(F.policy_entropy, logits), "entropy gradient");
        T.Close(new[] { 0.0, Math.Log(2) }, F.policy_entropy(logits), atol: 1e-6);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var logits = torch.zeros(4, 3);
        var e1 = Assert.Throws<ArgumentException>(() => F.policy_log_probs(logits, T.I64(0, 1, 3, 0)));
        Assert.Contains("actions", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.policy_log_probs(logits, T.I64(0, 1)));
        Assert.Contains("actions", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.policy_log_probs(logits, torch.zeros(4)));
        Assert.Contains("actions", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => F.policy_entropy(T.I64(1, 2)));
        Assert.Contains("logits", e4.Message);
    }
}
