using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Knowledge distillation (Hinton, Vinyals, Dean 2015): per sample
    /// <c>(1 - alpha) * CE(input, target) + alpha * T^2 * KL(softmax(teacher / T) || softmax(input / T))</c>, where
    /// <c>input</c> holds the student's logits and <c>teacher</c> the teacher's (held constant).
    /// </summary>
    /// <remarks>
    /// <para><b>Why T^2.</b> The gradient of the softened KL with respect to the student's logits scales as 1 / T^2;
    /// multiplying by T^2 keeps the soft term's share of the gradient roughly constant as the temperature changes, as
    /// the paper recommends. alpha = 0 is plain cross-entropy; alpha = 1 is pure distillation.</para>
    /// <para><b>Teacher.</b> No gradient flows to the teacher: its softened distribution is a held term
    /// (<c>teacher</c>). The KL is summed over classes per sample (PyTorch's <c>kl_div</c> with <c>batchmean</c> after
    /// the mean reduction; the often-copied <c>nn.KLDivLoss()</c> default instead averages over N * C elements and so
    /// shrinks the soft term by a factor C).</para>
    /// <para>Computed in log space (both distributions from <c>log_softmax</c>), so logits of magnitude 1e4 in float32
    /// give finite values and gradients.</para>
    /// <code>
    /// var loss = Losses.knowledge_distillation_loss(studentLogits, labels, teacherLogits, temperature: 4, alpha: 0.9);
    /// </code>
    /// Reference: Hinton, Vinyals, Dean 2015, "Distilling the Knowledge in a Neural Network".
    /// </remarks>
    /// <param name="input">The student's logits, shape (N, C).</param>
    /// <param name="target">Class indices, shape (N), int64.</param>
    /// <param name="teacher">The teacher's logits, shape (N, C) (no gradient flows to them).</param>
    /// <param name="temperature">The softening temperature T, &gt; 0.</param>
    /// <param name="alpha">The weight of the distillation term, in [0, 1].</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor knowledge_distillation_loss(Tensor input, Tensor target, Tensor teacher, double temperature = 4.0, double alpha = 0.5, Reduction reduction = Reduction.Mean)
    {
        const string name = "knowledge_distillation_loss";
        CheckStudentTeacher(name, input, target, teacher);
        Check.Param(temperature > 0 && double.IsFinite(temperature), name, nameof(temperature), "a finite number > 0", temperature);
        Check.Param(alpha >= 0 && alpha <= 1, name, nameof(alpha), "in [0, 1]", alpha);
        Reduce.NoBatchMean(reduction, name);

        using var scope = NewDisposeScope();
        var ce = cross_entropy(input, target, reduction: Reduction.None);
        Tensor loss = ce;
        if (alpha > 0)
        {
            var logq = Surrogate.Hold("teacher", torch.nn.functional.log_softmax(teacher.to_type(input.dtype) / temperature, 1));
            var logp = torch.nn.functional.log_softmax(input / temperature, 1);
            var kl = (logq.exp() * (logq - logp)).sum(1);
            loss = (1 - alpha) * ce + alpha * temperature * temperature * kl;
        }
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }

    /// <summary>The checks shared by the student/teacher losses: logits (N, C), class indices (N), teacher (N, C).</summary>
    private static void CheckStudentTeacher(string name, Tensor input, Tensor target, Tensor teacher)
    {
        Check.Floating(input, name, nameof(input));
        Check.Rank(input, name, nameof(input), 2);
        Check.Rank(target, name, nameof(target), 1);
        Check.SameBatch(input, nameof(input), target, nameof(target), name);
        Check.Floating(teacher, name, nameof(teacher));
        Check.SameShape(input, nameof(input), teacher, nameof(teacher), name);
        Check.SameDevice(name, (input, nameof(input)), (target, nameof(target)), (teacher, nameof(teacher)));
        Check.ClassIndices(target, input.shape[1], name, nameof(target));
    }
}

/// <summary>Knowledge distillation as a module (inputs: student logits, labels, teacher logits); see <see cref="Losses.knowledge_distillation_loss"/>.</summary>
public sealed class KnowledgeDistillationLoss : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly double temperature;
    private readonly double alpha;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.knowledge_distillation_loss"/>.</summary>
    public KnowledgeDistillationLoss(double temperature = 4.0, double alpha = 0.5, Reduction reduction = Reduction.Mean) : base(nameof(KnowledgeDistillationLoss))
    {
        Check.Param(temperature > 0 && double.IsFinite(temperature), nameof(KnowledgeDistillationLoss), nameof(temperature), "a finite number > 0", temperature);
        Check.Param(alpha >= 0 && alpha <= 1, nameof(KnowledgeDistillationLoss), nameof(alpha), "in [0, 1]", alpha);
        Reduce.NoBatchMean(reduction, nameof(KnowledgeDistillationLoss));
        this.temperature = temperature;
        this.alpha = alpha;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target, Tensor teacher) =>
        Losses.knowledge_distillation_loss(input, target, teacher, temperature, alpha, reduction);
}

internal sealed class KnowledgeDistillationDefinition : LossDefinition
{
    public override string Name => "knowledge_distillation";
    public override string Family => "classification";
    public override string Summary => "Hinton's knowledge distillation: (1 - alpha) CE + alpha T^2 KL(teacher_T || student_T), teacher held.";
    public override string Math => "l_i = (1 - alpha) CE(input_i, y_i) + alpha T^2 sum_c q_c (log q_c - log p_c),  q = softmax(teacher/T) (held), p = softmax(input/T)";
    public override string Reference => "Hinton, Vinyals, Dean 2015, Distilling the Knowledge in a Neural Network";
    public override string Function => "Losses.knowledge_distillation_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["teacher"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("temperature", 4.0, "softening temperature T", min: 0, minExclusive: true),
        ParamSpec.Float("alpha", 0.5, "weight of the distillation term (0: cross-entropy)", min: 0, max: 1),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) student logits"),
        InputSpec.Data("target", "(N) class indices"),
        InputSpec.Data("teacher", "(N, C) teacher logits (no gradient)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.knowledge_distillation_loss(x.Required("input"), x.Required("target"), x.Required("teacher"), p.Float("temperature"), p.Float("alpha"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Dictionary<string, Tensor> Make(Generator g, long n, long c) =>
            new() { ["input"] = Sample.Normal(g, [n, c], 2), ["target"] = Sample.Labels(g, n, c), ["teacher"] = Sample.Normal(g, [n, c], 3) };
        yield return GradcheckCase.Of("(6,4) T=4 alpha=0.5 mean", g => Make(g, 6, 4));
        yield return GradcheckCase.Of("(5,3) T=1 alpha=1 sum", g => Make(g, 5, 3), ("temperature", "1"), ("alpha", "1"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(4,5) T=2.5 alpha=0.9 none", g => Make(g, 4, 5), ("temperature", "2.5"), ("alpha", "0.9"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) alpha=0", g => Make(g, 1, 4), ("alpha", "0"));
    }
}
