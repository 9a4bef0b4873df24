using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Regularization;

public class SpectralNormPenaltyTests
{
    // (4, 3)
    private static readonly double[] W = { 1.0, -0.5, 2.0, 0.3, 1.5, -1.0, -2.0, 0.7, 0.4, 0.9, 0.0, -1.2 };

    /// <summary>Eigenvalues of a symmetric matrix by cyclic Jacobi rotations, in plain doubles.</summary>
    private static double[] JacobiEigenvalues(double[,] m)
    {
        int n = m.GetLength(0);
        var a = (double[,])m.Clone();
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n; p++) for (int q = p + 1; q < n; q++) off += a[p, q] * a[p, q];
            if (off < 1e-30) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++)
                {
                    if (Math.Abs(a[p, q]) < 1e-300) continue;
                    double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                }
        }
        return Enumerable.Range(0, n).Select(i => a[i, i]).ToArray();
    }

    /// <summary>The largest singular value of a row-major (rows, cols) matrix: sqrt of the largest eigenvalue of W^T W.</summary>
    private static double ExactSigma(double[] w, int rows, int cols)
    {
        var wtw = new double[cols, cols];
        for (int i = 0; i < cols; i++)
            for (int j = 0; j < cols; j++)
                for (int k = 0; k < rows; k++) wtw[i, j] += w[k * cols + i] * w[k * cols + j];
        return Math.Sqrt(JacobiEigenvalues(wtw).Max());
    }

    [Fact]
    public void TheJacobiReferenceIsRight()
    {
        // diag(3, 1) rotated by 30 degrees has singular values 3 and 1
        double c = Math.Cos(Math.PI / 6), s = Math.Sin(Math.PI / 6);
        var w = new[] { 3 * c, -3 * s, 1 * s, 1 * c };
        Assert.Equal(3.0, ExactSigma(w, 2, 2), 12);
    }

    [Fact]
    public void PowerIterationFindsTheLargestSingularValue()
    {
        T.Close(ExactSigma(W, 4, 3), F.spectral_norm_penalty(T.F64(W, 4, 3), n_power_iterations: 100), rtol: 1e-10);
        // the transpose has the same largest singular value; a (3, 2, 2) weight is reshaped to (3, 4)
        var wt = Enumerable.Range(0, 12).Select(k => W[(k % 4) * 3 + k / 4]).ToArray();
        T.Close(ExactSigma(wt, 3, 4), F.spectral_norm_penalty(T.F64(wt, 3, 2, 2), n_power_iterations: 100), rtol: 1e-10);
        T.Close(ExactSigma(W, 4, 3), F.spectral_norm_penalty(T.F64(wt, 3, 4), n_power_iterations: 100), rtol: 1e-10);
    }

    [Fact]
    public void FewIterationsUnderestimateAndTheSeedFixesTheResult()
    {
        double exact = ExactSigma(W, 4, 3);
        double one = T.Scalar(F.spectral_norm_penalty(T.F64(W, 4, 3), n_power_iterations: 1, seed: 3));
        Assert.True(one <= exact + 1e-12);
        Assert.Equal(one, T.Scalar(F.spectral_norm_penalty(T.F64(W, 4, 3), n_power_iterations: 1, seed: 3)));
        T.Close(exact, F.spectral_norm_penalty(T.F64(W, 4, 3), n_power_iterations: 100, seed: 42), rtol: 1e-10);
    }

    [Fact]
    public void SquaredAndCoefficient()
    {
        double sigma = ExactSigma(W, 4, 3);
        T.Close(0.25 * sigma * sigma, F.spectral_norm_penalty(T.F64(W, 4, 3), 100, coefficient: 0.25, squared: true), rtol: 1e-10);
        T.Close(3 * sigma, F.spectral_norm_penalty(T.F64(W, 4, 3), 100, coefficient: 3), rtol: 1e-10);
    }

    [Fact]
    public void GradientWithHeldVectorsIsTheGradientOfTheExactSingularValue()
    {
        var g = T.Values(T.Grad(v => F.spectral_norm_penalty(v, n_power_iterations: 200), T.F64(W, 4, 3)));
        const double h = 1e-6;
        for (int i = 0; i < W.Length; i++)
        {
            var up = (double[])W.Clone(); up[i] += h;
            var down = (double[])W.Clone(); down[i] -= h;
            double numeric = (ExactSigma(up, 4, 3) - ExactSigma(down, 4, 3)) / (2 * h);
            Assert.True(Math.Abs(numeric - g[i]) < 1e-6, $"entry {i}: autograd {g[i]}, finite differences of the exact sigma {numeric}");
        }
    }

    [Fact]
    public void OverAModuleSumsTheWeightMatrices()
    {
        var model = RegularizationModels.Build();
        double want = 0;
        foreach (var (name, rows, cols) in new[] { ("fc1.weight", 4, 3), ("fc2.weight", 2, 4), ("block.lin.weight", 2, 2) })
            want += ExactSigma(RegularizationModels.Values(model, name), rows, cols);
        T.Close(want, F.spectral_norm_penalty(model, n_power_iterations: 200), rtol: 1e-5);
        T.Close(want, new SpectralNormPenalty(200).forward(model), rtol: 1e-5);
        // with no exclusion the 1-D biases and norm weights are still skipped (they have no matrix)
        T.Close(want, F.spectral_norm_penalty(model, n_power_iterations: 200, exclude: _ => false), rtol: 1e-5);
    }

    [Fact]
    public void Float32LargeWeightsStayFiniteAndModuleMatches()
    {
        var w = T.F32(new[] { 1e4f, -1e4f, 0f, 5f, 1e4f, 2f }, 2, 3);
        T.Finite(F.spectral_norm_penalty(w, squared: true), "value");
        T.Finite(T.Grad(v => F.spectral_norm_penalty(v, squared: true), w), "gradient");
        T.Finite(T.Grad(v => F.spectral_norm_penalty(v), torch.zeros(2, 3)), "gradient of a zero matrix");
        T.Close(T.Values(F.spectral_norm_penalty(w, 5, 2)), new SpectralNormPenalty(5, 2).forward(w));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        Assert.Contains("weight", Assert.Throws<ArgumentException>(() => F.spectral_norm_penalty(torch.ones(3, dtype: ScalarType.Float64))).Message);
        Assert.Contains("n_power_iterations", Assert.Throws<ArgumentOutOfRangeException>(() => F.spectral_norm_penalty(torch.ones(2, 2), 0)).Message);
        Assert.Contains("coefficient", Assert.Throws<ArgumentOutOfRangeException>(() => new SpectralNormPenalty(coefficient: -1)).Message);
        Assert.Contains("weight", Assert.Throws<ArgumentException>(() => F.spectral_norm_penalty(torch.ones(2, 2, dtype: ScalarType.Int64))).Message);
    }
}
