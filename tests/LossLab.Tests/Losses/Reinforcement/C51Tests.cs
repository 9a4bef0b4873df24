using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class C51Tests
{
    /// <summary>Algorithm 1 of Bellemare et al. 2017, one atom at a time.</summary>
    private static double[] Project(double[] p, double r, double d, double gamma, double vMin, double vMax)
    {
        int k = p.Length;
        double dz = (vMax - vMin) / (k - 1);
        var m = new double[k];
        for (int j = 0; j < k; j++)
        {
            double z = vMin + j * dz;
            double tz = Math.Min(vMax, Math.Max(vMin, r + gamma * (1 - d) * z));
            double b = (tz - vMin) / dz;
            int l = (int)Math.Floor(b), u = (int)Math.Ceiling(b);
            if (l == u) m[l] += p[j];
            else
            {
                m[l] += p[j] * (u - b);
                m[u] += p[j] * (b - l);
            }
        }
        return m;
    }

    private static double[] Softmax(double[] x)
    {
        double mx = x.Max();
        var e = x.Select(v => Math.Exp(v - mx)).ToArray();
        return e.Select(v => v / e.Sum()).ToArray();
    }

    [Fact]
    public void ProjectionMatchesTheBruteForceLoop()
    {
        const int n = 6, k = 11;
        var probs = T.Values(torch.softmax(torch.randn(n, k, dtype: ScalarType.Float64, generator: new Generator(121)), 1));
        var r = new[] { 0.3, -1.7, 20.0, -20.0, 0.0, 2.5 };
        var d = new[] { 0.0, 0, 0, 0, 1, 1 };
        var got = F.categorical_projection(T.F64(probs, n, k), T.F64(r), T.F64(d), 0.9, -5, 5);
        var want = Enumerable.Range(0, n).SelectMany(i => Project(RlRef.Row(probs, i, k), r[i], d[i], 0.9, -5, 5)).ToArray();
        T.Close(want, got, rtol: 1e-12, atol: 1e-14);
        T.Close(Enumerable.Repeat(1.0, n).ToArray(), got.sum(1), rtol: 1e-12);
        // r = 20 is beyond v_max: all the mass on the last atom; a terminal transition with r on an atom puts it all there
        Assert.Equal(1.0, got[2, k - 1].item<double>(), 12);
        Assert.Equal(1.0, got[4, 5].item<double>(), 12);
    }

    [Fact]
    public void LossIsTheCrossEntropyToTheGreedyActionsProjectedDistribution()
    {
        const int n = 4, a = 3, k = 7;
        var g = new Generator(122);
        var logits = torch.randn(n, a, k, dtype: ScalarType.Float64, generator: g);
        var next = torch.randn(n, a, k, dtype: ScalarType.Float64, generator: g);
        var actions = T.I64(2, 0, 1, 1);
        var r = new[] { 0.5, -1.0, 1.5, 0.0 };
        var d = new[] { 0.0, 1, 0, 0 };
        var atoms = Enumerable.Range(0, k).Select(j => -3.0 + j).ToArray();
        var want = new double[n];
        var chosen = new double[n * k];
        for (int i = 0; i < n; i++)
        {
            var rows = Enumerable.Range(0, a).Select(b => Softmax(T.Values(next[i, b]))).ToArray();
            int best = Enumerable.Range(0, a).OrderByDescending(b => rows[b].Zip(atoms, (p, z) => p * z).Sum()).First();
            var m = Project(rows[best], r[i], d[i], 0.9, -3, 3);
            T.Values(next[i, best]).CopyTo(chosen, i * k);
            var logp = Softmax(T.Values(logits[i, actions[i].item<long>()])).Select(v => Math.Log(v)).ToArray();
            want[i] = -m.Zip(logp, (x, y) => x * y).Sum();
        }
        var got = F.c51_loss(logits, actions, T.F64(r), next, T.F64(d), 0.9, -3, 3, k, Reduction.None);
        T.Close(want, got, rtol: 1e-10);
        T.Close(want.Average(), F.c51_loss(logits, actions, T.F64(r), next, T.F64(d), 0.9, -3, 3, k), rtol: 1e-10);
        // the chosen next action's logits (N, K) give the same
        T.Close(want.Sum(), F.c51_loss(logits, actions, T.F64(r), T.F64(chosen, n, k), T.F64(d), 0.9, -3, 3, k, Reduction.Sum), rtol: 1e-10);
    }

    [Fact]
    public void GradientIsSoftmaxMinusTargetAtTheTakenActionAndTheTargetIsHeld()
    {
        var logits = T.F64(new[] { 0.1, 0.2, 0.3, 1.0, -1.0, 0.5 }, 1, 2, 3);
        var next = T.F64(new[] { 0.0, 0.0, 0.0 }, 1, 3);
        // atoms [-1, 0, 1], r = 0, terminal: all the target mass on atom 0
        var g = RlRef.Grads(x => F.c51_loss(x[0], T.I64(1), T.F64(new[] { 0.0 }), x[1], T.F64(new[] { 1.0 }), v_min: -1, v_max: 1, n_atoms: 3), logits, next);
        var p = Softmax(new[] { 1.0, -1.0, 0.5 });
        T.Close(new[] { 0, 0, 0, p[0], p[1] - 1, p[2] }, T.F64(g[0]), rtol: 1e-12, atol: 1e-15);
        Assert.All(g[1], v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void ModuleMatchesFunctionAndLogitsOf1e4InFloat32AreFinite()
    {
        var logits = torch.randn(3, 2, 51, generator: new Generator(123)) * 1e4f;
        var next = torch.randn(3, 2, 51, generator: new Generator(124)) * 1e4f;
        var actions = T.I64(0, 1, 1);
        var r = T.F32(new[] { 1f, -2f, 0.5f }, 3);
        T.Finite(F.c51_loss(logits, actions, r, next), "loss");
        T.Finite(T.Grad(x => F.c51_loss(x, actions, r, next), logits), "gradient");
        T.Close(T.Scalar(F.c51_loss(logits, actions, r, next, null, 0.9)), new C51Loss(0.9).forward(logits, actions, r, next, null), rtol: 1e-6);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var logits = torch.zeros(2, 3, 11, dtype: ScalarType.Float64);
        var r = torch.zeros(2, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => F.c51_loss(logits, T.I64(0, 1), r, logits));
        Assert.Contains("n_atoms", e1.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => F.c51_loss(logits, T.I64(0, 1), r, logits, v_min: 1, v_max: 1, n_atoms: 11));
        Assert.Contains("v_max", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.c51_loss(logits, T.I64(0, 3), r, logits, n_atoms: 11));
        Assert.Contains("actions", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => F.c51_loss(logits, T.I64(0, 1), r, torch.zeros(2, 3, 9, dtype: ScalarType.Float64), n_atoms: 11));
        Assert.Contains("next_logits", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => F.categorical_projection(torch.zeros(2, 5, dtype: ScalarType.Float64), r, torch.tensor(new[] { 0.0, 7.0 })));
        Assert.Contains("dones", e5.Message);
    }
}
