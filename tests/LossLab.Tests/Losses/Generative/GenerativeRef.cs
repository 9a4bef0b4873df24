using TorchSharp;
using static TorchSharp.torch;

namespace LossLab.Tests.Losses.Generative;

/// <summary>Plain-double reference formulas for the generative and RL-auxiliary loss tests (written from the papers, not the library).</summary>
internal static class GenerativeRef
{
    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>log(1 + e^x), exact in every range.</summary>
    public static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));

    /// <summary>log D for a logit x, D = sigmoid(x).</summary>
    public static double LogD(double x) => -Softplus(-x);

    /// <summary>log(1 - D) for a logit x.</summary>
    public static double Log1mD(double x) => -Softplus(x);

    public static double Mean(IEnumerable<double> v) => v.Average();

    /// <summary>KL(N(mq, sq^2) || N(mp, sp^2)) in one dimension.</summary>
    public static double GaussianKl(double mq, double sq, double mp, double sp) =>
        Math.Log(sp / sq) + (sq * sq + (mq - mp) * (mq - mp)) / (2 * sp * sp) - 0.5;

    /// <summary>Rows of a flat row-major array.</summary>
    public static double[][] Rows(double[] flat, int width) =>
        Enumerable.Range(0, flat.Length / width).Select(i => flat.Skip(i * width).Take(width).ToArray()).ToArray();

    /// <summary>Jensen-Shannon divergence of two discrete distributions (natural log).</summary>
    public static double Jsd(double[] p, double[] q)
    {
        double s = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double m = (p[i] + q[i]) / 2;
            if (p[i] > 0) s += 0.5 * p[i] * Math.Log(p[i] / m);
            if (q[i] > 0) s += 0.5 * q[i] * Math.Log(q[i] / m);
        }
        return s;
    }

    /// <summary>The gradient of <c>sum(f(x))</c> with respect to x, zeros where f does not depend on x (a held input).</summary>
    public static Tensor GradOrZero(Func<Tensor, Tensor> f, Tensor x)
    {
        var leaf = x.detach().clone().requires_grad_(true);
        var y = f(leaf).sum();
        if (!y.requires_grad) return torch.zeros_like(x);
        var g = torch.autograd.grad(new List<Tensor> { y }, new List<Tensor> { leaf }, allow_unused: true)[0];
        return g is null || g.IsInvalid ? torch.zeros_like(x) : g;
    }
}
