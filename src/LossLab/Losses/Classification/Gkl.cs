using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Generalized Kullback-Leibler divergence loss (Cui et al. 2025, "Generalized Kullback-Leibler Divergence Loss"), the
    /// generalised form of <see cref="dkl_loss"/>: a weighted MSE between the logit-difference matrices of
    /// <c>input</c> (student / adversarial) and <c>target</c> (teacher / natural), trained in both directions, with the
    /// smoother weights <c>w_j = s_j^gamma</c>, normalised by the batch's total weight, plus a soft-label cross-entropy.
    /// </summary>
    /// <remarks>
    /// <para><b>Definition</b> (the authors' code, DKLv2). With <c>d = target - input</c> (raw logits),
    /// <c>Δ_jk = d_j - d_k</c>, <c>s = softmax(target / weight_temperature)</c> held (term <c>weights</c>), or with global
    /// information <c>s = P[y]</c> (the class-wise mean prediction, <paramref name="class_prior"/> row of the label), and
    /// <c>w_ij = s_ij^gamma</c>:</para>
    /// <para><c>wMSE = 1/4 * sum_i sum_jk w_ij w_ik Δ_ijk^2 / sum_i sum_jk w_ij w_ik</c>,
    /// <c>CE = mean_i -sum_j S(softmax(target_i / T))_j log softmax(input_i / T)_j</c>,
    /// <c>loss = alpha * wMSE + beta * CE</c>.</para>
    /// <para>No stop-gradient on either logit difference (the asymmetry of KL is broken: the wMSE trains the input even
    /// when the target is a frozen teacher); the weights and soft labels are held. gamma &lt; 1 flattens the weights
    /// (the "smoother weight function" for classes with high predicted scores); gamma = 1 without global information
    /// weights the pairs by <c>s_j s_k</c> as DKL does, but normalised by the total weight of the batch rather than by N.</para>
    /// <para><b>Reduction.</b> none returns per sample <c>alpha/4 * N * sum_jk w_ij w_ik Δ_ijk^2 / sum_i W_i^2 + beta *
    /// CE_i</c> (<c>W_i = sum_j w_ij</c>), whose mean is the loss above; sum is N times the mean. The pair sum is computed
    /// in O(N C) as in <see cref="dkl_loss"/>; logits of magnitude 1e4 in float32 give finite values and gradients.</para>
    /// <para>alpha weighs the wMSE and beta the cross-entropy, as in the paper; the public code's
    /// <c>dkl_loss(..., alpha, beta, gamma)</c> computes <c>beta * mse + alpha * sce</c>.</para>
    /// <code>
    /// var loss = Losses.gkl_loss(advLogits, naturalLogits, alpha: 20, beta: 4, class_prior: prior, labels: labels);
    /// </code>
    /// Reference: Cui, Zhu, Xu, Tian, Qi, Yu, Zhang, Hong 2025, "Generalized Kullback-Leibler Divergence Loss" (arXiv
    /// 2503.08038); code github.com/jiequancui/DKL (DKLv2).
    /// </remarks>
    /// <param name="input">Logits of the fitted distribution (student / adversarial), shape (N, C).</param>
    /// <param name="target">Logits of the reference distribution (teacher / natural), shape (N, C).</param>
    /// <param name="alpha">Weight of the wMSE term, &gt;= 0.</param>
    /// <param name="beta">Weight of the soft-label cross-entropy, &gt;= 0.</param>
    /// <param name="gamma">Exponent of the weights, &gt;= 0 (1: the products of probabilities).</param>
    /// <param name="temperature">T of the cross-entropy term, &gt; 0.</param>
    /// <param name="weight_temperature">Temperature of the softmax that gives the weights (without global information), &gt; 0.</param>
    /// <param name="class_prior">Optional (C, C) class-wise mean predictions (global information); needs <paramref name="labels"/>.</param>
    /// <param name="labels">Class indices (N) selecting the rows of <paramref name="class_prior"/>.</param>
    /// <param name="reduction">none: per-sample values (N), see remarks; mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor gkl_loss(Tensor input, Tensor target, double alpha = 1.0, double beta = 1.0, double gamma = 1.0, double temperature = 1.0, double weight_temperature = 1.0,
        Tensor? class_prior = null, Tensor? labels = null, Reduction reduction = Reduction.Mean)
    {
        const string name = "gkl_loss";
        DecoupledKl.Validate(name, input, target, class_prior, labels);
        DecoupledKl.CheckWeights(name, alpha, beta);
        Check.Param(gamma >= 0 && double.IsFinite(gamma), name, nameof(gamma), "a finite number >= 0", gamma);
        Check.Param(temperature > 0 && double.IsFinite(temperature), name, nameof(temperature), "a finite number > 0", temperature);
        Check.Param(weight_temperature > 0 && double.IsFinite(weight_temperature), name, nameof(weight_temperature), "a finite number > 0", weight_temperature);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var t = target.to_type(input.dtype);
        long n = input.shape[0];
        var s = class_prior is null
            ? Surrogate.Hold("weights", torch.softmax(t / weight_temperature, 1))
            : DecoupledKl.Prior(class_prior, labels!, input.dtype);
        var w = gamma == 1.0 ? s : s.pow(gamma);
        var totalWeight = w.sum(1).square().sum();   // sum_i sum_jk w_ij w_ik
        var safeTotal = torch.where(totalWeight.gt(0), totalWeight, torch.ones_like(totalWeight));
        var wmse = alpha / 4 * (double)n * DecoupledKl.PairSpread(w, t - input) / safeTotal;
        var softLabels = Surrogate.Hold("soft_labels", torch.softmax(t / temperature, 1));
        var ce = -(softLabels * torch.nn.functional.log_softmax(input / temperature, 1)).sum(1);
        var loss = wmse + beta * ce;
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The generalized KL divergence loss as a module (inputs: fitted logits, reference logits); see <see cref="Losses.gkl_loss"/>.</summary>
public sealed class GklLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double alpha;
    private readonly double beta;
    private readonly double gamma;
    private readonly double temperature;
    private readonly double weightTemperature;
    private readonly Reduction reduction;

    /// <summary>Creates the module (without global information; call <see cref="Losses.gkl_loss"/> for it); the arguments are those of <see cref="Losses.gkl_loss"/>.</summary>
    public GklLoss(double alpha = 1.0, double beta = 1.0, double gamma = 1.0, double temperature = 1.0, double weight_temperature = 1.0, Reduction reduction = Reduction.Mean) : base(nameof(GklLoss))
    {
        DecoupledKl.CheckWeights(nameof(GklLoss), alpha, beta);
        Check.Param(gamma >= 0 && double.IsFinite(gamma), nameof(GklLoss), nameof(gamma), "a finite number >= 0", gamma);
        Check.Param(temperature > 0 && double.IsFinite(temperature), nameof(GklLoss), nameof(temperature), "a finite number > 0", temperature);
        Check.Param(weight_temperature > 0 && double.IsFinite(weight_temperature), nameof(GklLoss), nameof(weight_temperature), "a finite number > 0", weight_temperature);
        Reduce.NoBatchMean(reduction, nameof(GklLoss));
        this.alpha = alpha;
        this.beta = beta;
        this.gamma = gamma;
        this.temperature = temperature;
        weightTemperature = weight_temperature;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.gkl_loss(input, target, alpha, beta, gamma, temperature, weightTemperature, reduction: reduction);
}

internal sealed class GklDefinition : LossDefinition
{
    public override string Name => "gkl";
    public override string Family => "classification";
    public override string Summary => "Generalized KL: symmetric weighted MSE of logit differences (weights s^gamma, batch-normalised) plus soft-label cross-entropy, optional class-wise global information.";
    public override string Math => "d = target - input; w = S(softmax(target/T2))^gamma or P[y]^gamma; loss = alpha/4 sum_i sum_jk w_ij w_ik (d_ij - d_ik)^2 / sum_i W_i^2 + beta mean_i CE(S(softmax(target/T)), softmax(input/T))";
    public override string Reference => "Cui et al. 2025, Generalized Kullback-Leibler Divergence Loss (arXiv 2503.08038); github.com/jiequancui/DKL (DKLv2)";
    public override string Function => "Losses.gkl_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["weights", "soft_labels"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        DecoupledKl.Alpha,
        DecoupledKl.Beta,
        ParamSpec.Float("gamma", 1.0, "exponent of the weights (smoother below 1)", min: 0),
        ParamSpec.Float("temperature", 1.0, "T of the cross-entropy term", min: 0, minExclusive: true),
        ParamSpec.Float("weight_temperature", 1.0, "temperature of the softmax giving the weights", min: 0, minExclusive: true),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs => DecoupledKl.Inputs;

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.gkl_loss(x.Required("input"), x.Required("target"), p.Float("alpha"), p.Float("beta"), p.Float("gamma"), p.Float("temperature"),
            p.Float("weight_temperature"), x.Optional("class_prior"), x.Optional("labels"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) defaults mean", g => DecoupledKl.Pair(g, 6, 4, 2));
        yield return GradcheckCase.Of("(5,3) gamma 0.5 T=4 T2=2 alpha 20 beta 4 sum", g => DecoupledKl.Pair(g, 5, 3, 2),
            ("gamma", "0.5"), ("temperature", "4"), ("weight_temperature", "2"), ("alpha", "20"), ("beta", "4"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(6,4) global information gamma 2 none", g => DecoupledKl.WithPrior(g, 6, 4), ("gamma", "2"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,5) single sample", g => DecoupledKl.Pair(g, 1, 5, 1));
    }
}
