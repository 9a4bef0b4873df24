using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Reinforcement;

/// <summary>
/// Independent references in plain doubles: returns and advantages summed forward term by term (not by the backward
/// recursion the library uses), and gradient helpers.
/// </summary>
internal static class RlRef
{
    /// <summary>G_t = sum_k gamma^k r_{t+k}, stopping after a step whose done is 1; V_T added (discounted) when no end was met.</summary>
    public static double[] Returns(double[] r, double[] d, double gamma, double bootstrap)
    {
        int n = r.Length;
        var g = new double[n];
        for (int t = 0; t < n; t++)
        {
            double sum = 0, disc = 1;
            bool ended = false;
            for (int k = t; k < n; k++)
            {
                sum += disc * r[k];
                if (d[k] == 1) { ended = true; break; }
                disc *= gamma;
            }
            if (!ended) sum += disc * bootstrap;
            g[t] = sum;
        }
        return g;
    }

    /// <summary>A_t = sum_k (gamma lambda)^k delta_{t+k}, delta_k = r_k + gamma (1 - d_k) V_{k+1} - V_k, stopping after an episode end.</summary>
    public static double[] Gae(double[] r, double[] v, double[] d, double gamma, double lambda)
    {
        int n = r.Length;
        var delta = new double[n];
        for (int k = 0; k < n; k++) delta[k] = r[k] + gamma * (1 - d[k]) * v[k + 1] - v[k];
        var a = new double[n];
        for (int t = 0; t < n; t++)
        {
            double sum = 0, w = 1;
            for (int k = t; k < n; k++)
            {
                sum += w * delta[k];
                if (d[k] == 1) break;
                w *= gamma * lambda;
            }
            a[t] = sum;
        }
        return a;
    }

    /// <summary>The n-step return of every step, values with T + 1 entries.</summary>
    public static double[] NStep(double[] r, double[] v, double[] d, int steps, double gamma)
    {
        int n = r.Length;
        var g = new double[n];
        for (int t = 0; t < n; t++)
        {
            double sum = 0, disc = 1;
            bool ended = false;
            int k = 0;
            for (; k < steps && t + k < n; k++)
            {
                sum += disc * r[t + k];
                if (d[t + k] == 1) { ended = true; break; }
                disc *= gamma;
            }
            if (!ended) sum += disc * v[Math.Min(t + steps, n)];
            g[t] = sum;
        }
        return g;
    }

    /// <summary>The truncated lambda-return as the mixture of n-step returns (Sutton and Barto eq. 12.9):
    /// (1 - lambda) sum_{n=1}^{m-1} lambda^{n-1} G^(n) + lambda^{m-1} G^(m), m = T - t.</summary>
    public static double[] Lambda(double[] r, double[] v, double[] d, double gamma, double lambda)
    {
        int n = r.Length;
        var g = new double[n];
        var byN = new double[n + 1][];
        for (int k = 1; k <= n; k++) byN[k] = NStep(r, v, d, k, gamma);
        for (int t = 0; t < n; t++)
        {
            int m = n - t;
            double sum = 0;
            for (int k = 1; k < m; k++) sum += (1 - lambda) * Math.Pow(lambda, k - 1) * byN[k][t];
            sum += Math.Pow(lambda, m - 1) * byN[m][t];
            g[t] = sum;
        }
        return g;
    }

    /// <summary>Random sequences of B rows: rewards (B, T), values (B, T + 1), dones (B, T), from seeds seed, seed + 1, seed + 2.</summary>
    public static (double[] R, double[] V, double[] D) Sequences(int b, int t, int seed) =>
        (Normal(b * t, seed), Normal(b * (t + 1), seed + 1), Flags(b * t, seed + 2));

    /// <summary>A per-sequence reference f(rewards, values, dones) applied to each row, concatenated (row-major (B, T)).</summary>
    public static double[] PerRow(int b, int t, (double[] R, double[] V, double[] D) s, Func<double[], double[], double[], double[]> f) =>
        Enumerable.Range(0, b).SelectMany(i => f(Row(s.R, i, t), Row(s.V, i, t + 1), Row(s.D, i, t))).ToArray();

    /// <summary>The sequences as tensors: rewards (B, T), values (B, T + 1), dones (B, T).</summary>
    public static (Tensor R, Tensor V, Tensor D) Tensors(int b, int t, (double[] R, double[] V, double[] D) s) =>
        (Support.T.F64(s.R, b, t), Support.T.F64(s.V, b, t + 1), Support.T.F64(s.D, b, t));

    /// <summary>Row b of a (B, T) array given row-major.</summary>
    public static double[] Row(double[] data, int b, int t) => data.Skip(b * t).Take(t).ToArray();

    /// <summary>Random doubles from a seeded generator (normal, times scale).</summary>
    public static double[] Normal(int n, int seed, double scale = 1) =>
        T64(torch.randn(new long[] { n }, dtype: ScalarType.Float64, generator: new Generator((ulong)seed)) * scale);

    /// <summary>Random 0/1 doubles from a seeded generator.</summary>
    public static double[] Flags(int n, int seed, double p = 0.3) =>
        T64(torch.rand(new long[] { n }, dtype: ScalarType.Float64, generator: new Generator((ulong)seed)).lt(p).to_type(ScalarType.Float64));

    private static double[] T64(Tensor t) => t.data<double>().ToArray();

    /// <summary>The gradients of <c>sum(f(xs))</c> with respect to each x; zeros for an x that does not reach the output.</summary>
    public static double[][] Grads(Func<Tensor[], Tensor> f, params Tensor[] xs)
    {
        var leaves = xs.Select(x => x.detach().clone().requires_grad_(true)).ToArray();
        var y = f(leaves).sum();
        if (!y.requires_grad) return leaves.Select(l => new double[l.numel()]).ToArray();
        var grads = torch.autograd.grad(new List<Tensor> { y }, leaves.ToList(), allow_unused: true);
        return grads.Select((g, i) => g is null || g.IsInvalid ? new double[leaves[i].numel()] : Support.T.Values(g)).ToArray();
    }
}
