using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using static LossLab.Tests.Losses.Generative.GenerativeRef;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Generative;

public class WorldModelTests
{
    // Three steps, a 2-d latent, a 2-d observation.
    private static readonly double[] Qm = { 0.5, -1.0, 2.0, 0.3, 0.0, -0.7 };
    private static readonly double[] Qs = { 0.8, 1.2, 0.5, 1.0, 1.5, 0.6 };
    private static readonly double[] Pm = { 0.1, -0.4, 1.0, 1.3, -0.5, 0.2 };
    private static readonly double[] Ps = { 1.0, 0.7, 1.1, 0.9, 1.3, 1.4 };
    private static readonly double[] ObsPred = { 0.2, 0.2, -0.3, 1.1, 0.4, -0.9 };
    private static readonly double[] Obs = { 0.0, 0.5, -0.1, 1.0, 1.4, -1.0 };
    private static readonly double[] RewPred = { 0.3, -0.2, 1.0 };
    private static readonly double[] Rew = { 0.0, 0.0, 1.5 };
    private static readonly double[] ContLogits = { 2.0, -1.0, 0.5 };
    private static readonly double[] Cont = { 1.0, 0.0, 1.0 };

    private static double[] Kl() => Enumerable.Range(0, 3).Select(i => Enumerable.Range(0, 2).Sum(z => GaussianKl(Qm[2 * i + z], Qs[2 * i + z], Pm[2 * i + z], Ps[2 * i + z]))).ToArray();
    private static double[] Recon() => Enumerable.Range(0, 3).Select(i => 0.5 * Enumerable.Range(0, 2).Sum(j => Math.Pow(ObsPred[2 * i + j] - Obs[2 * i + j], 2))).ToArray();
    private static double[] RewardTerm() => RewPred.Select((r, i) => 0.5 * (r - Rew[i]) * (r - Rew[i])).ToArray();
    private static double[] ContinueTerm() => ContLogits.Select((x, i) => Cont[i] * Softplus(-x) + (1 - Cont[i]) * Softplus(x)).ToArray();

    private static Tensor Loss(WorldModelOptions o, Reduction r = Reduction.Mean, Tensor? qm = null, Tensor? qs = null, Tensor? pm = null, Tensor? ps = null, bool heads = true) =>
        F.world_model_loss(T.F64(ObsPred, 3, 2), T.F64(Obs, 3, 2), qm ?? T.F64(Qm, 3, 2), qs ?? T.F64(Qs, 3, 2), pm ?? T.F64(Pm, 3, 2), ps ?? T.F64(Ps, 3, 2),
            heads ? T.F64(RewPred) : null, heads ? T.F64(Rew) : null, heads ? T.F64(ContLogits) : null, heads ? T.F64(Cont) : null, o, r);

    [Fact]
    public void TheGaussianKlIsTheClosedFormAndTheTermsAddWithTheirWeights()
    {
        var o = new WorldModelOptions { FreeBits = 0, KlScale = 0.3, RewardScale = 2, ContinueScale = 0.5, ReconScale = 1.5 };
        var kl = Kl();
        var want = Enumerable.Range(0, 3).Select(i => 1.5 * Recon()[i] + 0.3 * kl[i] + 2 * RewardTerm()[i] + 0.5 * ContinueTerm()[i]).ToArray();
        T.Close(want, Loss(o, Reduction.None), 1e-13);
        T.Close(want.Average(), Loss(o), 1e-13);
        T.Close(want.Sum(), Loss(o, Reduction.Sum), 1e-13);
        // Without the heads, and with the mean over observation dimensions.
        var noHeads = Enumerable.Range(0, 3).Select(i => Recon()[i] / 2 + kl[i]).ToArray();
        T.Close(noHeads, Loss(new WorldModelOptions { FreeBits = 0, ObsMean = true }, Reduction.None, heads: false), 1e-13);
        // KL of a distribution with itself is 0.
        T.Close(new[] { 0.0, 0, 0 }, F.world_model_loss(T.F64(Obs, 3, 2), T.F64(Obs, 3, 2), T.F64(Qm, 3, 2), T.F64(Qs, 3, 2), T.F64(Qm, 3, 2), T.F64(Qs, 3, 2), options: new WorldModelOptions { FreeBits = 0 }, reduction: Reduction.None), 0, 1e-15);
    }

    [Fact]
    public void KlBalancingSplitsTheGradientNotTheValue()
    {
        const double alpha = 0.8, beta = 0.5;
        var o = new WorldModelOptions { FreeBits = 0, KlBalance = alpha, KlScale = beta };
        T.Close(T.Scalar(Loss(o with { KlBalance = 0.5 })), Loss(o), 1e-14);
        // dKL/dpm = (pm - qm) / ps^2 trains the prior with weight alpha; dKL/dqm = (qm - pm) / ps^2 the posterior with 1 - alpha.
        var gPm = Pm.Select((p, k) => beta * alpha * (p - Qm[k]) / (Ps[k] * Ps[k]) / 3).ToArray();
        var gQm = Qm.Select((q, k) => beta * (1 - alpha) * (q - Pm[k]) / (Ps[k] * Ps[k]) / 3).ToArray();
        var gQs = Qs.Select((q, k) => beta * (1 - alpha) * (-1 / q + q / (Ps[k] * Ps[k])) / 3).ToArray();
        var gPs = Ps.Select((p, k) => beta * alpha * (1 / p - (Qs[k] * Qs[k] + Math.Pow(Qm[k] - Pm[k], 2)) / (p * p * p)) / 3).ToArray();
        T.Close(gPm, T.Grad(x => Loss(o, pm: x), T.F64(Pm, 3, 2)), 1e-12);
        T.Close(gQm, T.Grad(x => Loss(o, qm: x), T.F64(Qm, 3, 2)), 1e-12);
        T.Close(gQs, T.Grad(x => Loss(o, qs: x), T.F64(Qs, 3, 2)), 1e-12);
        T.Close(gPs, T.Grad(x => Loss(o, ps: x), T.F64(Ps, 3, 2)), 1e-12);
    }

    [Fact]
    public void FreeBitsClampTheKlOnItsBatchMeanOrPerSample()
    {
        var kl = Kl();
        double mean = kl.Average();
        var others = Enumerable.Range(0, 3).Select(i => Recon()[i] + RewardTerm()[i] + ContinueTerm()[i]).ToArray();
        // free_avg: below the free bits, the KL term is the constant free value and passes no gradient.
        double high = mean + 0.5;
        T.Close(others.Average() + high, Loss(new WorldModelOptions { FreeBits = high }), 1e-13);
        T.Close(new double[6], GenerativeRef.GradOrZero(x => Loss(new WorldModelOptions { FreeBits = high }, pm: x, qm: T.F64(Qm, 3, 2).requires_grad_(true)), T.F64(Pm, 3, 2)), 0, 0);
        T.Close(others.Average() + mean, Loss(new WorldModelOptions { FreeBits = mean - 0.01 }), 1e-13);
        // Per sample: max(kl_i, free).
        double free = kl.OrderBy(v => v).ElementAt(1);   // the median: one sample below, one above
        free += 1e-3;
        T.Close(others.Zip(kl, (a, k) => a + Math.Max(k, free)).ToArray(), Loss(new WorldModelOptions { FreeBits = free, FreeAverage = false }, Reduction.None), 1e-13);
    }

    [Fact]
    public void SequenceBatchesKeepTheirBatchDimensionsAndTermsAreReported()
    {
        // (B, T) = (1, 3) gives the same per-step values as (3).
        var o = new WorldModelOptions { FreeBits = 0 };
        var flat = T.Values(Loss(o, Reduction.None));
        var seq = F.world_model_loss(T.F64(ObsPred, 1, 3, 2), T.F64(Obs, 1, 3, 2), T.F64(Qm, 1, 3, 2), T.F64(Qs, 1, 3, 2), T.F64(Pm, 1, 3, 2), T.F64(Ps, 1, 3, 2),
            T.F64(RewPred, 1, 3), T.F64(Rew, 1, 3), T.F64(ContLogits, 1, 3), T.F64(Cont, 1, 3), o, Reduction.None);
        Assert.Equal(new long[] { 1, 3 }, seq.shape);
        T.Close(flat, seq, 1e-14);
        var batch = new WorldModelBatch(T.F64(ObsPred, 3, 2), T.F64(Obs, 3, 2), T.F64(Qm, 3, 2), T.F64(Qs, 3, 2), T.F64(Pm, 3, 2), T.F64(Ps, 3, 2), T.F64(RewPred), T.F64(Rew), T.F64(ContLogits), T.F64(Cont));
        var (loss, terms) = F.world_model_loss_terms(batch, o);
        Assert.Equal(Recon().Average(), terms["recon"], 12);
        Assert.Equal(Kl().Average(), terms["kl"], 12);
        Assert.Equal(RewardTerm().Average(), terms["reward"], 12);
        Assert.Equal(ContinueTerm().Average(), terms["continue"], 12);
        T.Close(T.Scalar(loss), new WorldModelLoss(o).forward(batch), 0, 0);
        var spec = LossCatalog.Create("world_model:free_bits=0");
        var inputs = new Dictionary<string, Tensor>
        {
            ["obs_pred"] = batch.ObsPred, ["obs"] = batch.Obs, ["posterior_mean"] = batch.PosteriorMean, ["posterior_std"] = batch.PosteriorStd,
            ["prior_mean"] = batch.PriorMean, ["prior_std"] = batch.PriorStd, ["reward_pred"] = batch.RewardPred!, ["reward"] = batch.Reward!,
            ["continue_logits"] = batch.ContinueLogits!, ["continue_target"] = batch.ContinueTarget!,
        };
        T.Close(T.Scalar(loss), spec.Forward(inputs), 1e-14);
    }

    [Fact]
    public void Float32ExtremeLogitsAndMeansStayFinite()
    {
        var big = T.F32(new[] { 1e4f, -1e4f, 0f, 3f }, 2, 2);
        var one = torch.ones(new long[] { 2, 2 }, dtype: ScalarType.Float32);
        var logits = T.F32(new[] { 1e4f, -1e4f }, 2);
        var cont = T.F32(new[] { 0f, 1f }, 2);
        var loss = F.world_model_loss(big, one, big, one, -big, one, big[.., 0], one[.., 0], logits, cont, null, Reduction.None);
        T.Finite(loss);
        // continue: BCE of logit 1e4 with target 0 is 1e4; of -1e4 with target 1 is 1e4.
        var kl = new[] { 0.5 * (4e8 + 4e8), 0.5 * 36 };
        var recon = new[] { 0.5 * (9999.0 * 9999 + 10001.0 * 10001), 0.5 * (1 + 4) };
        var rew = new[] { 0.5 * 9999.0 * 9999, 0.5 };
        T.Close(new[] { recon[0] + kl[0] + rew[0] + 1e4, recon[1] + kl[1] + rew[1] + 1e4 }, loss, 1e-6);
        T.Finite(T.Grad(x => F.world_model_loss(big, one, x, one, -big, one, continue_logits: logits, continue_target: cont), big));
        T.Finite(T.Grad(x => F.world_model_loss(big, one, big, one, -big, one, continue_logits: x, continue_target: cont), logits));
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var m = T.F64(Qm, 3, 2);
        var s = T.F64(Qs, 3, 2);
        var o = T.F64(Obs, 3, 2);
        Assert.Contains("prior_std", Assert.Throws<ArgumentException>(() => F.world_model_loss(o, o, m, s, m, T.F64(new[] { 1.0, 1, 0, 1, 1, 1 }, 3, 2))).Message);
        Assert.Contains("posterior_std", Assert.Throws<ArgumentException>(() => F.world_model_loss(o, o, m, T.F64(Qs, 2, 3), m, s)).Message);
        Assert.Contains("obs_pred", Assert.Throws<ArgumentException>(() => F.world_model_loss(T.F64(Obs, 2, 3), T.F64(Obs, 2, 3), m, s, m, s)).Message);
        Assert.Contains("reward", Assert.Throws<ArgumentException>(() => F.world_model_loss(o, o, m, s, m, s, reward_pred: T.F64(RewPred))).Message);
        Assert.Contains("reward_pred", Assert.Throws<ArgumentException>(() => F.world_model_loss(o, o, m, s, m, s, T.F64(RewPred, 3, 1), T.F64(Rew, 3, 1))).Message);
        Assert.Contains("continue_target", Assert.Throws<ArgumentException>(() => F.world_model_loss(o, o, m, s, m, s, continue_logits: T.F64(ContLogits), continue_target: T.F64(new[] { 1.0, 2, 0 }))).Message);
        Assert.Contains("kl_balance", Assert.Throws<ArgumentOutOfRangeException>(() => F.world_model_loss(o, o, m, s, m, s, options: new WorldModelOptions { KlBalance = 1.5 })).Message);
        Assert.Contains("free_bits", Assert.Throws<ArgumentException>(() => LossCatalog.Create("world_model:free_bits=-1")).Message);
    }
}
