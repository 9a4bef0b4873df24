using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

/// <summary>The two forms of the generalized end-to-end loss.</summary>
public enum Ge2eMethod
{
    /// <summary><c>-S_ji,j + log sum_k exp(S_ji,k)</c>: cross entropy over the speakers (the paper's TI-SV choice).</summary>
    Softmax,
    /// <summary><c>1 - sigmoid(S_ji,j) + max_{k != j} sigmoid(S_ji,k)</c>: the own centroid against the hardest other.</summary>
    Contrast,
}

public static partial class Losses
{
    /// <summary>
    /// The generalized end-to-end loss (Wan, Wang, Papir, Lopez Moreno 2018) for speaker verification: a batch holds U
    /// utterances of each of S speakers; each utterance embedding e_ji is compared with every speaker's centroid by a
    /// scaled cosine <c>S_ji,k = w cos(e_ji, c_k) + b</c>, where its own speaker's centroid excludes the utterance itself
    /// (<c>c_j^(-i) = (sum_m e_jm - e_ji) / (U - 1)</c>); the loss pushes it towards its own centroid and away from the others.
    /// </summary>
    /// <remarks>
    /// <para>Use it to train speaker (or any grouped) embeddings from batches of S groups times U members; it is a
    /// centroid-based relative of the in-batch softmax losses, with a learned scale w and bias b.</para>
    /// <para>w and b are inputs so that the caller can learn them (the <see cref="Ge2eLoss"/> module holds them as
    /// parameters initialised at the paper's 10 and -5); when null, the paper's initial values are used as constants. As
    /// in the paper, w is kept positive: values below 1e-6 are clamped to 1e-6. Cosines use
    /// <c>x / max(||x||, 1e-12)</c>, so zero vectors give 0, not NaN; the softmax form uses <c>logsumexp</c>.</para>
    /// <code>
    /// var ge2e = new Ge2eLoss();                                  // learnable w = 10, b = -5
    /// var loss = ge2e.forward(embeddings);                        // (speakers, utterances, D)
    /// var fixedWB = Losses.ge2e_loss(embeddings, method: Ge2eMethod.Contrast);
    /// </code>
    /// </remarks>
    /// <param name="embeddings">Embeddings (S, U, D): S &gt;= 2 speakers, U &gt;= 2 utterances each, floating.</param>
    /// <param name="w">The similarity scale, a scalar tensor (null: 10).</param>
    /// <param name="b">The similarity bias, a scalar tensor (null: -5).</param>
    /// <param name="method">Softmax or contrast.</param>
    /// <param name="reduction">none: per-utterance losses (S, U); mean; sum (the paper sums over the batch).</param>
    /// <returns>A scalar, or (S, U) for reduction none.</returns>
    /// <exception cref="ArgumentException">Bad shapes, dtypes or devices.</exception>
    public static Tensor ge2e_loss(Tensor embeddings, Tensor? w = null, Tensor? b = null, Ge2eMethod method = Ge2eMethod.Softmax, Reduction reduction = Reduction.Mean)
    {
        const string name = "ge2e_loss";
        Check.Floating(embeddings, name, nameof(embeddings));
        Check.Rank(embeddings, name, nameof(embeddings), 3);
        if (embeddings.shape[0] < 2 || embeddings.shape[1] < 2 || embeddings.shape[2] < 1)
            throw new ArgumentException($"{name}: 'embeddings' must have shape (speakers >= 2, utterances >= 2, D >= 1), got {Check.Shape(embeddings)}", nameof(embeddings));
        if (w is not null) Check.ScalarTensor(w, name, nameof(w));
        if (b is not null) Check.ScalarTensor(b, name, nameof(b));
        Check.SameFloatType(name, (embeddings, nameof(embeddings)), (w, nameof(w)), (b, nameof(b)));
        Check.SameDevice(name, (embeddings, nameof(embeddings)), (w, nameof(w)), (b, nameof(b)));
        if (!Enum.IsDefined(method)) throw new ArgumentOutOfRangeException(nameof(method), method, $"{name}: 'method' must be softmax or contrast");
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        long s = embeddings.shape[0], u = embeddings.shape[1];
        var e = nn.functional.normalize(embeddings, 2, 2, 1e-12);                               // (S, U, D)
        var sums = embeddings.sum(1);                                                            // (S, D)
        var centroids = nn.functional.normalize(sums / u, 2, 1, 1e-12);                          // (S, D)
        var exclusive = nn.functional.normalize((sums.unsqueeze(1) - embeddings) / (u - 1), 2, 2, 1e-12);  // (S, U, D)
        var cos = torch.einsum("jid,kd->jik", e, centroids);                                     // (S, U, S)
        var own = (e * exclusive).sum(2);                                                        // (S, U)
        var isOwn = torch.eye(s, dtype: ScalarType.Bool, device: embeddings.device).unsqueeze(1);    // (S, 1, S)
        cos = torch.where(isOwn, own.unsqueeze(2), cos);
        var scale = w is null ? torch.tensor(10.0, dtype: e.dtype, device: e.device) : w.reshape(Array.Empty<long>()).clamp_min(1e-6);
        var bias = b is null ? torch.tensor(-5.0, dtype: e.dtype, device: e.device) : b.reshape(Array.Empty<long>());
        var sim = cos * scale + bias;                                                            // (S, U, S)
        var target = sim.diagonal(0, 0, 2).t();                                                  // (S, U): S_ji,j
        Tensor loss;
        if (method == Ge2eMethod.Softmax)
            loss = sim.logsumexp(2) - target;
        else
        {
            var others = torch.where(isOwn, torch.full_like(sim, double.NegativeInfinity), sim).max(2).values;
            loss = 1.0 - torch.sigmoid(target) + torch.sigmoid(others);
        }
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The GE2E loss as a module holding the learnable scale <see cref="W"/> (init 10) and bias <see cref="B"/> (init -5);
/// <c>forward(embeddings)</c> with embeddings (speakers, utterances, D). See <see cref="Losses.ge2e_loss"/>.
/// </summary>
public sealed class Ge2eLoss : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Parameter w;
    private readonly TorchSharp.Modules.Parameter b;
    private readonly Ge2eMethod method;
    private readonly Reduction reduction;

    /// <summary>Creates the module.</summary>
    /// <param name="init_w">The initial scale (the paper's 10), &gt; 0.</param>
    /// <param name="init_b">The initial bias (the paper's -5).</param>
    /// <param name="method">Softmax or contrast.</param>
    /// <param name="reduction">See <see cref="Losses.ge2e_loss"/>.</param>
    /// <param name="dtype">The parameters' dtype (default float32).</param>
    public Ge2eLoss(double init_w = 10.0, double init_b = -5.0, Ge2eMethod method = Ge2eMethod.Softmax, Reduction reduction = Reduction.Mean, ScalarType dtype = ScalarType.Float32)
        : base(nameof(Ge2eLoss))
    {
        Check.PositiveFinite(init_w, nameof(Ge2eLoss), nameof(init_w));
        Check.FiniteParam(init_b, nameof(Ge2eLoss), nameof(init_b));
        Reduce.NoBatchMean(reduction, nameof(Ge2eLoss));
        w = new TorchSharp.Modules.Parameter(torch.tensor(init_w, dtype: dtype));
        b = new TorchSharp.Modules.Parameter(torch.tensor(init_b, dtype: dtype));
        this.method = method;
        this.reduction = reduction;
        RegisterComponents();
    }

    /// <summary>The similarity scale w.</summary>
    public TorchSharp.Modules.Parameter W => w;

    /// <summary>The similarity bias b.</summary>
    public TorchSharp.Modules.Parameter B => b;

    /// <inheritdoc/>
    public override Tensor forward(Tensor embeddings) => Losses.ge2e_loss(embeddings, w, b, method, reduction);
}

internal sealed class Ge2eDefinition : LossDefinition
{
    public override string Name => "ge2e";
    public override string Family => "metric_learning";
    public override string Summary => "Generalized end-to-end loss (speaker verification): each utterance against every speaker centroid, own centroid excluding itself; softmax or contrast form.";
    public override string Math => "S_ji,k = w cos(e_ji, c_k) + b (c_j -> c_j^(-i) = (sum_m e_jm - e_ji)/(U-1));  softmax: -S_ji,j + logsumexp_k S_ji,k;  contrast: 1 - sigmoid(S_ji,j) + max_{k != j} sigmoid(S_ji,k)";
    public override string Reference => "Wan, Wang, Papir, Lopez Moreno 2018, Generalized End-to-End Loss for Speaker Verification";
    public override string Function => "Losses.ge2e_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Choice("method", "softmax", "softmax (cross entropy over speakers) or contrast (own vs hardest other)", "softmax", "contrast"),
        ParamSpec.Float("init_w", 10.0, "the scale w used when no input 'w' is given", min: 0, minExclusive: true),
        ParamSpec.Float("init_b", -5.0, "the bias b used when no input 'b' is given"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("embeddings", "(S, U, D) utterance embeddings, S speakers x U utterances"),
        new InputSpec("w", "() learnable similarity scale", Required: false, Differentiable: true),
        new InputSpec("b", "() learnable similarity bias", Required: false, Differentiable: true),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p)
    {
        var e = x.Required("embeddings");
        var w = x.Optional("w") ?? torch.tensor(p.Float("init_w"), dtype: e.dtype, device: e.device);
        var b = x.Optional("b") ?? torch.tensor(p.Float("init_b"), dtype: e.dtype, device: e.device);
        var method = p.Choice("method") == "contrast" ? Ge2eMethod.Contrast : Ge2eMethod.Softmax;
        return Losses.ge2e_loss(e, w, b, method, p.Reduction);
    }

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> WB(Generator g, long s, long u, long d) => new()
        {
            ["embeddings"] = Sample.Normal(g, [s, u, d]),
            ["w"] = torch.tensor(3.0, dtype: ScalarType.Float64),
            ["b"] = torch.tensor(-1.0, dtype: ScalarType.Float64),
        };
        yield return GradcheckCase.Of("(3,4,5) softmax w,b inputs", g => WB(g, 3, 4, 5));
        yield return GradcheckCase.Of("(4,3,6) contrast w,b inputs sum", g => WB(g, 4, 3, 6), ("method", "contrast"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(2,2,3) softmax fixed w=10 b=-5 none", g => new() { ["embeddings"] = Sample.Normal(g, [2, 2, 3]) }, ("reduction", "none"));
        yield return GradcheckCase.Of("(3,5,4) contrast fixed w=2 b=0", g => new() { ["embeddings"] = Sample.Normal(g, [3, 5, 4]) }, ("method", "contrast"), ("init_w", "2"), ("init_b", "0"));
    }
}
