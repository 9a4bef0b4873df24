using LossLab.Registry;
using LossLab.Tests.Support;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using F = LossLab.Losses;

namespace LossLab.Tests.Losses.Reinforcement;

public class PpoTests
{
    private const int N = 8;
    private static readonly double[] LogP = RlRef.Normal(N, 71).Select(v => -Math.Abs(v) - 0.1).ToArray();
    private static readonly double[] Old = LogP.Zip(RlRef.Normal(N, 72, 0.4), (a, b) => a + b).ToArray();
    private static readonly double[] Adv = RlRef.Normal(N, 73);
    private static readonly double[] V = RlRef.Normal(N, 74);
    private static readonly double[] OldV = V.Zip(RlRef.Normal(N, 75, 0.4), (a, b) => a + b).ToArray();
    private static readonly double[] Ret = RlRef.Normal(N, 76);
    private static readonly double[] H = RlRef.Normal(N, 77).Select(Math.Abs).ToArray();

    private static double Clamp(double x, double lo, double hi) => Math.Min(Math.Max(x, lo), hi);

    // CleanRL ppo.py, element by element; sb3: value loss (R - V_clipped)^2.
    private static double[] Reference(double eps, double vclip, bool clipV, bool norm, bool sb3, double vc = 0.5, double ec = 0.01)
    {
        var a = Adv.ToArray();
        if (norm)
        {
            double m = a.Average(), s = Math.Sqrt(a.Sum(x => (x - m) * (x - m)) / (a.Length - 1));
            a = a.Select(x => (x - m) / (s + 1e-8)).ToArray();
        }
        var outp = new double[N];
        for (int i = 0; i < N; i++)
        {
            double ratio = Math.Exp(LogP[i] - Old[i]);
            double pg = Math.Max(-a[i] * ratio, -a[i] * Clamp(ratio, 1 - eps, 1 + eps));
            double vClipped = OldV[i] + Clamp(V[i] - OldV[i], -vclip, vclip);
            double unclipped = (V[i] - Ret[i]) * (V[i] - Ret[i]);
            double clipped = (vClipped - Ret[i]) * (vClipped - Ret[i]);
            double vl = sb3 ? (clipV ? clipped : unclipped) : 0.5 * (clipV ? Math.Max(unclipped, clipped) : unclipped);
            outp[i] = pg + vc * vl - ec * H[i];
        }
        return outp;
    }

    private static Tensor Ppo(double eps = 0.2, double vclip = 0.2, bool clipV = true, bool norm = true, PpoValueLoss form = PpoValueLoss.CleanRl, Reduction reduction = Reduction.None, double vc = 0.5, double ec = 0.01) =>
        F.ppo_loss(T.F64(LogP), T.F64(Old), T.F64(Adv), T.F64(V), T.F64(OldV), T.F64(Ret), T.F64(H), eps, vclip, clipV, vc, ec, norm, form, reduction);

    [Fact]
    public void MatchesCleanRlElementByElement()
    {
        T.Close(Reference(0.2, 0.2, true, true, false), Ppo(), rtol: 1e-10, atol: 1e-12);
        T.Close(Reference(0.1, 0.3, false, false, false), Ppo(0.1, 0.3, clipV: false, norm: false), rtol: 1e-10, atol: 1e-12);
        T.Close(Reference(0.2, 0.2, true, true, false).Average(), Ppo(reduction: Reduction.Mean), rtol: 1e-10);
        T.Close(Reference(0.3, 0.1, true, false, false, vc: 1, ec: 0.1).Sum(), Ppo(0.3, 0.1, norm: false, reduction: Reduction.Sum, vc: 1, ec: 0.1), rtol: 1e-10);
    }

    [Fact]
    public void MatchesSb3sValueLoss()
    {
        T.Close(Reference(0.2, 0.2, true, true, true), Ppo(form: PpoValueLoss.Sb3), rtol: 1e-10, atol: 1e-12);
        T.Close(Reference(0.2, 0.2, false, true, true), Ppo(clipV: false, form: PpoValueLoss.Sb3), rtol: 1e-10, atol: 1e-12);
    }

    [Fact]
    public void AVeryLargeEpsilonGivesTheUnclippedSurrogate()
    {
        var got = F.ppo_loss(T.F64(LogP), T.F64(Old), T.F64(Adv), clip_coef: 1e9, entropy_coef: 0, normalize_advantage: false, reduction: Reduction.None);
        T.Close(Enumerable.Range(0, N).Select(i => -Adv[i] * Math.Exp(LogP[i] - Old[i])).ToArray(), got, rtol: 1e-12);
    }

    [Fact]
    public void AtRatioOneTheGradientIsThePolicyGradientAndRolloutTermsAreHeld()
    {
        // log pi = log pi_old: d/dlogp of -A r is -A (the REINFORCE gradient with advantage A)
        var g = RlRef.Grads(x => F.ppo_loss(x[0], x[1], x[2], x[3], x[4], x[5], entropy_coef: 0, normalize_advantage: false, reduction: Reduction.Sum),
            T.F64(LogP), T.F64(LogP), T.F64(Adv), T.F64(V), T.F64(OldV), T.F64(Ret));
        T.Close(Adv.Select(a => -a).ToArray(), T.F64(g[0]), rtol: 1e-12);
        foreach (int k in new[] { 1, 2, 4, 5 }) Assert.All(g[k], v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void TheClippedSideHasNoGradient()
    {
        // A > 0 with r = e^0.5 > 1.2, and A < 0 with r = e^-0.5 < 0.8: both clipped, zero gradient
        var logp = T.F64(new[] { 0.0, 0.0, 0.0 });
        var old = T.F64(new[] { -0.5, 0.5, -0.1 });
        var adv = T.F64(new[] { 1.0, -1.0, 1.0 });
        var g = RlRef.Grads(x => F.ppo_loss(x[0], old, adv, entropy_coef: 0, normalize_advantage: false, reduction: Reduction.Sum), logp)[0];
        T.Close(new[] { 0.0, 0.0, -Math.Exp(0.1) }, T.F64(g), rtol: 1e-12);
    }

    [Fact]
    public void WithoutEntropyItIsEstimatedByMinusLogPi()
    {
        var with = F.ppo_loss(T.F64(LogP), T.F64(Old), T.F64(Adv), entropy: T.F64(LogP.Select(x => -x).ToArray()), reduction: Reduction.None);
        T.Close(T.Values(with), F.ppo_loss(T.F64(LogP), T.F64(Old), T.F64(Adv), reduction: Reduction.None), rtol: 1e-12);
    }

    [Fact]
    public void ModuleAndRegistryMatchTheFunction()
    {
        var want = T.Scalar(Ppo(reduction: Reduction.Mean));
        T.Close(want, new PpoLoss().forward(T.F64(LogP), T.F64(Old), T.F64(Adv), T.F64(V), T.F64(OldV), T.F64(Ret), T.F64(H)), rtol: 1e-12);
        var inputs = new Dictionary<string, Tensor>
        {
            ["log_probs"] = T.F64(LogP), ["old_log_probs"] = T.F64(Old), ["advantages"] = T.F64(Adv), ["values"] = T.F64(V),
            ["old_values"] = T.F64(OldV), ["returns"] = T.F64(Ret), ["entropy"] = T.F64(H),
        };
        T.Close(want, LossCatalog.GetLoss("ppo").Compute(inputs), rtol: 1e-12);
    }

    [Fact]
    public void Float32LogitsOf1e4AreFinite()
    {
        var logits = T.F32(new[] { 1e4f, -1e4f, 0f, -1e4f, 1e4f, 1e4f, 0f, 0f, 1e4f }, 3, 3);
        var oldLogits = T.F32(new[] { -1e4f, 1e4f, 0f, 1e4f, -1e4f, 1e4f, 1e4f, 0f, 0f }, 3, 3);
        var actions = T.I64(0, 1, 2);
        var old = F.policy_log_probs(oldLogits, actions);
        var adv = T.F32(new[] { -1f, 2f, -0.5f }, 3);
        Tensor Loss(Tensor x) => F.ppo_loss(F.policy_log_probs(x, actions), old, adv, entropy: F.policy_entropy(x));
        T.Finite(Loss(logits), "loss");
        T.Finite(T.Grad(Loss, logits), "gradient");
    }

    [Fact]
    public void BadInputGivesClearErrors()
    {
        var x = torch.zeros(4, dtype: ScalarType.Float64);
        var e1 = Assert.Throws<ArgumentException>(() => F.ppo_loss(x, torch.zeros(5, dtype: ScalarType.Float64), x));
        Assert.Contains("old_log_probs", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => F.ppo_loss(x, x, x, values: x));
        Assert.Contains("returns", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => F.ppo_loss(x, x, x, values: x, returns: x));
        Assert.Contains("old_values", e3.Message);
        var e4 = Assert.Throws<ArgumentOutOfRangeException>(() => F.ppo_loss(x, x, x, clip_coef: 0));
        Assert.Contains("clip_coef", e4.Message);
        var e5 = Assert.Throws<ArgumentException>(() => F.ppo_loss(x, x, T.I64(1, 2, 3, 4)));
        Assert.Contains("advantages", e5.Message);
        var e6 = Assert.Throws<ArgumentException>(() => LossCatalog.GetLoss("ppo").Compute(new Dictionary<string, Tensor> { ["old_log_probs"] = x, ["advantages"] = x }));
        Assert.Contains("log_probs", e6.Message);
    }
}
