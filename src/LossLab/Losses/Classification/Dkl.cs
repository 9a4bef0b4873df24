using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Decoupled Kullback-Leibler divergence loss (Cui et al., "Decoupled Kullback-Leibler Divergence Loss", NeurIPS 2024):
    /// <c>KL(s_m || s_n)</c> rewritten as a weighted MSE between the two logit-difference matrices plus a soft-label
    /// cross-entropy. <c>input</c> holds the logits o_n of the distribution being fitted (student, or adversarial
    /// example), <c>target</c> the logits o_m of the reference (teacher, or natural example).
    /// </summary>
    /// <remarks>
    /// <para><b>Definition.</b> With <c>z = logits / T</c>, <c>s = softmax(z)</c>, <c>Δ_jk = z_j - z_k</c> and weights
    /// <c>w_jk = s_m,j * s_m,k</c>, per sample</para>
    /// <para><c>DKL = alpha / 4 * sum_jk S(w_jk) (Δm_jk - S(Δn_jk))^2 - beta * sum_j S(s_m,j) log s_n,j</c></para>
    /// <para>where S is a stop-gradient (held terms <c>soft_labels</c>, the weights and soft labels, and
    /// <c>input_logits</c>). The paper's theorem: with alpha = beta = 1 (and no global information) the gradients of DKL
    /// with respect to both logits equal those of <c>KL(s_m || s_n)</c>: the wMSE carries KL's gradient to o_m, the
    /// cross-entropy its gradient to o_n. (The values differ: KL is the cross-entropy minus the entropy of s_m.)</para>
    /// <para><b>The paper's improvements (IKL).</b> <paramref name="asymmetric"/> = false breaks the asymmetry: the wMSE
    /// then also trains o_n (no stop-gradient on Δn), which matters when o_m is a frozen teacher (in knowledge
    /// distillation the wMSE would otherwise have no effect). <paramref name="class_prior"/> with
    /// <paramref name="labels"/> adds the class-wise global information: the weights become
    /// <c>w_jk = P[y, j] * P[y, k]</c>, P (C, C) holding in row c the mean predicted distribution of class c (kept by the
    /// caller, e.g. accumulated over the previous epoch), which removes the bias of individual samples' predictions.</para>
    /// <para><b>Computation.</b> <c>sum_jk w_j w_k (d_j - d_k)^2 = 2 W sum_j w_j (d_j - dbar)^2</c> with
    /// <c>d = z_m - z_n</c>, <c>W = sum_j w_j</c> and <c>dbar = sum_j w_j d_j / W</c>: O(N C) time and memory instead of the
    /// paper code's (N, C, C) tensors, and no cancellation. The cross-entropy uses <c>log_softmax</c>, so logits of
    /// magnitude 1e4 in float32 give finite values and gradients.</para>
    /// <para><b>Names.</b> alpha weighs the wMSE and beta the cross-entropy, as in the paper's equation; the public code's
    /// <c>dkl_loss(..., alpha, beta)</c> computes <c>beta * mse + alpha * sce</c>, the other way round. There is no T^2
    /// factor (multiply by it yourself for distillation at a temperature).</para>
    /// <code>
    /// var loss = Losses.dkl_loss(studentLogits, teacherLogits.detach(), asymmetric: false, class_prior: prior, labels: labels);
    /// </code>
    /// Reference: Cui, Tian, Zhong, Qi, Yu, Zhang, "Decoupled Kullback-Leibler Divergence Loss", NeurIPS 2024
    /// (arXiv 2305.13948); code github.com/jiequancui/DKL.
    /// </remarks>
    /// <param name="input">Logits o_n of the fitted distribution (student / adversarial), shape (N, C).</param>
    /// <param name="target">Logits o_m of the reference distribution (teacher / natural), shape (N, C).</param>
    /// <param name="alpha">Weight of the wMSE term, &gt;= 0.</param>
    /// <param name="beta">Weight of the soft-label cross-entropy, &gt;= 0.</param>
    /// <param name="temperature">T, dividing both logits, &gt; 0.</param>
    /// <param name="asymmetric">true: the paper's DKL (KL's gradients); false: IKL, the wMSE also trains the input.</param>
    /// <param name="class_prior">Optional (C, C) class-wise mean predictions (global information); needs <paramref name="labels"/>.</param>
    /// <param name="labels">Class indices (N) selecting the rows of <paramref name="class_prior"/>.</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor dkl_loss(Tensor input, Tensor target, double alpha = 1.0, double beta = 1.0, double temperature = 1.0, bool asymmetric = true,
        Tensor? class_prior = null, Tensor? labels = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "dkl_loss";
        DecoupledKl.Validate(name, input, target, class_prior, labels);
        DecoupledKl.CheckWeights(name, alpha, beta);
        Check.Param(temperature > 0 && double.IsFinite(temperature), name, nameof(temperature), "a finite number > 0", temperature);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var zn = input / temperature;
        var zm = target.to_type(input.dtype) / temperature;
        var softLabels = Surrogate.Hold("soft_labels", torch.softmax(zm, 1));
        var w = class_prior is null ? softLabels : DecoupledKl.Prior(class_prior, labels!, input.dtype);
        var d = zm - (asymmetric ? Surrogate.Hold("input_logits", zn) : zn);
        var wmse = alpha / 4 * DecoupledKl.PairSpread(w, d);
        var ce = -(softLabels * torch.nn.functional.log_softmax(zn, 1)).sum(1);
        var loss = wmse + beta * ce;
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The shared pieces of <see cref="Losses.dkl_loss"/> and <see cref="Losses.gkl_loss"/>.</summary>
internal static class DecoupledKl
{
    /// <summary>The registry inputs of dkl and gkl.</summary>
    public static IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) logits of the fitted distribution (student / adversarial)"),
        InputSpec.Grad("target", "(N, C) logits of the reference distribution (teacher / natural)"),
        InputSpec.Optional("class_prior", "(C, C) class-wise mean predictions (global information)"),
        InputSpec.Optional("labels", "(N) class indices selecting class_prior rows"),
    ];

    public static ParamSpec Alpha { get; } = ParamSpec.Float("alpha", 1.0, "weight of the wMSE term", min: 0);
    public static ParamSpec Beta { get; } = ParamSpec.Float("beta", 1.0, "weight of the soft-label cross-entropy", min: 0);

    /// <summary>Gradcheck inputs: two (n, c) logit matrices.</summary>
    public static Dictionary<string, Tensor> Pair(Generator g, long n, long c, double scale) =>
        new() { ["input"] = Sample.Normal(g, [n, c], scale), ["target"] = Sample.Normal(g, [n, c], scale) };

    /// <summary>Gradcheck inputs with the class-wise global information.</summary>
    public static Dictionary<string, Tensor> WithPrior(Generator g, long n, long c)
    {
        var d = Pair(g, n, c, 2);
        d["class_prior"] = Sample.Simplex(g, c, c);
        d["labels"] = Sample.Labels(g, n, c);
        return d;
    }

    /// <summary>The checks of the weights of the two terms.</summary>
    public static void CheckWeights(string name, double alpha, double beta)
    {
        Check.Param(alpha >= 0 && double.IsFinite(alpha), name, nameof(alpha), "a finite number >= 0", alpha);
        Check.Param(beta >= 0 && double.IsFinite(beta), name, nameof(beta), "a finite number >= 0", beta);
    }

    public static void Validate(string name, Tensor input, Tensor target, Tensor? classPrior, Tensor? labels)
    {
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        Check.Floating(target, name, nameof(target));
        Check.SameShape(input, nameof(input), target, nameof(target), name);
        long c = input.shape[1];
        if ((classPrior is null) != (labels is null))
            throw new ArgumentException($"{name}: 'class_prior' and 'labels' go together (the class-wise global information needs both)", classPrior is null ? "class_prior" : "labels");
        if (classPrior is not null && labels is not null)
        {
            Check.Floating(classPrior, name, "class_prior");
            if (classPrior.dim() != 2 || classPrior.shape[0] != c || classPrior.shape[1] != c)
                throw new ArgumentException($"{name}: 'class_prior' must be a ({c}, {c}) matrix (row c: the mean predicted distribution of class c), got shape {Check.Shape(classPrior)}", "class_prior");
            Check.NonNegativeValues(classPrior, name, "class_prior", "it holds probabilities");
            Check.Rank(labels, name, "labels", 1);
            Check.SameBatch(input, nameof(input), labels, "labels", name);
            Check.ClassIndices(labels, c, name, "labels");
        }
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (classPrior, "class_prior"), (labels, "labels"));
    }

    /// <summary>The rows of the class prior selected by the labels, (N, C).</summary>
    public static Tensor Prior(Tensor classPrior, Tensor labels, ScalarType dtype) =>
        classPrior.to_type(dtype).index_select(0, labels.to_type(ScalarType.Int64));

    /// <summary>
    /// Per row, <c>sum_jk w_j w_k (d_j - d_k)^2 = 2 W sum_j w_j (d_j - dbar)^2</c> with <c>W = sum_j w_j</c> and
    /// <c>dbar = sum_j w_j d_j / W</c> (0 where W = 0): the weighted squared distance between the two logit-difference
    /// matrices, without forming them.
    /// </summary>
    public static Tensor PairSpread(Tensor w, Tensor d)
    {
        var total = w.sum(1, keepdim: true);
        var safe = torch.where(total.gt(0), total, torch.ones_like(total));
        var mean = (w * d).sum(1, keepdim: true) / safe;
        return 2 * total.squeeze(1) * (w * (d - mean).square()).sum(1);
    }
}

/// <summary>The decoupled KL divergence loss as a module (inputs: fitted logits, reference logits); see <see cref="Losses.dkl_loss"/>.</summary>
public sealed class DklLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double alpha;
    private readonly double beta;
    private readonly double temperature;
    private readonly bool asymmetric;
    private readonly Reduction reduction;

    /// <summary>Creates the module (without global information; call <see cref="Losses.dkl_loss"/> for it); the arguments are those of <see cref="Losses.dkl_loss"/>.</summary>
    public DklLoss(double alpha = 1.0, double beta = 1.0, double temperature = 1.0, bool asymmetric = true, Reduction reduction = Reduction.Mean) : base(nameof(DklLoss))
    {
        DecoupledKl.CheckWeights(nameof(DklLoss), alpha, beta);
        Check.Param(temperature > 0 && double.IsFinite(temperature), nameof(DklLoss), nameof(temperature), "a finite number > 0", temperature);
        Reduce.NoBatchMean(reduction, nameof(DklLoss));
        this.alpha = alpha;
        this.beta = beta;
        this.temperature = temperature;
        this.asymmetric = asymmetric;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.dkl_loss(input, target, alpha, beta, temperature, asymmetric, reduction: reduction);
}

internal sealed class DklDefinition : LossDefinition
{
    public override string Name => "dkl";
    public override string Family => "classification";
    public override string Summary => "Decoupled KL: weighted MSE of logit differences plus soft-label cross-entropy; KL's gradients at alpha = beta = 1 (IKL options).";
    public override string Math => "z = logits/T; l_i = alpha/4 sum_jk S(w_jk) (Δm_jk - S(Δn_jk))^2 - beta sum_j S(s_m,j) log s_n,j; w_jk = s_m,j s_m,k or P[y,j] P[y,k]; Δ_jk = z_j - z_k";
    public override string Reference => "Cui et al., Decoupled Kullback-Leibler Divergence Loss, NeurIPS 2024 (arXiv 2305.13948)";
    public override string Function => "Losses.dkl_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["soft_labels", "input_logits"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        DecoupledKl.Alpha,
        DecoupledKl.Beta,
        ParamSpec.Float("temperature", 1.0, "T dividing both logits", min: 0, minExclusive: true),
        ParamSpec.Bool("asymmetric", true, "true: the paper's DKL (KL's gradients); false: IKL, the wMSE also trains the input"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs => DecoupledKl.Inputs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.dkl_loss(x.Required("input"), x.Required("target"), p.Float("alpha"), p.Float("beta"), p.Float("temperature"), p.Bool("asymmetric"),
            x.Optional("class_prior"), x.Optional("labels"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) KL form mean", g => DecoupledKl.Pair(g, 6, 4, 2));
        yield return GradcheckCase.Of("(5,3) IKL alpha=3 beta=0.5 T=2 sum", g => DecoupledKl.Pair(g, 5, 3, 2),
            ("asymmetric", "false"), ("alpha", "3"), ("beta", "0.5"), ("temperature", "2"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(6,4) global information none", g => DecoupledKl.WithPrior(g, 6, 4), ("asymmetric", "false"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,5) single sample", g => DecoupledKl.Pair(g, 1, 5, 1));
    }
}
