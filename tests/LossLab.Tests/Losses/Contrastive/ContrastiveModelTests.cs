using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Contrastive;

public class ContrastiveModelTests
{
    private static readonly double[] Q = { 0.5, -1.0, 1.5, 0.2, -0.3, 0.8 };
    private static readonly double[] K = { 0.1, 0.9, -0.6, 0.3, 1.2, -0.2 };
    private static readonly double[] W = { 0.9, -0.3, 0.4, 1.2 };

    private static double Bilinear(int i, int j, double[]? w) =>
        Enumerable.Range(0, 2).Sum(a => Enumerable.Range(0, 2).Sum(b => Q[2 * i + a] * (w is null ? (a == b ? 1 : 0) : w[2 * a + b]) * K[2 * j + b]));

    private static double[][] Softmax(double[]? w, double temp) => Enumerable.Range(0, 3).Select(i =>
    {
        var row = Enumerable.Range(0, 3).Select(j => Bilinear(i, j, w) / temp).ToArray();
        double m = row.Max(), z = row.Sum(v => Math.Exp(v - m));
        return row.Select(v => Math.Exp(v - m) / z).ToArray();
    }).ToArray();

    private static double[] Curl(double[]? w, double temp) => Softmax(w, temp).Select((p, i) => -Math.Log(p[i])).ToArray();

    [Theory]
    [InlineData(true, 1.0)]
    [InlineData(false, 1.0)]
    [InlineData(true, 0.25)]
    public void CurlIsTheCrossEntropyOfTheBilinearLogitsTowardTheDiagonal(bool bilinear, double temperature)
    {
        var w = bilinear ? W : null;
        var want = Curl(w, temperature);
        Tensor Loss(Reduction r) => F.contrastive_model_loss(T.F64(Q, 3, 2), T.F64(K, 3, 2), bilinear ? T.F64(W, 2, 2) : null, temperature: temperature, reduction: r);
        T.Close(want, Loss(Reduction.None), 1e-13);
        T.Close(want.Average(), Loss(Reduction.Mean), 1e-13);
        T.Close(want.Sum(), Loss(Reduction.Sum), 1e-13);
    }

    [Fact]
    public void CurlTrainsTheQueriesAndWButHoldsTheKeys()
    {
        // dL/dq_i = 1/N sum_j (p_ij - [i = j]) W k_j   (temperature 1, mean)
        var p = Softmax(W, 1);
        var want = new double[6];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int a = 0; a < 2; a++)
                    want[2 * i + a] += (p[i][j] - (i == j ? 1 : 0)) * (W[2 * a] * K[2 * j] + W[2 * a + 1] * K[2 * j + 1]) / 3;
        T.Close(want, T.Grad(x => F.contrastive_model_loss(x, T.F64(K, 3, 2), T.F64(W, 2, 2)), T.F64(Q, 3, 2)), 1e-13);
        var held = Tests.Losses.Generative.GenerativeRef.GradOrZero(x => F.contrastive_model_loss(T.F64(Q, 3, 2).requires_grad_(true), x, T.F64(W, 2, 2)), T.F64(K, 3, 2));
        Assert.All(T.Values(held), g => Assert.Equal(0.0, g));
        // dL/dW = 1/N sum_ij (p_ij - [i = j]) q_i k_j^T
        var wantW = new double[4];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++)
                        wantW[2 * a + b] += (p[i][j] - (i == j ? 1 : 0)) * Q[2 * i + a] * K[2 * j + b] / 3;
        T.Close(wantW, T.Grad(x => F.contrastive_model_loss(T.F64(Q, 3, 2), T.F64(K, 3, 2), x), T.F64(W, 2, 2)), 1e-13);
    }

    private static readonly double[] Pred = { 1.0, 2.0, 2.0, 0.0, 3.0, -4.0, -1.0, 0.5, 0.5, 0.0, 0.0, 0.0 };   // (2, 2, 3)
    private static readonly double[] Targ = { 2.0, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0, -0.5, 0.5, 0.0, 3.0, 4.0 };

    private static double Cos(double[] a, double[] b, int at)
    {
        double dot = 0, na = 0, nb = 0;
        for (int j = at; j < at + 3; j++) { dot += a[j] * b[j]; na += a[j] * a[j]; nb += b[j] * b[j]; }
        return dot / (Math.Max(Math.Sqrt(na), 1e-12) * Math.Max(Math.Sqrt(nb), 1e-12));
    }

    [Fact]
    public void SprIsTheNegativeCosineSummedOverTheFutureSteps()
    {
        // Sample 0, step 0: cos((1, 2, 2), (2, 1, 2)) = 8/9; sample 1, step 1 has a zero prediction: its cosine is 0.
        double[] cos = { Cos(Pred, Targ, 0), Cos(Pred, Targ, 3), Cos(Pred, Targ, 6), Cos(Pred, Targ, 9) };
        Assert.Equal(8.0 / 9, cos[0], 12);
        Assert.Equal(0.0, cos[3]);
        var want = new[] { -(cos[0] + cos[1]), -(cos[2] + cos[3]) };
        Tensor Loss(Reduction r, Tensor? mask = null) => F.contrastive_model_loss(T.F64(Pred, 2, 2, 3), T.F64(Targ, 2, 2, 3), mask: mask, mode: ContrastiveModelMode.Spr, reduction: r);
        T.Close(want, Loss(Reduction.None), 1e-13);
        T.Close(want.Average(), Loss(Reduction.Mean), 1e-13);
        T.Close(want.Sum(), Loss(Reduction.Sum), 1e-13);
        // The mask drops steps past an episode's end; a bool mask is read as 0/1.
        T.Close(new[] { -cos[0], -(cos[2] + cos[3]) }, Loss(Reduction.None, T.F64(new[] { 1.0, 0.0, 1.0, 1.0 }, 2, 2)), 1e-13);
        T.Close(new[] { -cos[0], -(cos[2] + cos[3]) }, Loss(Reduction.None, torch.tensor(new[] { true, false, true, true }).reshape(2, 2)), 1e-13);
        // (N, D) is K = 1.
        T.Close(new[] { -cos[0], -cos[1], -cos[2], -cos[3] }, F.contrastive_model_loss(T.F64(Pred, 4, 3), T.F64(Targ, 4, 3), mode: ContrastiveModelMode.Spr, reduction: Reduction.None), 1e-13);
        var g = T.Grad(x => F.contrastive_model_loss(x, T.F64(Targ, 2, 2, 3), mode: ContrastiveModelMode.Spr), T.F64(Pred, 2, 2, 3));
        T.Finite(g, "gradient at a zero prediction");
        var held = Tests.Losses.Generative.GenerativeRef.GradOrZero(x => F.contrastive_model_loss(T.F64(Pred, 2, 2, 3).requires_grad_(true), x, mode: ContrastiveModelMode.Spr), T.F64(Targ, 2, 2, 3));
        Assert.All(T.Values(held), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Float32ExtremesStayFiniteAndModuleAndRegistryMatch()
    {
        var q = T.F32(new[] { 1e4f, -1e4f, -1e4f, 1e4f, 3f, 1e4f }, 3, 2);
        T.Finite(F.contrastive_model_loss(q, q.flip(0)), "curl loss");
        T.Finite(T.Grad(x => F.contrastive_model_loss(x, q.flip(0), temperature: 0.01), q), "curl gradient");
        T.Finite(T.Grad(x => F.contrastive_model_loss(x, q.flip(0), mode: ContrastiveModelMode.Spr), q), "spr gradient");
        var module = new ContrastiveModelLoss(bilinear_size: 2);
        T.Close(Curl(null, 1).Average(), module.forward(T.F32(Q.Select(v => (float)v).ToArray(), 3, 2), T.F32(K.Select(v => (float)v).ToArray(), 3, 2)), 1e-5);
        Assert.Single(module.parameters());
        T.Close(Curl(W, 0.5).Sum(), LossCatalog.Create("contrastive_model:mode=curl,temperature=0.5,reduction=sum").Forward(new Dictionary<string, Tensor>
        {
            ["online"] = T.F64(Q, 3, 2), ["target"] = T.F64(K, 3, 2), ["weight"] = T.F64(W, 2, 2),
        }), 1e-13);
        Assert.Equal(new[] { "target" }, LossCatalog.GetLoss("contrastive_model").HeldTerms);
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var q = T.F64(Q, 3, 2);
        var k = T.F64(K, 3, 2);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => F.contrastive_model_loss(q, T.F64(K, 2, 3))).Message);
        Assert.Contains("weight", Assert.Throws<ArgumentException>(() => F.contrastive_model_loss(q, k, T.F64(new double[9], 3, 3))).Message);
        Assert.Contains("weight", Assert.Throws<ArgumentException>(() => F.contrastive_model_loss(q, k, T.F64(W, 2, 2), mode: ContrastiveModelMode.Spr)).Message);
        Assert.Contains("mask", Assert.Throws<ArgumentException>(() => F.contrastive_model_loss(q, k, mask: T.F64(new[] { 1.0, 1, 1 }))).Message);
        Assert.Contains("mask", Assert.Throws<ArgumentException>(() => F.contrastive_model_loss(q, k, mask: T.F64(new[] { 1.0, 1 }), mode: ContrastiveModelMode.Spr)).Message);
        Assert.Contains("mask", Assert.Throws<ArgumentException>(() => F.contrastive_model_loss(q, k, mask: T.F64(new[] { 1.0, 2, 0 }), mode: ContrastiveModelMode.Spr)).Message);
        Assert.Contains("online", Assert.Throws<ArgumentException>(() => F.contrastive_model_loss(T.F64(Pred, 2, 2, 3), T.F64(Targ, 2, 2, 3))).Message);
        Assert.Contains("temperature", Assert.Throws<ArgumentOutOfRangeException>(() => F.contrastive_model_loss(q, k, temperature: -1)).Message);
    }
}
