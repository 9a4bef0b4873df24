using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// Classification as a teacher-student problem: the student (<c>input</c> logits) is trained by cross-entropy on soft
    /// targets that mix the label with a held teacher distribution, <c>q = (1 - alpha) * onehot(target) + alpha * pi_T</c>;
    /// per sample <c>-sum_c q_c log softmax(input)_c</c>.
    /// </summary>
    /// <remarks>
    /// <para><b>Teacher.</b> <c>pi_T = softmax(teacher / temperature)</c> when the teacher holds logits, or the teacher
    /// itself with <paramref name="teacher_probabilities"/> (rows of probabilities). It is a held term (<c>teacher</c>):
    /// no gradient flows to it, whatever produced it (a frozen network, an exponential moving average of the student
    /// as in mean-teacher / self-distillation, or the student's own earlier predictions).</para>
    /// <para><b>Relations.</b> alpha = 0 is cross-entropy. With a uniform teacher it is label smoothing with
    /// eps = alpha. Unlike <see cref="knowledge_distillation_loss"/>, the student is not softened and there is no T^2
    /// factor: the loss is a plain cross-entropy against a single mixed target (as in "born-again" / self-distillation
    /// training), so its minimiser is the student distribution equal to q.</para>
    /// <para>Computed in log space: logits of magnitude 1e4 in float32 give finite values and gradients.</para>
    /// <code>
    /// var loss = Losses.teacher_student_loss(studentLogits, labels, teacherLogits, alpha: 0.3, temperature: 2);
    /// </code>
    /// Reference: Hinton, Vinyals, Dean 2015 (soft targets); Furlanello et al. 2018, "Born-Again Neural Networks";
    /// Tarvainen and Valpola 2017, "Mean teachers are better role models".
    /// </remarks>
    /// <param name="input">The student's logits, shape (N, C).</param>
    /// <param name="target">Class indices, shape (N), int64.</param>
    /// <param name="teacher">The teacher's logits (or probabilities with <paramref name="teacher_probabilities"/>), shape (N, C).</param>
    /// <param name="alpha">The teacher's share of the target, in [0, 1].</param>
    /// <param name="temperature">Softens the teacher's logits, &gt; 0 (not used with probabilities).</param>
    /// <param name="teacher_probabilities">Whether the teacher holds probabilities (in [0, 1]) rather than logits.</param>
    /// <param name="reduction">none: per-sample losses (N); mean; sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor teacher_student_loss(Tensor input, Tensor target, Tensor teacher, double alpha = 0.5, double temperature = 1.0, bool teacher_probabilities = false,
        Reduction reduction = Reduction.Mean)
    {
        const string name = "teacher_student_loss";
        CheckStudentTeacher(name, input, target, teacher);
        Check.Param(alpha >= 0 && alpha <= 1, name, nameof(alpha), "in [0, 1]", alpha);
        Check.Param(temperature > 0 && double.IsFinite(temperature), name, nameof(temperature), "a finite number > 0", temperature);
        Reduce.NoBatchMean(reduction, name);
        if (teacher_probabilities) Check.InRange(teacher, 0, 1, name, nameof(teacher));

        using var scope = NewDisposeScope();
        var ce = cross_entropy(input, target, reduction: Reduction.None);
        Tensor loss = ce;
        if (alpha > 0)
        {
            var t = teacher.to_type(input.dtype);
            var pi = Surrogate.Hold("teacher", teacher_probabilities ? t : torch.softmax(t / temperature, 1));
            var soft = -(pi * torch.nn.functional.log_softmax(input, 1)).sum(1);
            loss = (1 - alpha) * ce + alpha * soft;
        }
        return Reduce.Apply(loss, reduction, name).MoveToOuterDisposeScope();
    }
}

/// <summary>The teacher-student cross-entropy as a module (inputs: student logits, labels, teacher); see <see cref="Losses.teacher_student_loss"/>.</summary>
public sealed class TeacherStudentLoss : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly double alpha;
    private readonly double temperature;
    private readonly bool teacherProbabilities;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.teacher_student_loss"/>.</summary>
    public TeacherStudentLoss(double alpha = 0.5, double temperature = 1.0, bool teacher_probabilities = false, Reduction reduction = Reduction.Mean) : base(nameof(TeacherStudentLoss))
    {
        Check.Param(alpha >= 0 && alpha <= 1, nameof(TeacherStudentLoss), nameof(alpha), "in [0, 1]", alpha);
        Check.Param(temperature > 0 && double.IsFinite(temperature), nameof(TeacherStudentLoss), nameof(temperature), "a finite number > 0", temperature);
        Reduce.NoBatchMean(reduction, nameof(TeacherStudentLoss));
        this.alpha = alpha;
        this.temperature = temperature;
        teacherProbabilities = teacher_probabilities;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target, Tensor teacher) =>
        Losses.teacher_student_loss(input, target, teacher, alpha, temperature, teacherProbabilities, reduction);
}

internal sealed class TeacherStudentDefinition : LossDefinition
{
    public override string Name => "teacher_student";
    public override string Family => "classification";
    public override string Summary => "Cross-entropy on the label mixed with a held teacher distribution (alpha): a classifier as a teacher-student problem.";
    public override string Math => "q = (1 - alpha) onehot(y) + alpha pi_T, pi_T = softmax(teacher / T) or teacher (held); l_i = -sum_c q_c log softmax(input_i)_c";
    public override string Reference => "Hinton et al. 2015 (soft targets); Furlanello et al. 2018, Born-Again Neural Networks; Tarvainen and Valpola 2017, Mean Teacher";
    public override string Function => "Losses.teacher_student_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["teacher"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("alpha", 0.5, "the teacher's share of the target (0: cross-entropy)", min: 0, max: 1),
        ParamSpec.Float("temperature", 1.0, "softens the teacher's logits", min: 0, minExclusive: true),
        ParamSpec.Bool("teacher_probabilities", false, "teacher holds probabilities rather than logits"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("input", "(N, C) student logits"),
        InputSpec.Data("target", "(N) class indices"),
        InputSpec.Data("teacher", "(N, C) teacher logits, or probabilities (no gradient)"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.teacher_student_loss(x.Required("input"), x.Required("target"), x.Required("teacher"), p.Float("alpha"), p.Float("temperature"),
            p.Bool("teacher_probabilities"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        yield return GradcheckCase.Of("(6,4) alpha=0.5 mean", g => new() { ["input"] = Sample.Normal(g, [6, 4], 2), ["target"] = Sample.Labels(g, 6, 4), ["teacher"] = Sample.Normal(g, [6, 4], 2) });
        yield return GradcheckCase.Of("(5,3) T=3 alpha=0.8 sum", g => new() { ["input"] = Sample.Normal(g, [5, 3]), ["target"] = Sample.Labels(g, 5, 3), ["teacher"] = Sample.Normal(g, [5, 3], 3) },
            ("temperature", "3"), ("alpha", "0.8"), ("reduction", "sum"));
        yield return GradcheckCase.Of("(4,5) teacher probabilities none", g => new() { ["input"] = Sample.Normal(g, [4, 5]), ["target"] = Sample.Labels(g, 4, 5), ["teacher"] = Sample.Simplex(g, 4, 5) },
            ("teacher_probabilities", "true"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,4) alpha=1", g => new() { ["input"] = Sample.Normal(g, [1, 4]), ["target"] = Sample.Labels(g, 1, 4), ["teacher"] = Sample.Normal(g, [1, 4]) }, ("alpha", "1"));
    }
}
