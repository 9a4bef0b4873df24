using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Maximum Mean Calibration Error (Kumar, Sarawagi, Jain 2018, "Trainable Calibration Measures for Neural Networks
    /// from Kernel Mean Embeddings") as a training loss: cross-entropy plus <paramref name="lambda"/> times MMCE, or MMCE
    /// alone. MMCE compares confidence and correctness through a Laplacian kernel over the batch.
    /// </summary>
    /// <remarks>
    /// <para><b>Definitions.</b> <c>r_i = max_c softmax(input_i)_c</c> is the confidence, <c>c_i = 1</c> when the argmax is
    /// the target and 0 otherwise, and <c>k(r, r') = exp(-|r - r'| / bandwidth)</c> (the paper's Laplacian kernel, width
    /// 0.4). With <c>K</c> the N x N kernel matrix:</para>
    /// <list type="bullet">
    /// <item><description>MMCE_m (unweighted): <c>MMCE^2 = sum_ij (c_i - r_i)(c_j - r_j) k(r_i, r_j) / N^2 = v' K v</c>,
    /// <c>v = (c - r) / N</c>.</description></item>
    /// <item><description>MMCE_w (<paramref name="weighted"/>): with m correct and n incorrect samples,
    /// <c>MMCE^2 = sum_{i,j correct} (1-r_i)(1-r_j) k / m^2 + sum_{i,j incorrect} r_i r_j k / n^2 - 2 sum_{i correct, j
    /// incorrect} (1-r_i) r_j k / (m n) = u' K u</c>, <c>u_i = (1 - r_i) / m</c> for correct and <c>-r_i / n</c> for
    /// incorrect samples; 0 when either group is empty (as the paper's code).</description></item>
    /// </list>
    /// <para>The kernel matrix is formed once and used in one quadratic form. MMCE is <c>sqrt(MMCE^2 + 1e-10)</c> (the
    /// paper's code adds 1e-10 so that the square root keeps a finite gradient at 0); <paramref name="squared"/> uses
    /// <c>MMCE^2</c> itself (what the paper's code returns for MMCE_m). Correctness is a step function of the logits, so
    /// no gradient flows through it; the gradient flows through the confidences. The paper's code averages each block of
    /// MMCE_w (a <c>reduce_mean</c>) before dividing by m^2, n^2, m n again; this follows the paper's formula instead.</para>
    /// <para><b>Reduction.</b> MMCE is a batch-level quantity, shared equally by the samples: none returns
    /// <c>CE_i + lambda * MMCE</c> per sample (their mean is the mean loss), mean <c>mean(CE) + lambda * MMCE</c>, sum N
    /// times that. Without <paramref name="with_cross_entropy"/>, the CE terms are left out.</para>
    /// <para><b>When to use it.</b> To train calibrated classifiers: MMCE is a differentiable proxy of the expected
    /// calibration error; the paper adds it to the negative log-likelihood with lambda between 1 and 10.</para>
    /// <code>
    /// var loss = Losses.mmce_loss(logits, labels, weighted: true, lambda: 2.0);
    /// </code>
    /// Reference: Kumar, Sarawagi, Jain 2018, ICML, "Trainable Calibration Measures for Neural Networks from Kernel Mean
    /// Embeddings".
    /// </remarks>
    /// <param name="input">Logits, shape (N, C).</param>
    /// <param name="target">Class indices, shape (N), int64.</param>
    /// <param name="weighted">MMCE_w (weighted by 1 - r for correct and r for incorrect samples) instead of MMCE_m.</param>
    /// <param name="lambda">The weight of the MMCE term, &gt;= 0.</param>
    /// <param name="bandwidth">The Laplacian kernel's width, &gt; 0 (the paper's 0.4).</param>
    /// <param name="squared">Use MMCE^2 instead of MMCE.</param>
    /// <param name="with_cross_entropy">Add the cross-entropy (the paper's training loss); false: MMCE alone.</param>
    /// <param name="reduction">none: per-sample values (N), see remarks; mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor mmce_loss(Tensor input, Tensor target, bool weighted = false, double @lambda = 1.0, double bandwidth = 0.4, bool squared = false,
        bool with_cross_entropy = true, Reduction reduction = Reduction.Mean)
    {
        const string name = "mmce_loss";
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        Check.Rank(target, name, nameof(target), 1);
        Check.SameBatch(input, nameof(input), target, nameof(target), name);
        Check.Param(@lambda >= 0 && double.IsFinite(@lambda), name, nameof(@lambda), "a finite number >= 0", @lambda);
        Check.Param(bandwidth > 0 && double.IsFinite(bandwidth), name, nameof(bandwidth), "a finite number > 0", bandwidth);
        Reduce.NoBatchMean(reduction, name);
        Check.ClassIndices(target, input.shape[1], name, nameof(target));
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)));
        if (input.shape[0] == 0)
            throw new ArgumentException($"{name}: 'input' must hold at least one sample (MMCE is a batch statistic), got shape {Check.Shape(input)}", nameof(input));

        using var scope = NewDisposeScope();
        long n = input.shape[0];
        var logp = torch.nn.functional.log_softmax(input, 1);
        var (maxLogp, predicted) = logp.max(1);
        var r = maxLogp.exp();
        var correct = predicted.eq(target.to_type(ScalarType.Int64)).to_type(input.dtype);
        var kernel = (-(r.unsqueeze(1) - r.unsqueeze(0)).abs() / bandwidth).exp();   // the one N x N matrix
        Tensor coef;
        Tensor? groupsPresent = null;
        if (weighted)
        {
            var m = correct.sum();
            var k = (double)n - m;
            groupsPresent = m.gt(0).logical_and(k.gt(0));
            coef = correct * (1.0 - r) / m.clamp_min(1.0) - (1.0 - correct) * r / k.clamp_min(1.0);
        }
        else coef = (correct - r) / (double)n;
        var mmce2 = torch.matmul(coef.unsqueeze(0), torch.matmul(kernel, coef.unsqueeze(1))).reshape(Array.Empty<long>());
        var mmce = squared ? mmce2 : (mmce2.clamp_min(0.0) + 1e-10).sqrt();
        if (groupsPresent is not null) mmce = torch.where(groupsPresent, mmce, torch.zeros_like(mmce));
        var term = (@lambda * mmce).expand(n);
        var perSample = with_cross_entropy ? -logp.gather(1, target.to_type(ScalarType.Int64).unsqueeze(1)).squeeze(1) + term : term;
        return Reduce.Apply(perSample, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>Cross-entropy plus the Maximum Mean Calibration Error as a module; see <see cref="Losses.mmce_loss"/>.</summary>
public sealed class MmceLoss : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly bool weighted;
    private readonly double lambda;
    private readonly double bandwidth;
    private readonly bool squared;
    private readonly bool withCrossEntropy;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.mmce_loss"/>.</summary>
    public MmceLoss(bool weighted = false, double @lambda = 1.0, double bandwidth = 0.4, bool squared = false, bool with_cross_entropy = true, Reduction reduction = Reduction.Mean) : base(nameof(MmceLoss))
    {
        Check.Param(@lambda >= 0 && double.IsFinite(@lambda), nameof(MmceLoss), nameof(@lambda), "a finite number >= 0", @lambda);
        Check.Param(bandwidth > 0 && double.IsFinite(bandwidth), nameof(MmceLoss), nameof(bandwidth), "a finite number > 0", bandwidth);
        Reduce.NoBatchMean(reduction, nameof(MmceLoss));
        this.weighted = weighted;
        this.lambda = @lambda;
        this.bandwidth = bandwidth;
        this.squared = squared;
        withCrossEntropy = with_cross_entropy;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target) => Losses.mmce_loss(input, target, weighted, lambda, bandwidth, squared, withCrossEntropy, reduction);
}

internal sealed class MmceDefinition : LossDefinition
{
    public override string Name => "mmce";
    public override string Family => "classification";
    public override string Summary => "Cross-entropy plus lambda times the Maximum Mean Calibration Error (MMCE_m or weighted MMCE_w), or MMCE alone.";
    public override string Math => "r_i = max softmax, c_i = [argmax = y], K_ij = exp(-|r_i - r_j| / bandwidth); MMCE_m^2 = v'Kv, v = (c - r)/N; MMCE_w^2 = u'Ku, u = c(1-r)/m - (1-c) r/n; l = CE + lambda sqrt(MMCE^2 + 1e-10)";
    public override string Reference => "Kumar, Sarawagi, Jain 2018, Trainable Calibration Measures for Neural Networks from Kernel Mean Embeddings";
    public override string Function => "Losses.mmce_loss";
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Bool("weighted", false, "MMCE_w (weighted) instead of MMCE_m"),
        ParamSpec.Float("lambda", 1.0, "weight of the MMCE term", min: 0),
        ParamSpec.Float("bandwidth", 0.4, "Laplacian kernel width", min: 0, minExclusive: true),
        ParamSpec.Bool("squared", false, "use MMCE^2 instead of MMCE"),
        ParamSpec.Bool("with_cross_entropy", true, "add the cross-entropy (false: MMCE alone)"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) logits"),
        InputSpec.Data("target", "(N) class indices"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.mmce_loss(x.Required("input"), x.Required("target"), p.Bool("weighted"), p.Float("lambda"), p.Float("bandwidth"), p.Bool("squared"),
            p.Bool("with_cross_entropy"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(8,4) MMCE_m mean", g => Mixed(g, 8, 4));
        yield return GradcheckCase.Of("(8,3) MMCE_w lambda=2 mean", g => Mixed(g, 8, 3), ("weighted", "true"), ("lambda", "2"));
        yield return GradcheckCase.Of("(6,4) MMCE_w alone squared none", g => Mixed(g, 6, 4), ("weighted", "true"), ("with_cross_entropy", "false"), ("squared", "true"), ("reduction", "none"));
        yield return GradcheckCase.Of("(7,5) MMCE_m bandwidth 0.2 sum", g => Mixed(g, 7, 5), ("bandwidth", "0.2"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(1,4) single sample", g => Mixed(g, 1, 4));
    }

    // Logits with the first half of the targets at the argmax (correct) and the rest elsewhere (incorrect).
    private static Dictionary<string, Tensor> Mixed(Generator g, long n, long c)
    {
        var x = Sample.Normal(g, [n, c], 1.5);
        var argmax = x.argmax(1);
        var shift = (torch.arange(n) >= (n + 1) / 2).to_type(ScalarType.Int64);
        return new() { ["input"] = x, ["target"] = (argmax + shift) % c };
    }
}
