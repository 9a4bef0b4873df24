using LossLab.Autograd;
using LossLab.Registry;
using TorchSharp;
using static TorchSharp.torch;

namespace LossLab;

public static partial class Losses
{
    /// <summary>
    /// The Intrinsic Curiosity Module's training loss (Pathak et al. 2017, equation 7 without the policy term): per
    /// transition <c>(1 - beta) L_I + beta L_F</c>, with the inverse model's loss <c>L_I</c> the cross-entropy of the
    /// action it predicts from <c>(phi(s_t), phi(s_{t+1}))</c>, and the forward model's loss
    /// <c>L_F = 1/2 ||phi^(s_{t+1}) - phi(s_{t+1})||^2</c> in feature space (summed over the features).
    /// </summary>
    /// <remarks>
    /// The features are learned through the inverse model only: in the forward loss the target <c>phi(s_{t+1})</c> is held
    /// constant (the held term <c>next_features</c>), so the encoder cannot shrink the forward error by collapsing its
    /// features; <paramref name="hold_features"/> = false lets the forward loss train the encoder too, as the authors'
    /// TensorFlow code does. The curiosity reward is the same forward error, <see cref="IntrinsicReward.Icm"/>.
    /// The cross-entropy is computed with log_softmax, so action logits of magnitude 1e4 in float32 stay finite.
    /// The paper's beta is 0.2 (and its policy-loss weight lambda 0.1 scales the policy loss, outside this function).
    /// <code>
    /// var phiT = encoder.forward(obs); var phiNext = encoder.forward(nextObs);
    /// var logits = inverseModel.forward(torch.cat(new[] { phiT, phiNext }, 1));
    /// var predicted = forwardModel.forward(torch.cat(new[] { phiT, actionOneHot }, 1));
    /// var loss = Losses.icm_loss(logits, actions, predicted, phiNext, beta: 0.2);
    /// var bonus = IntrinsicReward.Icm(predicted, phiNext, eta: 0.01);
    /// </code>
    /// </remarks>
    /// <param name="action_logits">The inverse model's action logits, (N, A).</param>
    /// <param name="actions">The actions taken, int64 indices, (N).</param>
    /// <param name="predicted_features">The forward model's prediction phi^(s_{t+1}), (N, F) or (N, ...).</param>
    /// <param name="next_features">The encoder's phi(s_{t+1}), the shape of <paramref name="predicted_features"/>.</param>
    /// <param name="beta">The forward loss's weight against the inverse loss, in [0, 1].</param>
    /// <param name="hold_features">Hold phi(s_{t+1}) constant in the forward loss (the paper's features, learned by the inverse model only).</param>
    /// <param name="reduction">none: per-transition losses (N); mean over the batch (the paper's); sum.</param>
    /// <returns>A scalar, or (N) for reduction none.</returns>
    public static Tensor icm_loss(Tensor action_logits, Tensor actions, Tensor predicted_features, Tensor next_features, double beta = 0.2, bool hold_features = true, Reduction reduction = Reduction.Mean) =>
        IcmCompute(action_logits, actions, predicted_features, next_features, beta, hold_features, reduction, wantTerms: false).Loss;

    /// <summary>
    /// ICM's loss with its terms, the batch means of the inverse loss (<c>inverse</c>) and of the forward loss (<c>forward</c>),
    /// for training logs; the arguments are those of <see cref="icm_loss"/>.
    /// </summary>
    public static (Tensor Loss, IReadOnlyDictionary<string, double> Terms) icm_loss_terms(Tensor action_logits, Tensor actions, Tensor predicted_features, Tensor next_features, double beta = 0.2, bool hold_features = true, Reduction reduction = Reduction.Mean)
    {
        var (loss, terms) = IcmCompute(action_logits, actions, predicted_features, next_features, beta, hold_features, reduction, wantTerms: true);
        return (loss, terms!);
    }

    private static (Tensor Loss, IReadOnlyDictionary<string, double>? Terms) IcmCompute(Tensor action_logits, Tensor actions, Tensor predicted_features, Tensor next_features, double beta, bool hold_features, Reduction reduction, bool wantTerms)
    {
        const string name = "icm_loss";
        Check.Floating(action_logits, name, nameof(action_logits));
        Check.Rank(action_logits, name, nameof(action_logits), 2);
        Check.HasSamples(action_logits, name, nameof(action_logits));
        Check.Rank(actions, name, nameof(actions), 1);
        Check.SameBatch(action_logits, nameof(action_logits), actions, nameof(actions), name);
        Check.ClassIndices(actions, action_logits.shape[1], name, nameof(actions));
        IntrinsicReward.CheckFeatures(predicted_features, next_features, name, nameof(next_features));
        Check.SameBatch(action_logits, nameof(action_logits), predicted_features, nameof(predicted_features), name);
        Check.SameFloatType(name, (action_logits, nameof(action_logits)), (predicted_features, nameof(predicted_features)));
        Check.Param(beta >= 0 && beta <= 1, name, nameof(beta), "in [0, 1]", beta);
        Reduce.NoBatchMean(reduction, name);
        Check.SameDevice(name, (action_logits, nameof(action_logits)), (actions, nameof(actions)), (predicted_features, nameof(predicted_features)), (next_features, nameof(next_features)));

        using var scope = NewDisposeScope();
        var logp = torch.nn.functional.log_softmax(action_logits, 1);
        var inverse = -logp.gather(1, actions.unsqueeze(1)).squeeze(1);
        var target = hold_features ? Surrogate.Hold("next_features", next_features) : next_features;
        var forward = IntrinsicReward.SquaredErrorPerSample(predicted_features, target, mean: false) * 0.5;
        var perSample = inverse * (1 - beta) + forward * beta;
        var loss = Reduce.Apply(perSample, reduction, name);
        IReadOnlyDictionary<string, double>? terms = null;
        if (wantTerms)
        {
            using var noGrad = torch.no_grad();
            terms = new Dictionary<string, double>
            {
                ["inverse"] = inverse.mean().to_type(ScalarType.Float64).item<double>(),
                ["forward"] = forward.mean().to_type(ScalarType.Float64).item<double>(),
            };
        }
        return (loss.MoveToOuterDisposeScope(), terms);
    }
}

/// <summary>ICM's loss as a module; see <see cref="Losses.icm_loss"/>. <c>forward(action_logits, actions, predicted_features, next_features)</c>.</summary>
public sealed class IcmLoss : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    private readonly double beta;
    private readonly bool holdFeatures;
    private readonly Reduction reduction;

    /// <summary>Creates the module; the arguments are those of <see cref="Losses.icm_loss"/>.</summary>
    public IcmLoss(double beta = 0.2, bool hold_features = true, Reduction reduction = Reduction.Mean) : base(nameof(IcmLoss))
    {
        Check.Param(beta >= 0 && beta <= 1, nameof(IcmLoss), nameof(beta), "in [0, 1]", beta);
        Reduce.NoBatchMean(reduction, nameof(IcmLoss));
        this.beta = beta;
        holdFeatures = hold_features;
        this.reduction = reduction;
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor action_logits, Tensor actions, Tensor predicted_features, Tensor next_features) =>
        Losses.icm_loss(action_logits, actions, predicted_features, next_features, beta, holdFeatures, reduction);
}

internal sealed class IcmDefinition : LossDefinition
{
    public override string Name => "icm";
    public override string Family => "generative";
    public override string Summary => "Intrinsic Curiosity Module: (1 - beta) inverse-model cross-entropy + beta forward-model error in feature space (target features held).";
    public override string Math => "l_i = (1 - beta) * CE(action_logits_i, a_i) + beta * 1/2 * ||predicted_features_i - sg(next_features_i)||^2";
    public override string Reference => "Pathak, Agrawal, Efros, Darrell 2017, Curiosity-driven Exploration by Self-supervised Prediction";
    public override string Function => "Losses.icm_loss";
    public override IReadOnlyList<string> HeldTerms { get; } = ["next_features"];
    public override IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        ParamSpec.Float("beta", 0.2, "weight of the forward loss against the inverse loss (0.2 in the paper)", min: 0, max: 1),
        ParamSpec.Bool("hold_features", true, "hold phi(s_{t+1}) constant in the forward loss (false: the authors' TF code)"),
        ParamSpec.Reduction(),
    ];
    public override IReadOnlyList<InputSpec> Inputs { get; } =
    [
        InputSpec.Grad("action_logits", "(N, A) inverse model's action logits"),
        InputSpec.Data("actions", "(N) actions taken, int64"),
        InputSpec.Grad("predicted_features", "(N, F) forward model's prediction of phi(s_{t+1})"),
        InputSpec.Grad("next_features", "(N, F) phi(s_{t+1}); held in the forward loss unless hold_features=false"),
    ];

    public override Tensor Compute(LossInputs x, LossParameters p) =>
        Losses.icm_loss(x.Required("action_logits"), x.Required("actions"), x.Required("predicted_features"), x.Required("next_features"), p.Float("beta"), p.Bool("hold_features"), p.Reduction);

    public override (Tensor Loss, IReadOnlyDictionary<string, double>? Terms) ComputeWithTerms(LossInputs x, LossParameters p) =>
        Losses.icm_loss_terms(x.Required("action_logits"), x.Required("actions"), x.Required("predicted_features"), x.Required("next_features"), p.Float("beta"), p.Bool("hold_features"), p.Reduction);

    public override IEnumerable<GradcheckCase> GradcheckCases()
    {
        static Func<Generator, Dictionary<string, Tensor>> Make(long n, long a, long f) => g => new()
        {
            ["action_logits"] = Sample.Normal(g, [n, a], 2),
            ["actions"] = Sample.Labels(g, n, a),
            ["predicted_features"] = Sample.Normal(g, [n, f]),
            ["next_features"] = Sample.Normal(g, [n, f]),
        };
        yield return GradcheckCase.Of("(6,4) F=5 mean", Make(6, 4, 5));
        yield return GradcheckCase.Of("(4,3) F=2 beta=0.7 none", Make(4, 3, 2), ("beta", "0.7"), ("reduction", "none"));
        yield return GradcheckCase.Of("(1,5) F=3 sum", Make(1, 5, 3), ("reduction", "sum"));
        yield return GradcheckCase.Of("(5,2) F=4 not held", Make(5, 2, 4), ("hold_features", "false"));
        yield return GradcheckCase.Of("(3,3) F=2 beta=1", Make(3, 3, 2), ("beta", "1"));
    }
}
